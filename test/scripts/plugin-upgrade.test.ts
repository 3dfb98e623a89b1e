/**
 * apply-config.sh on a plugin upgrade: a changed lock alone is a plugin change (restart, not reload), and
 * the new set reuses the verified plugins already staged, so only what changed is downloaded.
 */
import * as fs from 'fs';
import * as path from 'path';

import {
  bundleFiles,
  DEFAULT_PLUGINS,
  FakePlugin,
  fakePlugin,
  MIRROR,
  mirrorObject,
  pluginFiles,
  pluginSetKey,
  Sandbox,
  serveDownloads,
} from './harness';

const CHOSEN = DEFAULT_PLUGINS[1]; // ec2, the plugin we chose
const DEPENDENCY = fakePlugin('mina-sshd-api-core', '2.19.0-192.v2b_a_7b_2c1dc71'); // locked, not chosen
const BUMPED = fakePlugin('mina-sshd-api-core', '2.20.0-200.v1');

describe('apply-config.sh and a new plugin lock', () => {
  let sb: Sandbox;

  beforeEach(async () => {
    sb = new Sandbox();
    await sb.http.start();
    sb.installActiveRelease(bundleFiles(pluginFiles([CHOSEN], [DEPENDENCY])));
    // The active release's verified set, as bootstrap.sh left it.
    const set = sb.p(`opt/jenkins-gpu/plugins/${pluginSetKey([CHOSEN, DEPENDENCY])}`);
    fs.mkdirSync(set, { recursive: true });
    fs.writeFileSync(path.join(set, '.complete'), '');
    for (const p of [CHOSEN, DEPENDENCY]) fs.writeFileSync(path.join(set, `${p.id}.jpi`), p.content);
  });

  afterEach(async () => {
    await sb.cleanup();
  });

  function publish(locked: readonly FakePlugin[]): string {
    const files = bundleFiles(pluginFiles([CHOSEN], locked));
    const digest = sb.putBundle(files, 'new.zip');
    sb.setParameter(digest, 'new.zip', { artifactMirror: MIRROR });
    return digest;
  }

  test('a dependency bumped in the lock alone (same plugins.txt): new set, safe restart, only it downloaded', async () => {
    const digest = publish([BUMPED]);
    serveDownloads(sb, { plugins: [CHOSEN, BUMPED] });

    const r = await sb.run('apply-config.sh', ['--expect-digest', digest]);

    expect(r.code).toBe(0);
    expect(r.stderr).toContain('restarts once running builds have finished');
    expect(r.stderr).toContain('plugins: 1 downloaded, 1 from staged sets, every sha256 verified');
    expect(sb.http.requests.filter((q) => q.url.startsWith('/plugins/')).map((q) => q.url)).toEqual([
      `/plugins/${BUMPED.id}/${BUMPED.version}/${BUMPED.id}.hpi`,
    ]);
    const set = sb.p(`opt/jenkins-gpu/plugins/${pluginSetKey([CHOSEN, BUMPED])}`);
    expect(fs.readFileSync(path.join(set, `${BUMPED.id}.jpi`))).toEqual(BUMPED.content);
    expect(fs.existsSync(mirrorObject(sb, `plugin-sets/${pluginSetKey([CHOSEN, BUMPED])}.tar`))).toBe(true);
    expect(sb.http.requests.some((q) => q.url.startsWith('/reload'))).toBe(false);
  });

  test('a plugin dropped from the lock is not installed: the new set holds exactly the new lock', async () => {
    const digest = publish([]);
    serveDownloads(sb, { plugins: [CHOSEN] });

    const r = await sb.run('apply-config.sh', ['--expect-digest', digest]);

    expect(r.code).toBe(0);
    const set = sb.p(`opt/jenkins-gpu/plugins/${pluginSetKey([CHOSEN])}`);
    expect(fs.readdirSync(set).sort()).toEqual(['.complete', 'ec2.jpi']);
    expect(sb.http.requests.filter((q) => q.url.startsWith('/plugins/'))).toEqual([]);
  });
});
