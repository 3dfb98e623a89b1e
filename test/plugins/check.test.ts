import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { formatProblem } from '../../lib/jcasc/problem';
import { checkPluginFiles, lockedPluginIds } from '../../lib/plugins/check';

const REPO = path.resolve(__dirname, '../..');
const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);
const SHA_C = 'c'.repeat(64);
const CORE = '2.580.1\nsha256=393bf2476352dd726519fd1f92ce66eac7d23c0936e6967420b717060c4c40d0\n';

/** Versions and edges of the real MINA SSHD family (update center, 2026-08-22). */
const SCP = 'mina-sshd-api-scp:2.19.0-192.v2b_a_7b_2c1dc71';
const INTENT = `# chosen\n${SCP}\n`;
const LOCK = [
  '# generated',
  `mina-sshd-api-common:2.19.0-192.v2b_a_7b_2c1dc71 sha256=${SHA_A} source=bom`,
  '  core 2.479.3',
  '  optional eddsa-api 0.3.0.1-19.vc432d923e5ee',
  `mina-sshd-api-core:2.19.0-192.v2b_a_7b_2c1dc71 sha256=${SHA_B} source=bom`,
  '  core 2.479.3',
  '  requires mina-sshd-api-common 2.19.0-192.v2b_a_7b_2c1dc71',
  `${SCP} sha256=${SHA_C} source=intent`,
  '  core 2.479.3',
  '  requires mina-sshd-api-core 2.19.0-192.v2b_a_7b_2c1dc71',
  '',
].join('\n');

function check(files: { intent?: string; lock?: string; core?: string }): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plugin-check-'));
  fs.mkdirSync(path.join(dir, 'casc'));
  const write = (name: string, text: string | undefined) => {
    if (text !== undefined) fs.writeFileSync(path.join(dir, 'casc', name), text);
  };
  write('plugins.txt', files.intent ?? INTENT);
  write('plugins.lock', 'lock' in files ? files.lock : LOCK);
  write('jenkins-core.txt', 'core' in files ? files.core : CORE);
  return checkPluginFiles(path.join(dir, 'casc', 'plugins.txt')).map((p) => formatProblem(p, dir));
}

describe('the plugin lock check (npm run check:casc)', () => {
  it('passes a closed, consistent lock', () => {
    expect(check({})).toEqual([]);
  });

  it('passes the shipped casc/ (82 plugins, BOM 6916 bom-weekly)', () => {
    expect(checkPluginFiles(path.join(REPO, 'casc/plugins.txt'))).toEqual([]);
    expect(lockedPluginIds(path.join(REPO, 'casc/plugins.txt'))?.size).toBe(82);
  });

  it.each([
    ['ec2:latest', /casc\/plugins\.txt:2: ec2:latest is resolved at install time/],
    ['ec2', /casc\/plugins\.txt:2: 'ec2' has no version: pin an exact release/],
    ['ec2:', /casc\/plugins\.txt:2: 'ec2' has no version/],
    ['ec2:experimental', /casc\/plugins\.txt:2: ec2:experimental is resolved at install time/],
    ['ec2:2.0-SNAPSHOT', /casc\/plugins\.txt:2: ec2:2\.0-SNAPSHOT is not a release/],
    [
      'ec2:2059:https://example.com/ec2.hpi',
      /casc\/plugins\.txt:2: .*a download URL or a third field bypasses the lock/,
    ],
    [
      'ec2:incrementals;org.jenkins-ci.plugins;1.0',
      /casc\/plugins\.txt:2: ec2: incremental builds are not locked/,
    ],
    ['ec2 2059', /casc\/plugins\.txt:2: 'ec2 2059' is not artifactId:version/],
  ])('fails the intent line %s with file:line', (line, message) => {
    expect(check({ intent: `# chosen\n${line}\n${SCP}\n` })).toEqual(
      expect.arrayContaining([expect.stringMatching(message)]),
    );
  });

  it.each([
    ['ec2:latest sha256=' + SHA_A + ' source=bom', /ec2:latest is resolved at install time/],
    ['ec2 sha256=' + SHA_A + ' source=bom', /'ec2' has no version/],
    ['ec2:2059.v05f9d511d7e5 source=bom', /needs sha256=<64 lower-case hex digits> \(got none\)/],
    ['ec2:2059.v05f9d511d7e5 sha256=ABC source=bom', /needs sha256=.*\(got 'ABC'\)/],
    ['ec2:2059.v05f9d511d7e5 sha256=' + SHA_A, /needs source=<intent\|bom\|update-center> \(got none\)/],
    ['ec2:2059.v05f9d511d7e5 sha256=' + SHA_A + ' source=somewhere', /\(got 'somewhere'\)/],
    ['ec2:2059.v05f9d511d7e5 sha256=' + SHA_A + ' source=bom url=x', /unknown field 'url=x'/],
  ])('fails the malformed lock line %s with file:line', (line, message) => {
    const lines = check({ lock: `${LOCK}${line}\n` });
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^casc/plugins\\.lock:11: .*${message.source}`)),
      ]),
    );
  });

  it('fails an indented line that does not say requires, optional or core', () => {
    expect(
      check({ lock: LOCK.replace('  core 2.479.3\n  optional', '  needs 2.479.3\n  optional') }),
    ).toEqual([
      expect.stringMatching(/^casc\/plugins\.lock:2: mina-sshd-api-common has no 'core <version>' line/),
      expect.stringMatching(
        /^casc\/plugins\.lock:3: 'needs 2\.479\.3' is not 'requires <artifactId> <minimum>'/,
      ),
    ]);
  });

  it('fails a plugin that appears twice', () => {
    const lines = check({
      lock: `${LOCK}mina-sshd-api-core:2.19.0-192.v2b_a_7b_2c1dc71 sha256=${SHA_B} source=bom\n`,
    });
    expect(lines).toEqual([
      "casc/plugins.lock:11: 'mina-sshd-api-core' appears twice (first at line 5): one version per plugin",
    ]);
    expect(check({ intent: `${INTENT}${SCP}\n` })).toEqual([
      "casc/plugins.txt:3: 'mina-sshd-api-scp' appears twice (first at line 2): one version per plugin",
    ]);
  });

  it('fails an open lock: a required dependency is not locked', () => {
    const open = LOCK.replace(/mina-sshd-api-common:[^\n]*\n {2}core[^\n]*\n {2}optional[^\n]*\n/, '');
    expect(check({ lock: open })).toEqual([
      expect.stringMatching(
        /^casc\/plugins\.lock:\d+: mina-sshd-api-core requires mina-sshd-api-common >= 2\.19\.0-192\.v2b_a_7b_2c1dc71, which is not locked: the lock is not closed/,
      ),
    ]);
  });

  it('fails a dependency locked below its minimum, and a split family', () => {
    const old = LOCK.replace(
      'mina-sshd-api-common:2.19.0-192.v2b_a_7b_2c1dc71',
      'mina-sshd-api-common:2.14.0-143.v2b_362fc39576',
    );
    expect(check({ lock: old })).toEqual([
      'casc/plugins.lock:2: the Apache MINA SSHD API plugins are released together and must share one version (jenkinsci/bom property mina-sshd-api.version): ' +
        'mina-sshd-api-common:2.14.0-143.v2b_362fc39576 (line 2), mina-sshd-api-core:2.19.0-192.v2b_a_7b_2c1dc71 (line 5), mina-sshd-api-scp:2.19.0-192.v2b_a_7b_2c1dc71 (line 8)',
      'casc/plugins.lock:7: mina-sshd-api-core requires mina-sshd-api-common >= 2.19.0-192.v2b_a_7b_2c1dc71, but the lock has mina-sshd-api-common:2.14.0-143.v2b_362fc39576 (line 2): Jenkins would refuse to load mina-sshd-api-core',
    ]);
  });

  it('holds an optional dependency to its minimum only when it is locked', () => {
    const withEddsa = `${LOCK}eddsa-api:0.3.0-4.v84c6f0f4969e sha256=${SHA_A} source=intent\n  core 2.426.3\n`;
    expect(check({ lock: withEddsa, intent: `${INTENT}eddsa-api:0.3.0-4.v84c6f0f4969e\n` })).toEqual([
      'casc/plugins.lock:4: mina-sshd-api-common optionally uses eddsa-api >= 0.3.0.1-19.vc432d923e5ee, but the lock has eddsa-api:0.3.0-4.v84c6f0f4969e (line 11): Jenkins would refuse to load mina-sshd-api-common',
    ]);
  });

  it('fails a plugin that needs a newer core than the pinned one', () => {
    expect(check({ core: CORE.replace('2.580.1', '2.462.3') })).toEqual([
      expect.stringMatching(
        /^casc\/plugins\.lock:2: mina-sshd-api-common:.* needs Jenkins 2\.479\.3, newer than the pinned core 2\.462\.3 \(jenkins-core\.txt line 1\)/,
      ),
      expect.stringMatching(/^casc\/plugins\.lock:5: mina-sshd-api-core/),
      expect.stringMatching(/^casc\/plugins\.lock:8: mina-sshd-api-scp/),
    ]);
  });

  it('fails when the intent is not covered: missing, another version, a stale source=intent', () => {
    expect(check({ intent: `${INTENT}timestamper:1.30\n` })).toEqual([
      expect.stringMatching(
        /^casc\/plugins\.txt:3: timestamper is not in plugins\.lock: the controller would not install it; regenerate it: npm run plugins:lock/,
      ),
    ]);
    expect(
      check({ intent: INTENT.replace('2.19.0-192.v2b_a_7b_2c1dc71', '2.17.1-187.v0341274c2905') }),
    ).toEqual([
      expect.stringMatching(
        /^casc\/plugins\.txt:2: mina-sshd-api-scp:2\.17\.1-187\.v0341274c2905 is pinned here, but plugins\.lock line 8 has 2\.19\.0-192/,
      ),
    ]);
    expect(check({ intent: '# nothing chosen\n' })).toEqual([
      expect.stringMatching(
        /^casc\/plugins\.lock:2: mina-sshd-api-common is locked, but no plugin of plugins\.txt needs it/,
      ),
      expect.stringMatching(/^casc\/plugins\.lock:5: mina-sshd-api-core is locked, but no plugin/),
      'casc/plugins.lock:8: mina-sshd-api-scp says source=intent, but plugins.txt does not list it',
      expect.stringMatching(/^casc\/plugins\.lock:8: mina-sshd-api-scp is locked, but no plugin/),
    ]);
  });

  it('fails a leftover plugin nothing needs, and a pinned plugin whose source is not intent', () => {
    const extra = `${LOCK}node-iterator-api:72.vc90e81737df1 sha256=${SHA_A} source=bom\n  core 2.479.1\n`;
    expect(check({ lock: extra })).toEqual([
      expect.stringMatching(
        /^casc\/plugins\.lock:11: node-iterator-api is locked, but no plugin of plugins\.txt needs it \(a leftover\)/,
      ),
    ]);
    expect(check({ lock: LOCK.replace(`${SHA_C} source=intent`, `${SHA_C} source=bom`) })).toEqual([
      'casc/plugins.lock:8: mina-sshd-api-scp is pinned in plugins.txt, so its source is intent, not bom',
    ]);
  });

  it.each([
    [
      '2.578\nsha256=' + SHA_A + '\n',
      /^casc\/jenkins-core\.txt:1: '2\.578' is not an LTS core version \(major\.minor\.patch, e\.g\. 2\.580\.1\)/,
    ],
    ['2.580.1\n', /^casc\/jenkins-core\.txt:1: no sha256= line for the war of 2\.580\.1/],
    ['2.580.1\nsha256=xyz\n', /^casc\/jenkins-core\.txt:2: sha256=xyz is not 64 lower-case hex digits/],
    [
      '2.580.1\n2.568.3\nsha256=' + SHA_A + '\n',
      /^casc\/jenkins-core\.txt:2: '2\.568\.3': the file holds one core version \(line 1\)/,
    ],
    ['# empty\n', /^casc\/jenkins-core\.txt:1: no core version/],
  ])('fails jenkins-core.txt %j', (text, message) => {
    expect(check({ core: text })).toEqual(expect.arrayContaining([expect.stringMatching(message)]));
  });

  it('fails a missing lock with what to run', () => {
    expect(check({ lock: undefined })).toEqual([
      'casc/plugins.lock:0: not found: the locked plugin closure; regenerate it: npm run plugins:lock -- --update-center <file|url>',
    ]);
  });
});
