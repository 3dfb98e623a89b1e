/**
 * The lock generator, offline, on cut-down real update-center data and a real BOM excerpt
 * (test/plugins/fixtures/README.md says where each entry comes from).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { UserInputError } from '../../lib/errors';
import { formatProblem } from '../../lib/jcasc/problem';
import { checkPluginFiles } from '../../lib/plugins/check';
import { runLockCli } from '../../lib/plugins/lock-cli';
import { parseLock } from '../../lib/plugins/lock-file';

const REPO = path.resolve(__dirname, '../..');
const FIXTURES = path.join(__dirname, 'fixtures');
const UC = path.join(FIXTURES, 'update-center.json');
const VERSIONS = path.join(FIXTURES, 'plugin-versions.json');
const BOM = path.join(FIXTURES, 'bom-6916.v15ec97679743/bom-weekly/pom.xml');
const CORE = '2.580.1\nsha256=393bf2476352dd726519fd1f92ce66eac7d23c0936e6967420b717060c4c40d0\n';

const SCP_NEW = '2.19.0-192.v2b_a_7b_2c1dc71';
const SCP_OLD = '2.14.0-143.v2b_362fc39576';

interface Run {
  readonly code: number;
  readonly out: string;
  readonly err: string;
  readonly dir: string;
  readonly lock: () => string;
}

/** Runs the generator in a temp casc/ holding `intent` (and `core`), with the injected file reader. */
async function generate(
  intent: string,
  args: string[],
  core = CORE,
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plugins-lock-')),
): Promise<Run> {
  const casc = path.join(dir, 'casc');
  fs.mkdirSync(casc, { recursive: true });
  fs.writeFileSync(path.join(casc, 'plugins.txt'), intent);
  fs.writeFileSync(path.join(casc, 'jenkins-core.txt'), core);
  let out = '';
  let err = '';
  const code = await runLockCli(['--casc', casc, ...args], {
    read: async (p) => {
      if (!fs.existsSync(p)) throw new UserInputError(`no such file: ${p}`);
      return fs.readFileSync(p, 'utf8');
    },
    exists: (f) => fs.existsSync(f),
    write: (f, t) => fs.writeFileSync(f, t),
    out: (t) => (out += t),
    err: (t) => (err += t),
  });
  return { code, out, err, dir, lock: () => fs.readFileSync(path.join(casc, 'plugins.lock'), 'utf8') };
}

function entries(text: string) {
  return parseLock(text, 'plugins.lock').value.map((e) => `${e.id}:${e.version} ${e.source}`);
}

describe('npm run plugins:lock', () => {
  it('locks the closure at the BOM versions, never at the minimums the manifests allow', async () => {
    // mina-sshd-api-scp 2.19 requires core, core requires common; plugin-versions.json also has the 2.14
    // releases a minimum-taking resolver could pick. eddsa-api is only an optional dependency: not installed.
    const r = await generate(`mina-sshd-api-scp:${SCP_NEW}\n`, ['--update-center', VERSIONS, '--bom', BOM]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(entries(r.lock())).toEqual([
      `mina-sshd-api-common:${SCP_NEW} bom`,
      `mina-sshd-api-core:${SCP_NEW} bom`,
      `mina-sshd-api-scp:${SCP_NEW} intent`,
    ]);
    expect(r.out).toContain('plugins.lock: 3 plugins (1 intent, 2 bom); 3 changed');
    // The check:casc check passes what the generator wrote.
    expect(checkPluginFiles(path.join(r.dir, 'casc/plugins.txt'))).toEqual([]);
  });

  it('records the sha256 as hex, the core each plugin needs and its dependencies', async () => {
    const r = await generate(`mina-sshd-api-scp:${SCP_NEW}\n`, ['--update-center', VERSIONS, '--bom', BOM]);
    const lock = r.lock();
    // The update center publishes base64 AYktR8LoPaZCHqRT9zomOeSfqITNgKbnq24W0pKoNCw= for this release.
    expect(lock).toContain(
      `mina-sshd-api-scp:${SCP_NEW} sha256=01892d47c2e83da6421ea453f73a2639e49fa884cd80a6e7ab6e16d292a8342c source=intent\n  core 2.479.3\n  requires mina-sshd-api-core ${SCP_NEW}\n`,
    );
    expect(lock).toContain(`mina-sshd-api-common:${SCP_NEW} sha256=`);
    expect(lock).toContain(
      '  optional bouncycastle-api 2.30.1.80-256.vf98926042a_9b_\n  optional eddsa-api 0.3.0.1-19.vc432d923e5ee\n',
    );
    expect(lock).toContain('# source=bom: jenkinsci/bom bom-weekly 6916.v15ec97679743\n');
    expect(lock).toContain('# dependencies, core and sha256: plugin-versions.json\n');
  });

  it('takes the version the update center offers when no BOM is given, from a wrapped update-center.json', async () => {
    const r = await generate('aws-java-sdk2-core:2.42.33-70.vd69c0763fa_60\n', ['--update-center', UC]);
    expect(r.code).toBe(0);
    expect(entries(r.lock())).toEqual([
      'apache-httpcomponents-client-4-api:4.5.14-269.vfa_2321039a_83 update-center',
      'aws-java-sdk2-core:2.42.33-70.vd69c0763fa_60 intent',
    ]);
    expect(r.lock()).toContain('update-center.json (generated 2026-08-22T00:00:00Z)');
  });

  it('refuses to split a family: an old intent pin next to the BOM version of its siblings', async () => {
    const r = await generate(`mina-sshd-api-scp:${SCP_OLD}\n`, ['--update-center', VERSIONS, '--bom', BOM]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('plugins-lock: the plugin closure cannot be locked:');
    expect(r.err).toContain(
      `the Apache MINA SSHD API plugins must share one version (jenkinsci/bom property mina-sshd-api.version): mina-sshd-api-common:${SCP_NEW} (bom), mina-sshd-api-core:${SCP_NEW} (bom), mina-sshd-api-scp:${SCP_OLD} (intent)`,
    );
    expect(fs.existsSync(path.join(r.dir, 'casc/plugins.lock'))).toBe(false);
  });

  it('names a dependency the chosen versions do not satisfy and what to do', async () => {
    // Pin eddsa-api below what mina-sshd-api-common asks of it when installed.
    const r = await generate(`mina-sshd-api-scp:${SCP_NEW}\neddsa-api:0.3.0-4.v84c6f0f4969e\n`, [
      '--update-center',
      VERSIONS,
      '--bom',
      BOM,
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `mina-sshd-api-common:${SCP_NEW} optionally uses eddsa-api >= 0.3.0.1-19.vc432d923e5ee, but eddsa-api resolves to 0.3.0-4.v84c6f0f4969e (intent): pin eddsa-api in casc/plugins.txt at a version >= 0.3.0.1-19.vc432d923e5ee, or use a newer BOM`,
    );
  });

  it('refuses plugins that need a newer core than the pinned one', async () => {
    const r = await generate(
      `mina-sshd-api-scp:${SCP_NEW}\n`,
      ['--update-center', VERSIONS, '--bom', BOM],
      CORE.replace('2.580.1', '2.462.3'),
    );
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `mina-sshd-api-scp:${SCP_NEW} (intent) needs Jenkins 2.479.3, newer than the pinned core 2.462.3`,
    );
  });

  it('says which data is missing when a BOM version is not in update-center.json', async () => {
    // update-center.json offers only the newest releases; the intent pins an older one.
    const r = await generate('aws-java-sdk2-core:2.33.4-62.vc1a_8df64b_4c9\n', ['--update-center', UC]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      'aws-java-sdk2-core:2.33.4-62.vc1a_8df64b_4c9 (intent, needed by casc/plugins.txt) is not in the update-center data (it has 2.42.33-70.vd69c0763fa_60); pass plugin-versions.json (every release) as another --update-center',
    );
  });

  it('prints a readable change list against the previous lock, and --dry-run writes nothing', async () => {
    const first = await generate(`mina-sshd-api-scp:${SCP_NEW}\n`, [
      '--update-center',
      VERSIONS,
      '--bom',
      BOM,
    ]);
    const before = first.lock();
    const again = await generate(
      `mina-sshd-api-scp:${SCP_NEW}\n`,
      ['--update-center', VERSIONS, '--bom', BOM],
      CORE,
      first.dir,
    );
    expect(again.out).toBe(
      'casc/plugins.lock: 3 plugins (1 intent, 2 bom); unchanged\n'.replace('casc/', `${first.dir}/casc/`),
    );
    const bump = await generate(
      `mina-sshd-api-scp:${SCP_NEW}\naws-java-sdk2-core:2.42.33-70.vd69c0763fa_60\n`,
      ['--update-center', VERSIONS, '--bom', BOM, '--dry-run'],
      CORE,
      first.dir,
    );
    expect(bump.code).toBe(0);
    expect(bump.out.split('\n').slice(0, 2)).toEqual([
      '+ apache-httpcomponents-client-4-api:4.5.14-269.vfa_2321039a_83 (bom)',
      '+ aws-java-sdk2-core:2.42.33-70.vd69c0763fa_60 (intent)',
    ]);
    expect(bump.out).toContain('(dry run: not written)');
    expect(first.lock()).toBe(before);
  });

  it('flags a release whose bytes changed under the same version', async () => {
    const first = await generate(`mina-sshd-api-scp:${SCP_NEW}\n`, [
      '--update-center',
      VERSIONS,
      '--bom',
      BOM,
    ]);
    const lockFile = path.join(first.dir, 'casc/plugins.lock');
    fs.writeFileSync(
      lockFile,
      first.lock().replace(/(mina-sshd-api-core:\S+ sha256=)[0-9a-f]{64}/, `$1${'0'.repeat(64)}`),
    );

    const again = await generate(
      `mina-sshd-api-scp:${SCP_NEW}\n`,
      ['--update-center', VERSIONS, '--bom', BOM],
      CORE,
      first.dir,
    );

    expect(again.out).toContain(
      `! mina-sshd-api-core:${SCP_NEW} sha256 changed ${'0'.repeat(64)} -> 5039ea17`,
    );
  });

  it('fails the intent line ec2:latest with file:line before reading any update center', async () => {
    const r = await generate('# chosen\nec2:latest\n', ['--update-center', '/no/such/update-center.json']);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      `${formatProblem({ file: path.join(r.dir, 'casc/plugins.txt'), line: 2, path: '', message: 'ec2:latest is resolved at install time, so two installs can differ: pin an exact release', severity: 'error' })}\n`,
    );
  });

  it('one-line errors for unreadable or foreign input', async () => {
    const missing = await generate(`mina-sshd-api-scp:${SCP_NEW}\n`, [
      '--update-center',
      '/no/such/update-center.json',
    ]);
    expect(missing.err).toBe('plugins-lock: no such file: /no/such/update-center.json\n');
    const notJson = await generate(`mina-sshd-api-scp:${SCP_NEW}\n`, ['--update-center', BOM]);
    expect(notJson.err).toMatch(/^plugins-lock: pom\.xml: not update-center JSON \(.*\)\n$/);
    const notBom = await generate(`mina-sshd-api-scp:${SCP_NEW}\n`, [
      '--update-center',
      VERSIONS,
      '--bom',
      VERSIONS,
    ]);
    expect(notBom.err).toBe(
      'plugins-lock: plugin-versions.json: not a BOM pom.xml (no <project> with <dependencyManagement>)\n',
    );
    expect([missing.code, notJson.code, notBom.code]).toEqual([1, 1, 1]);
  });

  it('asks for the imported BOM when an LTS line is given alone', async () => {
    const lts = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bom-')), 'pom.xml');
    // The shape of jenkinsci/bom bom-2.568.x/pom.xml at 6916: it imports bom-weekly and overrides one plugin.
    fs.writeFileSync(
      lts,
      '<project><artifactId>bom-2.568.x</artifactId><dependencyManagement><dependencies>' +
        '<dependency><groupId>${project.groupId}</groupId><artifactId>bom-weekly</artifactId><version>${project.version}</version><type>pom</type><scope>import</scope></dependency>' +
        '<dependency><groupId>io.jenkins.plugins.mina-sshd-api</groupId><artifactId>mina-sshd-api-core</artifactId><version>2.14.0-143.v2b_362fc39576</version></dependency>' +
        '<dependency><groupId>io.jenkins.plugins.mina-sshd-api</groupId><artifactId>mina-sshd-api-core</artifactId><version>9</version><classifier>tests</classifier></dependency>' +
        '</dependencies></dependencyManagement></project>',
    );
    const alone = await generate(`mina-sshd-api-scp:${SCP_NEW}\n`, [
      '--update-center',
      VERSIONS,
      '--bom',
      lts,
    ]);
    expect(alone.err).toBe(
      'plugins-lock: jenkinsci/bom bom-2.568.x (release unknown: pom.xml) imports bom-weekly: pass that pom.xml too, with another --bom after this one (its own versions win, as in Maven)\n',
    );
    // With bom-weekly after it, the LTS line's own entry wins: here it would split the family.
    const both = await generate(`mina-sshd-api-scp:${SCP_NEW}\n`, [
      '--update-center',
      VERSIONS,
      '--bom',
      lts,
      '--bom',
      BOM,
    ]);
    expect(both.err).toContain(
      `mina-sshd-api-scp:${SCP_NEW} requires mina-sshd-api-core >= ${SCP_NEW}, but mina-sshd-api-core resolves to ${SCP_OLD} (bom)`,
    );
  });

  it('as a process: --help on stdout with exit 0, a usage error with exit 2', () => {
    const TS_NODE = path.join(REPO, 'bin/register-ts.cjs');
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['-r', TS_NODE, path.join(REPO, 'bin/plugins-lock.ts'), ...args], {
        cwd: REPO,
        encoding: 'utf8',
        env: { ...process.env, TS_NODE_PROJECT: path.join(REPO, 'tsconfig.json') },
      });
    const help = run('--help');
    expect(help.stdout).toMatch(/^usage: npm run plugins:lock -- --update-center <file\|url>/);
    expect([help.status, help.stderr]).toEqual([0, '']);
    const usage = run('--update-centre', UC);
    expect(usage.stderr.split('\n')[0]).toMatch(/^plugins-lock: unknown option '--update-centre'/);
    expect(usage.stdout).toBe('');
    expect(usage.status).toBe(2);
  });
});
