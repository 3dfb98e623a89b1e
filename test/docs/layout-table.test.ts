import * as fs from 'fs';
import * as path from 'path';

/**
 * docs/architecture.md's layout table matches the tree: every path it names exists, and every directory of
 * the repository, every entry of lib/, every Lambda, every construct file and every CLI is named in it. A new
 * file without a row, or a row for a file that is gone, fails here.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const doc = fs.readFileSync(path.join(ROOT, 'docs', 'architecture.md'), 'utf8');
const table = doc.slice(doc.indexOf('| path | what |'), doc.indexOf('\n## ', doc.indexOf('| path | what |')));
const rows = table
  .split('\n')
  .filter((line) => line.startsWith('| `'))
  .map((line) => {
    const [, first, what] = line.split('|').map((cell) => cell.trim());
    return { paths: [...first.matchAll(/`([^`]+)`/g)].map((m) => m[1]), text: line, what };
  });
const named = rows.flatMap((row) => row.paths);
const rowOf = (p: string) => rows.find((row) => row.paths.includes(p))!;
const entries = (dir: string) => fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true });

/** A path of the table as it is on disk: `<name>` and `*` stand for any entry. */
function exists(p: string): boolean {
  const parts = p.replace(/\/$/, '').split('/');
  const walk = (dir: string, rest: string[]): boolean => {
    if (rest.length === 0) return true;
    const [head, ...tail] = rest;
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return false;
    const pattern = new RegExp(`^${head.replace(/[.]/g, '\\.').replace(/<[^>]+>|\*/g, '[^/]+')}$`);
    return fs.readdirSync(dir).some((e) => pattern.test(e) && walk(path.join(dir, e), tail));
  };
  return walk(ROOT, parts);
}

describe("docs/architecture.md's layout table", () => {
  it('has rows', () => {
    expect(rows.length).toBeGreaterThan(20);
  });

  it.each(named)('names %s, which exists', (p) => {
    expect(exists(p)).toBe(true);
  });

  it('names every top-level directory of the repository', () => {
    const ignored = new Set(['.git', 'node_modules', 'cdk.out', 'cdk.out.second']);
    const dirs = entries('.')
      .filter((e) => e.isDirectory() && !ignored.has(e.name))
      .map((e) => e.name);
    const missing = dirs.filter((d) => !named.some((p) => p === `${d}/` || p.startsWith(`${d}/`)));
    expect(missing).toEqual([]);
  });

  it('names every entry of lib/ (in the path column or in a row that points to it)', () => {
    const missing = entries('lib')
      .map((e) => (e.isDirectory() ? `lib/${e.name}/` : `lib/${e.name}`))
      .filter((p) => !named.includes(p) && !rows.some((row) => row.what.includes(`\`${p}\``)));
    expect(missing).toEqual([]);
  });

  it('names every Lambda handler in the lambda row', () => {
    const row = rowOf('lambda/<name>/index.ts');
    const missing = entries('lambda')
      .filter((e) => e.isDirectory())
      .filter((e) => !row.what.includes(`\`${e.name}\``))
      .map((e) => e.name);
    expect(missing).toEqual([]);
  });

  it('names every construct file in the constructs row', () => {
    const row = rowOf('lib/constructs/');
    const missing = entries('lib/constructs')
      .filter((e) => e.name.endsWith('.ts') && !row.what.includes(`\`${e.name}\``))
      .map((e) => e.name);
    expect(missing).toEqual([]);
  });

  it('names every command-line tool and helper of bin/ in the bin row', () => {
    const row = rowOf('bin/*.ts');
    const missing = entries('bin')
      .map((e) => e.name)
      .filter((name) => name !== 'app.ts')
      .filter(
        (name) => !row.what.includes(`\`${name.replace(/\.ts$/, '')}\``) && !row.what.includes(`bin/${name}`),
      );
    expect(missing).toEqual([]);
  });
});

/**
 * The table "Controller: paths on the instance": each path is spelled by the scripts and units the controller
 * runs (assets/controller/, assets/user-data/), so a renamed path cannot leave the table behind.
 */
describe("docs/architecture.md's controller paths table", () => {
  const start = doc.indexOf('## Controller: paths on the instance');
  const section = doc.slice(start, doc.indexOf('\n## ', start + 1));
  const paths = section
    .split('\n')
    .filter((line) => line.startsWith('| `/'))
    .map((line) => line.match(/^\| `([^`]+)`/)![1]);
  const sources = ['assets/controller', 'assets/controller/systemd', 'assets/user-data']
    .filter((dir) => fs.existsSync(path.join(ROOT, dir)))
    .flatMap((dir) =>
      entries(dir)
        .filter((e) => e.isFile())
        .map((e) => fs.readFileSync(path.join(ROOT, dir, e.name), 'utf8')),
    )
    .join('\n');

  it('has rows', () => {
    expect(paths.length).toBeGreaterThan(10);
  });

  // The scripts build paths from variables (lib.sh: JG_RELEASES="$JG_CONFIG_DIR/releases"), so each literal
  // segment of the path, placeholders (<digest>, {a,b}) left out, must be spelled there.
  it.each(paths)('%s: each segment is spelled by the controller scripts', (p) => {
    const segments = p.split('/').filter((seg) => seg && !/[<{]/.test(seg));
    const missing = segments.filter(
      (seg) => !new RegExp(`(^|[^\\w.-])${seg.replace(/[.]/g, '\\.')}($|[^\\w-])`, 'm').test(sources),
    );
    expect(missing).toEqual([]);
  });
});
