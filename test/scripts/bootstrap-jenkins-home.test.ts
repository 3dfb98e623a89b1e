import * as fs from 'fs';
import * as path from 'path';

import {
  ADMIN_PASSWORD,
  BOOT_VOLUME,
  bundleFiles,
  prepareControllerBoot,
  Sandbox,
  serveDownloads,
} from './harness';

/**
 * JENKINS_HOME is never lost or shrunk: the volume is formatted only when provably new (blkid -p finds no
 * signature and the first MiB is zeros; fake blkid, the real cmp on a device file), any probe error stops the
 * boot unformatted, the filesystem is grown online after mount, and the JCasC variable files are replaced
 * only once all new ones are written.
 */
describe('bootstrap.sh and JENKINS_HOME', () => {
  let sb: Sandbox;
  let boot: { args: string[]; env: Record<string, string> };
  const device = () => sb.p(`dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${BOOT_VOLUME.replace('-', '')}`);

  beforeEach(async () => {
    sb = new Sandbox();
    await sb.http.start();
    boot = prepareControllerBoot(sb);
    sb.setParameter(sb.putBundle(bundleFiles(), 'bundle.zip'), 'bundle.zip');
    serveDownloads(sb);
  });

  afterEach(async () => {
    await sb.cleanup();
  });

  const run = () => sb.run('bootstrap.sh', boot.args, boot.env);
  const lines = () => sb.calls().split('\n');

  test('a new volume (no signature, first MiB zeros) is formatted, mounted and grown', async () => {
    const r = await run();

    expect(r.code).toBe(0);
    const probe = lines().indexOf(`blkid -p ${device()}`);
    const mkfs = lines().indexOf(`mkfs.ext4 -q -L JENKINS_HOME ${device()}`);
    const mount = lines().indexOf(`mount ${sb.p('var/lib/jenkins')}`);
    const grow = lines().indexOf(`resize2fs ${device()}`);
    expect(probe).toBeGreaterThan(-1);
    expect(mkfs).toBeGreaterThan(probe);
    expect(mount).toBeGreaterThan(mkfs);
    expect(grow).toBeGreaterThan(mount);
  });

  test('an existing filesystem is kept and grown online after mount (a raised jenkinsHomeSizeGiB)', async () => {
    sb.flag('blkid-type', 'ext4');

    const r = await run();

    expect(r.code).toBe(0);
    expect(sb.calls()).not.toContain('mkfs');
    expect(r.stderr).toContain('TYPE="ext4"');
    expect(lines().indexOf(`resize2fs ${device()}`)).toBeGreaterThan(
      lines().indexOf(`mount ${sb.p('var/lib/jenkins')}`),
    );
  });

  test.each([
    ['4', 'an I/O error'],
    ['8', 'an ambiguous probe'],
  ])('a probe error (blkid exit %s, %s) stops the boot without formatting', async (code) => {
    sb.flag('blkid-probe-error', code);

    const r = await run();

    expect(r.code).not.toBe(0);
    expect(sb.calls()).not.toContain('mkfs');
    expect(sb.calls()).not.toContain('mount ');
    expect(sb.calls()).toMatch(
      new RegExp(`cfn-signal --success false --reason blkid -p \\S+ failed \\(exit ${code}: blkid: error: `),
    );
  });

  test('no signature blkid knows but data in the first MiB: not formatted, the boot stops', async () => {
    const fd = fs.openSync(device(), 'r+');
    fs.writeSync(fd, Buffer.from('LUKS\xba\xbe'), 0, 6, 4096);
    fs.closeSync(fd);

    const r = await run();

    expect(r.code).not.toBe(0);
    expect(sb.calls()).not.toContain('mkfs');
    expect(sb.calls()).toMatch(
      /--reason \S+ has no filesystem signature blkid knows, but its first MiB is not zeros/,
    );
  });

  test('a device whose first MiB cannot be read: not formatted, the boot stops', async () => {
    // cmp cannot read a directory (exit 2), as it cannot read a device with an I/O error.
    fs.rmSync(device());
    fs.mkdirSync(device());

    const r = await run();

    expect(r.code).not.toBe(0);
    expect(sb.calls()).not.toContain('mkfs');
    expect(sb.calls()).toMatch(/--reason cannot read the first MiB of \S+ \(cmp exit 2\): not formatting/);
  });

  test('a failed grow keeps the old size and the boot goes on', async () => {
    sb.flag('blkid-type', 'ext4');
    sb.flag('resize2fs-fails');

    const r = await run();

    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`resize2fs ${device()} failed: JENKINS_HOME keeps its filesystem size`);
  });
});

describe('lib.sh write_casc_vars', () => {
  let sb: Sandbox;
  const vars = () => sb.p('run/jenkins-gpu/casc-vars');

  beforeEach(() => {
    sb = new Sandbox();
    sb.installActiveRelease(bundleFiles());
    fs.writeFileSync(path.join(vars(), 'ADMIN_PASSWORD'), 'the previous password');
    sb.setParameter('0'.repeat(64), 'bundle.zip');
  });

  afterEach(async () => {
    await sb.cleanup();
  });

  const write = () =>
    sb.runLib('write_casc_vars "$(cat "$FAKE_DIR/parameter.json")"', { AWS_REGION: 'us-east-1' });

  test('a secret that cannot be read leaves every previous file as it was, and no staging directory', async () => {
    fs.rmSync(path.join(sb.fake, 'secrets', 'admin-password'));

    const r = await write();

    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('cannot read secret');
    // The new JENKINS_URL was written before the secret failed: it must not have replaced the previous one.
    expect(fs.readFileSync(path.join(vars(), 'JENKINS_URL'), 'utf8')).toBe('http://old.example.com/');
    expect(fs.readFileSync(path.join(vars(), 'ADMIN_PASSWORD'), 'utf8')).toBe('the previous password');
    expect(fs.existsSync(path.join(vars(), 'AWS_REGION'))).toBe(false);
    expect(fs.readdirSync(sb.p('run/jenkins-gpu')).filter((n) => n.includes('staging'))).toEqual([]);
  });

  test('all written: every file replaced, private, no staging directory left', async () => {
    const r = await write();

    expect(r.code).toBe(0);
    expect(fs.readFileSync(path.join(vars(), 'JENKINS_URL'), 'utf8')).toBe('http://jenkins.example.com/');
    expect(fs.readFileSync(path.join(vars(), 'ADMIN_PASSWORD'), 'utf8')).toBe(ADMIN_PASSWORD);
    expect(fs.statSync(path.join(vars(), 'ADMIN_PASSWORD')).mode & 0o777).toBe(0o400);
    expect(fs.readdirSync(sb.p('run/jenkins-gpu')).filter((n) => n.includes('staging'))).toEqual([]);
    expect(fs.readdirSync(vars()).filter((n) => n.startsWith('.'))).toEqual([]);
  });
});
