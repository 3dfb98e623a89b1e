import * as fs from 'fs';
import * as path from 'path';

import {
  ADMIN_PASSWORD,
  bundleFiles,
  CORE_VERSION,
  expectNoSecrets,
  newVolumeDevice,
  RELOAD_TOKEN,
  Sandbox,
  serveDownloads,
} from './harness';
import { BOOT_STARTED_LOG, bootFailureLog, LOGIN_PAGE, SSHD_BOOT_CAUSE, STARTING } from './jenkins-replies';

const VOLUME = 'vol-0abc123def4567890';
const ARGS = [
  '--stack-name',
  'jg',
  '--region',
  'us-east-1',
  '--config-parameter',
  '/jg/controller/config',
  '--volume-id',
  VOLUME,
  '--signal-resource',
  'ControllerAsg',
];

describe('bootstrap.sh', () => {
  let sb: Sandbox;
  let digest: string;

  beforeEach(async () => {
    sb = new Sandbox();
    await sb.http.start();
    sb.http.sequence('PUT /latest/api/token', [[200, 'imds-token']]);
    sb.http.routes.set('GET /latest/meta-data/instance-id', (req, res) => {
      // IMDSv2: the id is only given with the token.
      const ok = req.headers['x-aws-ec2-metadata-token'] === 'imds-token';
      res.writeHead(ok ? 200 : 401).end(ok ? 'i-0123456789abcdef0' : '');
    });
    // Jenkins' replies while it boots and once it is up: jenkins-replies.ts.
    sb.http.replies('GET /login', [STARTING, LOGIN_PAGE]);
    sb.journal(BOOT_STARTED_LOG, 1);
    // The volume shows up as an NVMe device whose by-id name carries the volume id.
    const byId = sb.p('dev/disk/by-id');
    fs.mkdirSync(byId, { recursive: true });
    newVolumeDevice(path.join(byId, `nvme-Amazon_Elastic_Block_Store_${VOLUME.replace('-', '')}`));
    fs.writeFileSync(path.join(sb.dir, 'meminfo'), 'MemTotal:        8000000 kB\nMemFree: 1 kB\n');
    digest = sb.putBundle(bundleFiles(), 'bundle.zip');
    sb.setParameter(digest, 'bundle.zip');
  });

  afterEach(async () => {
    await sb.cleanup();
  });

  const run = () => sb.run('bootstrap.sh', ARGS, { JENKINS_GPU_MEMINFO: path.join(sb.dir, 'meminfo') });

  test('happy path: volume, filesystem, core, plugins, variables, units, Jenkins up, cfn-signal success', async () => {
    serveDownloads(sb);

    const r = await run();

    expect(r.stderr).toContain('Jenkins answers');
    expect(r.code).toBe(0);
    const calls = sb.calls();
    expect(calls).toContain('dnf install -y java-21-amazon-corretto-headless');
    expect(calls).toContain(
      `aws ec2 attach-volume --region us-east-1 --volume-id ${VOLUME} --instance-id i-0123456789abcdef0`,
    );
    expect(calls).toContain(
      `mkfs.ext4 -q -L JENKINS_HOME ${sb.p('dev/disk/by-id')}/nvme-Amazon_Elastic_Block_Store_vol0abc`,
    );
    expect(calls).toContain(`mount ${sb.p('var/lib/jenkins')}`);
    expect(calls).toMatch(/useradd --system .*jenkins/);
    // Exactly the lock, each plugin by its locked version: no plugin manager, no update-center JSON.
    expect(calls).not.toMatch(/^java /m);
    expect(
      sb.http.requests
        .filter((q) => q.url.startsWith('/plugins/'))
        .map((q) => q.url)
        .sort(),
    ).toEqual([
      '/plugins/configuration-as-code/1967.va_968e15fd05b_/configuration-as-code.hpi',
      '/plugins/ec2/2059.v05f9d511d7e5/ec2.hpi',
    ]);
    expect(calls).toContain('systemctl restart jenkins.service');
    expect(calls).toContain('systemctl start jenkins-gpu-healthcheck.timer');
    expect(calls).toMatch(
      /cfn-signal --success true .*--stack jg --resource ControllerAsg --region us-east-1/,
    );
    expect(calls).not.toContain('--success false');

    expect(fs.readFileSync(sb.p('etc/fstab'), 'utf8')).toBe(
      'UUID=0f0e0d0c-1111-2222-3333-444455556666 /var/lib/jenkins ext4 defaults,nofail 0 2\n',
    );
    expect(sb.current()).toBe(digest);
    expect(fs.existsSync(sb.p(`opt/jenkins-gpu/war/jenkins-${CORE_VERSION}.war`))).toBe(true);
    const vars = sb.p('run/jenkins-gpu/casc-vars');
    expect(fs.readFileSync(path.join(vars, 'ADMIN_PASSWORD'), 'utf8')).toBe(ADMIN_PASSWORD);
    expect(fs.readFileSync(path.join(vars, 'AWS_REGION'), 'utf8')).toBe('us-east-1');
    const tokenEnv = sb.p('run/jenkins-gpu/reload-token.env');
    expect(fs.readFileSync(tokenEnv, 'utf8')).toBe(`CASC_RELOAD_TOKEN=${RELOAD_TOKEN}\n`);
    expect(fs.statSync(tokenEnv).mode & 0o777).toBe(0o400);
    // 8000000 kB of memory: half of it (3906 MB) for the heap.
    expect(fs.readFileSync(sb.p('etc/jenkins-gpu/jenkins.env'), 'utf8')).toBe(
      'JAVA_HEAP_OPTS="-Xms1953m -Xmx3906m"\n',
    );
    expect(fs.readFileSync(sb.p('etc/jenkins-gpu/controller.env'), 'utf8')).toContain(
      'CONFIG_PARAMETER=/jg/controller/config',
    );
    const unit = fs.readFileSync(sb.p('etc/systemd/system/jenkins.service'), 'utf8');
    expect(unit).toContain('EnvironmentFile=/run/jenkins-gpu/reload-token.env');
    expect(unit).toContain('Environment=CASC_JENKINS_CONFIG=/opt/jenkins-gpu/config/current/casc');
    expect(unit).toContain('Environment=SECRETS=/run/jenkins-gpu/casc-vars');
    expect(unit).toContain('Restart=always');
    expect(unit).not.toContain('casc.reload.token');
    expect(fs.existsSync(sb.p('etc/systemd/system/jenkins-gpu-healthcheck.timer'))).toBe(true);
    expectNoSecrets(sb, r);
  });

  test('existing filesystem and volume already attached: no mkfs, no attach', async () => {
    serveDownloads(sb);
    sb.flag('blkid-type', 'ext4\n');
    sb.flag('volume-holder', 'i-0123456789abcdef0\n');

    const r = await run();

    expect(r.code).toBe(0);
    expect(sb.calls()).not.toContain('mkfs.ext4');
    expect(sb.calls()).not.toContain('attach-volume');
  });

  test('war sha256 mismatch: fails loudly and signals failure with the reason', async () => {
    serveDownloads(sb, { badWarSha: true });

    const r = await run();

    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('sha256 mismatch');
    const calls = sb.calls();
    expect(calls).toMatch(/cfn-signal --success false --reason sha256 mismatch for \S+jenkins\.war/);
    expect(calls).not.toContain('--success true');
    expect(calls).not.toContain('systemctl restart jenkins.service');
    expect(fs.existsSync(sb.p(`opt/jenkins-gpu/war/jenkins-${CORE_VERSION}.war`))).toBe(false);
    expectNoSecrets(sb, r);
  });

  test('a plugin whose download does not match the lock fails the boot', async () => {
    serveDownloads(sb, { tampered: ['ec2'] });

    const r = await run();

    expect(r.code).not.toBe(0);
    expect(sb.calls()).toMatch(
      /cfn-signal --success false --reason sha256 mismatch for \S+\/plugins\/ec2\/2059\.v05f9d511d7e5\/ec2\.hpi/,
    );
    expect(sb.calls()).not.toContain('systemctl restart jenkins.service');
  });

  const loginPolls = () => sb.http.requests.filter((q) => q.url === '/login').length;

  // A boot JCasC stops leaves the JVM up answering 503 on every URL and a BootFailure record early in the log
  // (a real boot, REFERENCE.md "Boot failure"; shapes in jenkins-replies.ts).
  test('a boot JCasC stops: fails at the first 503 after BootFailure is logged, with the cause as the cfn-signal reason', async () => {
    serveDownloads(sb);
    sb.failBoot(1); // bootstrap's `systemctl restart jenkins.service` is start 1

    // Waiting the whole 5 s would make 6 polls.
    const r = await sb.run('bootstrap.sh', ARGS, {
      JENKINS_GPU_MEMINFO: path.join(sb.dir, 'meminfo'),
      JENKINS_WAIT_SECONDS: '5',
      JENKINS_WAIT_INTERVAL: '1',
    });

    expect(r.code).not.toBe(0);
    expect(loginPolls()).toBe(1);
    expect(r.stderr).toContain(`ERROR: Jenkins failed to boot: ${SSHD_BOOT_CAUSE}`);
    const signal = sb
      .calls()
      .split('\n')
      .find((l) => l.startsWith('cfn-signal'));
    expect(signal).toContain(
      '--success false --reason Jenkins failed to boot: io.jenkins.plugins.casc.UnknownAttributesException: ' +
        'security: Invalid configuration elements for type: class jenkins.model.GlobalConfigurationCategory$Security : sSHD.',
    );
    expect(sb.calls()).not.toContain('--success true');
  });

  test('a slow boot (503 without BootFailure in this start): keeps waiting until JENKINS_WAIT_SECONDS', async () => {
    serveDownloads(sb);
    sb.jenkinsUnavailable(1, STARTING);
    // A boot failure of an earlier start (before this boot's restart) is not this start's.
    sb.journal(bootFailureLog(), 0);
    sb.recordSleeps();

    const r = await sb.run('bootstrap.sh', ARGS, {
      JENKINS_GPU_MEMINFO: path.join(sb.dir, 'meminfo'),
      JENKINS_WAIT_SECONDS: '2',
      JENKINS_WAIT_INTERVAL: '1',
    });

    expect(r.code).not.toBe(0);
    expect(loginPolls()).toBe(3); // at 0, 1 and 2 s
    expect(sb.sleeps()).toEqual(['sleep 1', 'sleep 1']);
    expect(sb.calls()).toMatch(
      /cfn-signal --success false --reason Jenkins did not answer on \/login within 2s \(last HTTP 503\)/,
    );
  });

  test('reboot (--no-signal): brings Jenkins up again without signalling CloudFormation', async () => {
    serveDownloads(sb);
    sb.flag('blkid-type', 'ext4\n');
    sb.flag('volume-holder', 'i-0123456789abcdef0\n');

    const r = await sb.run('bootstrap.sh', [...ARGS.slice(0, -2), '--no-signal'], {
      JENKINS_GPU_MEMINFO: path.join(sb.dir, 'meminfo'),
    });

    expect(r.code).toBe(0);
    expect(sb.calls()).toContain('systemctl restart jenkins.service');
    expect(sb.calls()).not.toContain('cfn-signal');
    expect(fs.readFileSync(sb.p('run/jenkins-gpu/reload-token.env'), 'utf8')).toBe(
      `CASC_RELOAD_TOKEN=${RELOAD_TOKEN}\n`,
    );
  });

  test('needs exactly one of --signal-resource and --no-signal', async () => {
    const both = await sb.run('bootstrap.sh', [...ARGS, '--no-signal']);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toContain('(--signal-resource ID | --no-signal)');
    const neither = await sb.run('bootstrap.sh', ARGS.slice(0, -2));
    expect(neither.code).not.toBe(0);
    expect(sb.calls()).not.toContain('cfn-signal');
  });
});
