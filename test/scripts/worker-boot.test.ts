/**
 * Runs the GPU worker boot the way an instance does: the user data as rendered into the shipped casc and
 * resolved by JCasC (its `${WORKER_PAYLOAD_S3_URI}` filled, `^${` un-escaped), which fetches the rendered
 * worker payload from a fake S3 and runs it. Everything happens in a sandbox root
 * (JENKINS_GPU_WORKER_ROOT) with fakes on PATH (test/fakes/worker: aws, curl as IMDSv2, systemctl, apt-get,
 * java, update-alternatives, chown, python3 with boto3, ss) and only the real tools the scripts need.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { bundleOfRepo } from '../../lib/casc/load-casc';
import { resolveLikeJcasc, shippedTemplates } from '../tools/jcasc';

const REPO = path.resolve(__dirname, '../..');
const FAKES = path.join(REPO, 'test/fakes/worker');
const REAL_TOOLS = [
  'bash',
  'cat',
  'chmod',
  'cp',
  'cut',
  'date',
  'dirname',
  'flock',
  'grep',
  'install',
  'mkdir',
  'mv',
  'rm',
  'sha256sum',
  'sleep',
  'tr',
  'awk',
];
const BUCKET = 'cdk-hnb659fds-assets-111122223333-eu-west-1';

const bundle = bundleOfRepo(REPO);
const payload = bundle.workerPayload!;
const payloadUri = `s3://${BUCKET}/${payload.sha256}.sh`;
const [onDemand] = shippedTemplates(bundle);

function which(tool: string): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const candidate = path.join(dir, tool);
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error(`${tool} not found`);
}

interface Scenario {
  /** Content of the S3 object (default: the real payload); null: no such object. */
  object?: string | null;
  noAws?: boolean;
  noBoto3?: boolean;
  /** Packages apt cannot find. */
  aptMissing?: string[];
  javaVersion?: string;
  /** IMDS answers nothing. */
  imdsDown?: boolean;
  /** The build user as a Deep Learning AMI leaves it: cloud-init's NOPASSWD rule, the docker and lxd groups. */
  dlamiUser?: boolean;
}

/** /etc/sudoers.d/90-cloud-init-users as cloud-init writes it for the default user on Ubuntu. */
const CLOUD_INIT_SUDOERS =
  '# Created by cloud-init v. 24.1 on Mon, 30 Nov 2026 10:00:00 +0000\n\n# User rules for ubuntu\nubuntu ALL=(ALL) NOPASSWD:ALL\n';
const GROUPS = 'root:x:0:\nadm:x:4:syslog,ubuntu\nsudo:x:27:ubuntu\nlxd:x:110:ubuntu\ndocker:x:999:ubuntu\n';

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-boot-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A sandboxed worker: `run(file)` runs a script there as root would. */
function worker(s: Scenario = {}) {
  const root = path.join(tmp, 'root');
  const fake = path.join(tmp, 'fake');
  const bin = path.join(tmp, 'bin');
  for (const dir of [root, fake, bin]) fs.mkdirSync(dir, { recursive: true });
  for (const tool of REAL_TOOLS) fs.symlinkSync(which(tool), path.join(bin, tool));
  const fakes = [
    'curl',
    'systemctl',
    'apt-get',
    'java',
    'update-alternatives',
    'chown',
    'python3',
    'ss',
    'gpasswd',
  ];
  for (const tool of [...fakes, ...(s.noAws ? [] : ['aws'])]) {
    fs.symlinkSync(path.join(FAKES, tool), path.join(bin, tool));
  }
  const object = s.object === undefined ? payload.content : s.object;
  if (object !== null) {
    fs.mkdirSync(path.join(fake, 's3', BUCKET), { recursive: true });
    fs.writeFileSync(path.join(fake, 's3', BUCKET, `${payload.sha256}.sh`), object);
  }
  if (!s.imdsDown) {
    fs.mkdirSync(path.join(fake, 'imds', 'placement'), { recursive: true });
    fs.writeFileSync(path.join(fake, 'imds', 'placement', 'region'), 'eu-west-1');
  }
  if (s.dlamiUser) {
    fs.mkdirSync(path.join(root, 'etc/sudoers.d'), { recursive: true });
    fs.writeFileSync(path.join(root, 'etc/sudoers.d/90-cloud-init-users'), CLOUD_INIT_SUDOERS);
    fs.writeFileSync(path.join(root, 'etc/sudoers.d/README'), '# sudo reads the files in this directory\n');
    fs.writeFileSync(path.join(root, 'etc/group'), GROUPS);
  }
  if (s.noBoto3) fs.writeFileSync(path.join(fake, 'no-boto3'), '');
  if (s.aptMissing) fs.writeFileSync(path.join(fake, 'apt-missing'), `${s.aptMissing.join('\n')}\n`);
  if (s.javaVersion) fs.writeFileSync(path.join(fake, 'java-version'), s.javaVersion);
  fs.writeFileSync(
    path.join(fake, 'java-alternatives'),
    '/usr/lib/jvm/java-17-openjdk-amd64/bin/java\n/usr/lib/jvm/java-21-openjdk-amd64/bin/java\n',
  );

  const run = (file: string) => {
    const r = spawnSync('/bin/bash', [file], {
      env: {
        PATH: bin,
        FAKE_DIR: fake,
        JENKINS_GPU_WORKER_ROOT: root,
        IMDS_URL: 'http://imds.test',
        PAYLOAD_FETCH_DELAY_SECONDS: '0',
      },
      encoding: 'utf8',
    });
    return { status: r.status, stderr: r.stderr };
  };
  const userData = path.join(tmp, 'user-data.sh');
  fs.writeFileSync(userData, resolveLikeJcasc(onDemand.userData, { WORKER_PAYLOAD_S3_URI: payloadUri }));
  const file = (rel: string) => path.join(root, rel);
  return {
    root,
    fake,
    bootFirstTime: () => run(userData),
    /** What jenkins-gpu-worker-payload.service runs on a later boot. */
    bootAgain: () => run(file('usr/local/sbin/jenkins-gpu-worker-payload')),
    calls: () =>
      fs.existsSync(path.join(fake, 'calls.log'))
        ? fs.readFileSync(path.join(fake, 'calls.log'), 'utf8').trimEnd().split('\n')
        : [],
    exists: (rel: string) => fs.existsSync(file(rel)),
    read: (rel: string) => fs.readFileSync(file(rel), 'utf8'),
    putObject: (content: string) => {
      fs.mkdirSync(path.join(fake, 's3', BUCKET), { recursive: true });
      fs.writeFileSync(path.join(fake, 's3', BUCKET, `${payload.sha256}.sh`), content);
    },
  };
}

const indexOf = (calls: string[], pattern: RegExp): number => calls.findIndex((c) => pattern.test(c));
const FALLBACK_ON = /^systemctl enable --now jenkins-gpu-fallback-idle-stop\.timer$/;
const FALLBACK_OFF = /^systemctl disable --now jenkins-gpu-fallback-idle-stop\.timer$/;
const WATCHDOG_ON = /^systemctl enable --now jenkins-gpu-idle-watchdog\.timer$/;
const FETCH = /^aws s3 cp /;
const APT = /^apt-get /;

describe('a first boot with the payload in S3', () => {
  it('starts the fallback idle stop before it fetches anything', () => {
    const w = worker();
    expect(w.bootFirstTime().status).toBe(0);
    const calls = w.calls();
    expect(indexOf(calls, FALLBACK_ON)).toBeGreaterThanOrEqual(0);
    expect(indexOf(calls, FALLBACK_ON)).toBeLessThan(indexOf(calls, FETCH));
    expect(w.read('etc/jenkins-gpu/fallback-idle-stop.env')).toBe('NO_SSH_MINUTES=20\n');
  });

  it('fetches the pinned payload with the instance region and runs it', () => {
    const w = worker();
    expect(w.bootFirstTime().status).toBe(0);
    expect(w.calls()).toContain(
      `aws s3 cp --only-show-errors --region eu-west-1 ${payloadUri} ${w.root}/usr/local/lib/jenkins-gpu/worker-payload-${payload.sha256}.sh.partial`,
    );
    expect(w.read(`usr/local/lib/jenkins-gpu/worker-payload-${payload.sha256}.sh`)).toBe(payload.content);
    expect(w.exists('var/lib/jenkins-gpu/payload-installed')).toBe(true);
  });

  it('installs and starts the full watchdog before any apt step, then retires the fallback', () => {
    const w = worker();
    expect(w.bootFirstTime().status).toBe(0);
    const calls = w.calls();
    expect(indexOf(calls, WATCHDOG_ON)).toBeGreaterThan(indexOf(calls, FETCH));
    expect(indexOf(calls, WATCHDOG_ON)).toBeLessThan(indexOf(calls, APT));
    expect(indexOf(calls, FALLBACK_OFF)).toBeGreaterThan(indexOf(calls, WATCHDOG_ON));
    expect(w.read('usr/local/sbin/jenkins-gpu-idle-watchdog')).toBe(
      fs.readFileSync(path.join(REPO, 'assets/worker/idle-watchdog.sh'), 'utf8'),
    );
    expect(w.read('etc/jenkins-gpu/watchdog.env')).toMatch(
      /^NO_AGENT_MINUTES=20\nIDLE_AGENT_MINUTES=30\nMAX_BUSY_NO_AGENT_MINUTES=4440\n/m,
    );
  });

  it('leaves enabled units that carry the boot across a stop/start (user data runs once)', () => {
    const w = worker();
    expect(w.bootFirstTime().status).toBe(0);
    const calls = w.calls();
    expect(calls).toContain('systemctl enable jenkins-gpu-worker-payload.service');
    expect(calls).toContain('systemctl enable jenkins-gpu-worker-setup.service');
    for (const unit of [
      'jenkins-gpu-idle-watchdog.service',
      'jenkins-gpu-idle-watchdog.timer',
      'jenkins-gpu-worker-setup.service',
    ]) {
      expect(w.read(`etc/systemd/system/${unit}`)).toBe(
        fs.readFileSync(path.join(REPO, 'assets/worker/systemd', unit), 'utf8'),
      );
    }
    expect(w.read('etc/systemd/system/jenkins-gpu-worker-payload.service')).toMatch(
      /^ConditionPathExists=!\/var\/lib\/jenkins-gpu\/payload-installed$/m,
    );
    expect(w.read('etc/systemd/system/jenkins-gpu-fallback-idle-stop.timer')).toMatch(
      /^WantedBy=timers\.target$/m,
    );
  });

  it('installs Java 21 only, makes it the java on PATH, and marks the boot complete', () => {
    const w = worker();
    expect(w.bootFirstTime().status).toBe(0);
    const calls = w.calls();
    expect(calls.filter((c) => /^apt-get .*openjdk/.test(c))).toEqual([
      'apt-get -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold -y -q install --no-install-recommends openjdk-21-jre-headless',
    ]);
    expect(calls).toContain('update-alternatives --set java /usr/lib/jvm/java-21-openjdk-amd64/bin/java');
    expect(w.exists('var/lib/jenkins-gpu/boot-complete')).toBe(true);
    expect(w.exists('var/lib/jenkins-gpu/boot-failed')).toBe(false);
  });

  it('uses boto3 from the system Python when the AMI has no AWS CLI', () => {
    const w = worker({ noAws: true });
    expect(w.bootFirstTime().status).toBe(0);
    expect(w.calls()).toContain(
      `python3 - eu-west-1 ${BUCKET} ${payload.sha256}.sh ${w.root}/usr/local/lib/jenkins-gpu/worker-payload-${payload.sha256}.sh.partial`,
    );
    expect(w.exists('var/lib/jenkins-gpu/boot-complete')).toBe(true);
  });
});

describe('a payload that cannot be had', () => {
  it('keeps the fallback idle stop, retries with backoff, then fails with the reason for the node log', () => {
    const w = worker({ object: null });
    const r = w.bootFirstTime();
    expect(r.status).not.toBe(0);
    const calls = w.calls();
    expect(calls.filter((c) => FETCH.test(c))).toHaveLength(6);
    expect(indexOf(calls, FALLBACK_ON)).toBeGreaterThanOrEqual(0);
    expect(indexOf(calls, FALLBACK_OFF)).toBe(-1);
    expect(indexOf(calls, APT)).toBe(-1);
    expect(w.read('var/lib/jenkins-gpu/boot-failed')).toBe(
      `worker payload: cannot fetch ${payloadUri} after 6 attempt(s): fatal error: An error occurred (404) when calling the HeadObject operation: Not Found; the fallback idle stop powers this worker off when idle\n`,
    );
    expect(r.stderr).toContain('retrying in 0s');
    expect(w.exists('var/lib/jenkins-gpu/payload-installed')).toBe(false);
  });

  it('is fetched again on a later boot by the payload unit, and then completes', () => {
    const w = worker({ object: null });
    expect(w.bootFirstTime().status).not.toBe(0);
    w.putObject(payload.content);
    expect(w.bootAgain().status).toBe(0);
    expect(w.exists('var/lib/jenkins-gpu/boot-complete')).toBe(true);
    expect(w.exists('var/lib/jenkins-gpu/boot-failed')).toBe(false);
  });

  it('never runs an object whose sha256 differs from the pinned one, and does not retry it', () => {
    const w = worker({ object: '#!/bin/bash\necho tampered\n' });
    expect(w.bootFirstTime().status).not.toBe(0);
    const calls = w.calls();
    expect(calls.filter((c) => FETCH.test(c))).toHaveLength(1);
    expect(indexOf(calls, WATCHDOG_ON)).toBe(-1);
    expect(indexOf(calls, FALLBACK_OFF)).toBe(-1);
    expect(w.read('var/lib/jenkins-gpu/boot-failed')).toMatch(
      new RegExp(
        `^worker payload: ${payloadUri} has sha256 [0-9a-f]{64}, the user data pins ${payload.sha256}; not running it`,
      ),
    );
    expect(w.exists(`usr/local/lib/jenkins-gpu/worker-payload-${payload.sha256}.sh`)).toBe(false);
  });

  it('fails at once when the AMI has neither the AWS CLI nor boto3', () => {
    const w = worker({ noAws: true, noBoto3: true });
    expect(w.bootFirstTime().status).not.toBe(0);
    expect(w.read('var/lib/jenkins-gpu/boot-failed')).toContain(
      'after 1 attempt(s): neither the AWS CLI nor boto3 is installed on this AMI',
    );
    expect(indexOf(w.calls(), FALLBACK_ON)).toBeGreaterThanOrEqual(0);
  });

  it('fails with the reason when the instance metadata service gives no region', () => {
    const w = worker({ imdsDown: true });
    expect(w.bootFirstTime().status).not.toBe(0);
    expect(w.read('var/lib/jenkins-gpu/boot-failed')).toBe(
      'worker payload: no region from the instance metadata service at http://imds.test\n',
    );
  });
});

describe('no root for builds', () => {
  it('takes passwordless sudo and the docker and lxd groups from the build user, before the boot is complete', () => {
    const w = worker({ dlamiUser: true });
    expect(w.bootFirstTime().status).toBe(0);
    expect(w.read('etc/sudoers.d/90-cloud-init-users')).toBe(
      '# Created by cloud-init v. 24.1 on Mon, 30 Nov 2026 10:00:00 +0000\n\n# User rules for ubuntu\n',
    );
    expect(w.read('etc/sudoers.d/README')).toBe('# sudo reads the files in this directory\n');
    expect(fs.readdirSync(path.join(w.root, 'etc/sudoers.d')).sort()).toEqual([
      '90-cloud-init-users',
      'README',
    ]);
    expect(w.read('etc/group')).toBe(
      'root:x:0:\nadm:x:4:syslog,ubuntu\nsudo:x:27:ubuntu\nlxd:x:110:\ndocker:x:999:\n',
    );
    const calls = w.calls();
    expect(calls.filter((c) => c.startsWith('gpasswd'))).toEqual([
      'gpasswd -d ubuntu docker',
      'gpasswd -d ubuntu lxd',
    ]);
    expect(w.exists('var/lib/jenkins-gpu/boot-complete')).toBe(true);
  });

  it('does nothing on an AMI without those rules and groups', () => {
    const w = worker();
    expect(w.bootFirstTime().status).toBe(0);
    expect(w.calls().filter((c) => c.startsWith('gpasswd'))).toEqual([]);
    expect(w.exists('var/lib/jenkins-gpu/boot-complete')).toBe(true);
  });
});

describe('the package setup', () => {
  it('fails the boot loudly when Java 21 cannot be installed, with no older Java as a fallback', () => {
    const w = worker({ aptMissing: ['openjdk-21-jre-headless'] });
    expect(w.bootFirstTime().status).not.toBe(0);
    const calls = w.calls();
    expect(calls.filter((c) => /openjdk-1[0-9]/.test(c))).toEqual([]);
    expect(w.read('var/lib/jenkins-gpu/boot-failed')).toBe(
      'worker setup: cannot install openjdk-21-jre-headless: Jenkins agents of this core need Java 21 or newer\n',
    );
    expect(w.exists('var/lib/jenkins-gpu/boot-complete')).toBe(false);
    // The cost guard is in place all the same: the full watchdog runs, the setup unit retries next boot.
    expect(indexOf(calls, WATCHDOG_ON)).toBeGreaterThanOrEqual(0);
    expect(calls).toContain('systemctl enable jenkins-gpu-worker-setup.service');
  });

  it('refuses a java on PATH older than 21', () => {
    const w = worker({ javaVersion: '17' });
    expect(w.bootFirstTime().status).not.toBe(0);
    expect(w.read('var/lib/jenkins-gpu/boot-failed')).toBe(
      "worker setup: java on PATH is version '17', Jenkins agents of this core need 21 or newer\n",
    );
  });

  it('masks apt timers and waits for the dpkg lock before its first apt step', () => {
    const w = worker();
    expect(w.bootFirstTime().status).toBe(0);
    const calls = w.calls();
    expect(indexOf(calls, /^systemctl mask apt-daily\.timer /)).toBeLessThan(indexOf(calls, APT));
    expect(calls.filter((c) => APT.test(c)).every((c) => c.includes('-o DPkg::Lock::Timeout=600'))).toBe(
      true,
    );
    expect(w.read('etc/apt/apt.conf.d/99jenkins-gpu-no-periodic')).toContain('APT::Periodic::Enable "0";');
  });
});
