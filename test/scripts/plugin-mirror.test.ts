/**
 * bootstrap.sh installs exactly casc/plugins.lock and the pinned war, from the stack's artifact mirror
 * first (fake S3), else from the download sites (loopback), verifying every sha256 against the bundle,
 * and keeps what it verified in the mirror for the next controller.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import {
  bundleFiles,
  closedPortUrl,
  CORE_VERSION,
  DEFAULT_PLUGINS,
  FAKE_WAR,
  FakePlugin,
  fakePlugin,
  MIRROR,
  mirrorObject,
  pluginFiles,
  pluginSetKey,
  prepareControllerBoot,
  Sandbox,
  serveDownloads,
  WAR_SHA256,
} from './harness';

const WAR_KEY = `war/${WAR_SHA256}/jenkins.war`;
const SET_KEY = `plugin-sets/${pluginSetKey(DEFAULT_PLUGINS)}.tar`;

describe('bootstrap.sh with the artifact mirror', () => {
  let sb: Sandbox;
  let boot: { args: string[]; env: Record<string, string> };

  beforeEach(async () => {
    sb = new Sandbox();
    await sb.http.start();
    boot = prepareControllerBoot(sb);
  });

  afterEach(async () => {
    await sb.cleanup();
  });

  /** Publishes `files` as the active bundle, with the mirror in the parameter. */
  function publish(files: Record<string, string> = bundleFiles()): void {
    const digest = sb.putBundle(files, 'bundle.zip');
    sb.setParameter(digest, 'bundle.zip', { artifactMirror: MIRROR });
  }

  /** A plugin-set object as the controller stores it: a tar of `<id>.jpi` files. */
  function putMirrorSet(
    plugins: readonly FakePlugin[],
    key = SET_KEY,
    extra: Record<string, string> = {},
  ): void {
    const dir = fs.mkdtempSync(path.join(sb.dir, 'set-'));
    for (const p of plugins) fs.writeFileSync(path.join(dir, `${p.id}.jpi`), p.content);
    for (const [name, text] of Object.entries(extra)) fs.writeFileSync(path.join(dir, name), text);
    const object = mirrorObject(sb, key);
    fs.mkdirSync(path.dirname(object), { recursive: true });
    execFileSync('tar', ['-cf', object, '-C', dir, ...fs.readdirSync(dir)]);
  }

  function putMirrorWar(content: Buffer = FAKE_WAR): void {
    fs.mkdirSync(path.dirname(mirrorObject(sb, WAR_KEY)), { recursive: true });
    fs.writeFileSync(mirrorObject(sb, WAR_KEY), content);
  }

  const downloads = () => sb.http.requests.filter((q) => /^\/(war|plugins)\//.test(q.url)).map((q) => q.url);
  const stagedSet = () => sb.p(`opt/jenkins-gpu/plugins/${pluginSetKey(DEFAULT_PLUGINS)}`);

  test('an empty mirror: installs from the download sites, then keeps the war and the plugin set in the mirror', async () => {
    publish();
    serveDownloads(sb);

    const r = await sb.run('bootstrap.sh', boot.args, boot.env);

    expect(r.code).toBe(0);
    expect(downloads().sort()).toEqual([
      '/plugins/configuration-as-code/1967.va_968e15fd05b_/configuration-as-code.hpi',
      '/plugins/ec2/2059.v05f9d511d7e5/ec2.hpi',
      `/war/${CORE_VERSION}/jenkins.war`,
    ]);
    expect(fs.readFileSync(mirrorObject(sb, WAR_KEY))).toEqual(FAKE_WAR);
    const listed = execFileSync('tar', ['-tf', mirrorObject(sb, SET_KEY)], { encoding: 'utf8' });
    expect(listed.trim().split('\n').sort()).toEqual(['configuration-as-code.jpi', 'ec2.jpi']);
    expect(r.stderr).toContain(`stored s3://${MIRROR.bucket}/controller/${SET_KEY} in the artifact mirror`);
    expect(fs.readdirSync(stagedSet()).sort()).toEqual(['.complete', 'configuration-as-code.jpi', 'ec2.jpi']);
    expect(fs.readFileSync(path.join(stagedSet(), 'ec2.jpi'))).toEqual(DEFAULT_PLUGINS[1].content);
  });

  test('a replacement controller installs from the mirror alone: no download site is reachable', async () => {
    publish();
    putMirrorWar();
    putMirrorSet(DEFAULT_PLUGINS);
    const nowhere = await closedPortUrl();

    const r = await sb.run('bootstrap.sh', boot.args, {
      ...boot.env,
      JENKINS_WAR_BASE_URL: `${nowhere}/war`,
      JENKINS_PLUGIN_BASE_URL: `${nowhere}/plugins`,
    });

    expect(r.stderr).toContain(`Jenkins ${CORE_VERSION}: war from the artifact mirror, sha256 verified`);
    expect(r.stderr).toContain('2 plugins from the artifact mirror, every sha256 verified');
    expect(r.code).toBe(0);
    expect(sb.calls()).toMatch(/cfn-signal --success true/);
    expect(fs.readdirSync(stagedSet()).sort()).toEqual(['.complete', 'configuration-as-code.jpi', 'ec2.jpi']);
    expect(fs.readFileSync(sb.p(`opt/jenkins-gpu/war/jenkins-${CORE_VERSION}.war`))).toEqual(FAKE_WAR);
  });

  test('a re-boot downloads nothing: the verified war and set are already on the instance', async () => {
    publish();
    serveDownloads(sb);
    expect((await sb.run('bootstrap.sh', boot.args, boot.env)).code).toBe(0);
    const before = { downloads: downloads().length, calls: sb.calls().split('\n').length };

    const reboot = [...boot.args.slice(0, -2), '--no-signal'];
    const r = await sb.run('bootstrap.sh', reboot, boot.env);

    expect(r.code).toBe(0);
    expect(downloads()).toHaveLength(before.downloads);
    const later = sb
      .calls()
      .split('\n')
      .slice(before.calls - 1);
    expect(later.filter((l) => l.includes('s3 cp') && !l.includes('bundle.zip'))).toEqual([]);
  });

  test('the mirror lacks the plugin set of a new lock: war from the mirror, plugins downloaded, then stored', async () => {
    const plugins = [DEFAULT_PLUGINS[0], fakePlugin('ec2', '2060.v1')];
    publish(bundleFiles(pluginFiles(plugins)));
    putMirrorWar();
    putMirrorSet(DEFAULT_PLUGINS); // the previous lock's set: another key
    serveDownloads(sb, { plugins });

    const r = await sb.run('bootstrap.sh', boot.args, boot.env);

    expect(r.code).toBe(0);
    expect(downloads().sort()).toEqual([
      '/plugins/configuration-as-code/1967.va_968e15fd05b_/configuration-as-code.hpi',
      '/plugins/ec2/2060.v1/ec2.hpi',
    ]);
    expect(r.stderr).toContain('not exist'); // the aws CLI's 404 for the new set, in the log
    expect(fs.existsSync(mirrorObject(sb, `plugin-sets/${pluginSetKey(plugins)}.tar`))).toBe(true);
  });

  test('a storing failure does not fail the boot: it is logged and the next boot downloads again', async () => {
    publish();
    serveDownloads(sb);
    sb.flag('s3-put-denied');

    const r = await sb.run('bootstrap.sh', boot.args, boot.env);

    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      `could not store s3://${MIRROR.bucket}/controller/${SET_KEY} in the artifact mirror`,
    );
    expect(sb.calls()).toMatch(/cfn-signal --success true/);
  });

  test('a changed plugin in the mirror fails the boot loudly, without falling back to the download site', async () => {
    publish();
    putMirrorWar();
    putMirrorSet([DEFAULT_PLUGINS[0], { ...DEFAULT_PLUGINS[1], content: Buffer.from('not the locked ec2') }]);
    serveDownloads(sb);

    const r = await sb.run('bootstrap.sh', boot.args, boot.env);

    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      `sha256 mismatch for plugin ec2:2059.v05f9d511d7e5 from the artifact mirror's s3://${MIRROR.bucket}/controller/${SET_KEY}`,
    );
    expect(sb.calls()).toMatch(/cfn-signal --success false --reason sha256 mismatch for plugin ec2/);
    expect(downloads().filter((u) => u.startsWith('/plugins/'))).toEqual([]);
    expect(fs.existsSync(stagedSet())).toBe(false);
  });

  test('a changed war in the mirror fails the boot loudly', async () => {
    publish();
    putMirrorWar(Buffer.from('not the pinned war'));
    serveDownloads(sb);

    const r = await sb.run('bootstrap.sh', boot.args, boot.env);

    expect(r.code).not.toBe(0);
    expect(sb.calls()).toMatch(
      new RegExp(
        `cfn-signal --success false --reason sha256 mismatch for s3://${MIRROR.bucket}/controller/war/`,
      ),
    );
    expect(downloads().filter((u) => u.startsWith('/war/'))).toEqual([]); // no fallback to get.jenkins.io
  });

  test('a war the download site publishes with a matching .sha256 still fails against the pin in the repo', async () => {
    publish();
    serveDownloads(sb, { badWarSha: true });

    const r = await sb.run('bootstrap.sh', boot.args, boot.env);

    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`, pinned ${WAR_SHA256}`);
    expect(sb.http.requests.some((q) => q.url.endsWith('.sha256'))).toBe(false);
    expect(fs.existsSync(mirrorObject(sb, WAR_KEY))).toBe(false);
  });

  test('a changed plugin on the download site fails the boot, and nothing is stored in the mirror', async () => {
    publish();
    serveDownloads(sb, { tampered: ['configuration-as-code'] });

    const r = await sb.run('bootstrap.sh', boot.args, boot.env);

    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /sha256 mismatch for \S+\/configuration-as-code\.hpi: got [0-9a-f]{64}, pinned [0-9a-f]{64}/,
    );
    expect(fs.existsSync(mirrorObject(sb, SET_KEY))).toBe(false);
  });

  test.each([
    [
      'an extra plugin',
      { extra: { 'extra-plugin.jpi': 'not locked' } },
      /holds extra-plugin\.jpi, which casc\/plugins\.lock does not/,
    ],
    [
      'a missing plugin',
      { plugins: [DEFAULT_PLUGINS[0]] },
      /plugin ec2:2059\.v05f9d511d7e5 is missing from the artifact mirror's/,
    ],
    [
      'a member outside the set directory',
      { traversal: true },
      /is not a plugin set \(member '\.\.\/evil\.jpi'\)/,
    ],
  ])(
    'a mirror set with %s fails the boot',
    async (
      _what,
      opts: { extra?: Record<string, string>; plugins?: FakePlugin[]; traversal?: boolean },
      message,
    ) => {
      publish();
      putMirrorWar();
      if (opts.traversal) {
        // tar -P keeps the member name ../evil.jpi, which points outside the directory it is unpacked into.
        const dir = fs.mkdtempSync(path.join(sb.dir, 'set-'));
        fs.mkdirSync(path.join(dir, 'inner'));
        fs.writeFileSync(path.join(dir, 'evil.jpi'), 'x');
        fs.mkdirSync(path.dirname(mirrorObject(sb, SET_KEY)), { recursive: true });
        execFileSync('tar', [
          '-cPf',
          mirrorObject(sb, SET_KEY),
          '-C',
          path.join(dir, 'inner'),
          '../evil.jpi',
        ]);
      } else {
        putMirrorSet(opts.plugins ?? DEFAULT_PLUGINS, SET_KEY, opts.extra);
      }
      serveDownloads(sb);

      const r = await sb.run('bootstrap.sh', boot.args, boot.env);

      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(message);
      expect(sb.calls()).toMatch(/cfn-signal --success false/);
      expect(fs.existsSync(sb.p('opt/jenkins-gpu/plugins/evil.jpi'))).toBe(false);
    },
  );

  test('a plugin the intent pins but the lock lacks fails the boot, before any download', async () => {
    const files = bundleFiles();
    publish({ ...files, 'casc/plugins.txt': `${files['casc/plugins.txt']}timestamper:1.30\n` });
    serveDownloads(sb);

    const r = await sb.run('bootstrap.sh', boot.args, boot.env);

    expect(r.code).not.toBe(0);
    expect(sb.calls()).toMatch(
      /cfn-signal --success false --reason casc\/plugins\.txt pins timestamper:1\.30, which casc\/plugins\.lock does not hold: a missing plugin/,
    );
    expect(downloads()).toEqual([]);
  });

  test.each([
    ['ec2:latest sha256=' + 'a'.repeat(64) + ' source=bom', 4],
    ['ec2', 4],
  ])('a lock line %s fails the boot with casc/plugins.lock:%d', async (line, n) => {
    const files = bundleFiles(pluginFiles([DEFAULT_PLUGINS[0]]));
    publish({ ...files, 'casc/plugins.lock': `${files['casc/plugins.lock']}${line}\n` });
    serveDownloads(sb);

    const r = await sb.run('bootstrap.sh', boot.args, boot.env);

    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      `casc/plugins.lock:${n}: not 'artifactId:version sha256=<hex> source=<intent|bom|update-center>'`,
    );
  });
});
