/**
 * Runs the real `assets/worker/idle-watchdog.sh` with fake `ss`, `ps`, `nvidia-smi`, `systemctl`, `curl`
 * (IMDSv2) and `aws` (test/fakes/worker) on a PATH that holds nothing else but the few real tools the script
 * needs, a fixed clock (WATCHDOG_NOW), so no test sleeps, and a remote FS in a temp dir whose durable-task
 * heartbeat files get their mtimes from `touch -d`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '../..');
const SCRIPT = path.join(REPO, 'assets/worker/idle-watchdog.sh');
const FAKES = path.join(REPO, 'test/fakes/worker');
const REAL_TOOLS = ['awk', 'cat', 'date', 'find', 'mkdir', 'rm', 'tr'];
const NOW = 1_800_000_000;
const NOW_ISO = '2027-01-15T08:00:00Z';
const INSTANCE_ID = 'i-0123456789abcdef0';

const PS_HEADER_LESS = [
  '    1     0 /sbin/init',
  '  900     1 sshd: ubuntu [priv]',
  '  950   900 bash -c cd "/tmp" && java -jar /tmp/remoting.jar -workDir /home/ubuntu/jenkins',
  '  990     1 /usr/bin/python3 /usr/bin/unattended-upgrade-shutdown --wait-for-signal',
].join('\n');
const AGENT = '  1000   950 java -jar /tmp/remoting.jar -workDir /home/ubuntu/jenkins';
/** A step that did not go through durable-task: a child of the agent java. */
const CHILD_BUILD = ['  1100  1000 /bin/sh -c echo build', '  1101  1100 python3 train.py'].join('\n');
/**
 * A `sh` step as durable-task really runs it: `nohup sh -c "(…) >&- 2>&- &"` exits at once, so the step's
 * wrapper, shell and the training process hang off PID 1, not off the agent java.
 */
const DURABLE = '/home/ubuntu/jenkins/workspace/train@tmp/durable-5c1f9a2e';
const DURABLE_BUILD = [
  `  1200     1 sh -c ({ while [ -d '${DURABLE}' -a \\! -f '${DURABLE}/jenkins-result.txt' ]; do touch '${DURABLE}/jenkins-log.txt'; sleep 3; done } & jsc=durable-0123; JENKINS_SERVER_COOKIE=$jsc 'sh' -xe '${DURABLE}/script.sh' > '${DURABLE}/jenkins-log.txt' 2>&1; echo $? > '${DURABLE}/jenkins-result.txt.tmp'; mv '${DURABLE}/jenkins-result.txt.tmp' '${DURABLE}/jenkins-result.txt'; wait) >&- 2>&- &`,
  `  1201  1200 sh -xe ${DURABLE}/script.sh`,
  '  1202  1201 python3 train.py --output_dir=/tmp/out',
  '  1203  1200 sleep 3',
].join('\n');
const SSH_ESTABLISHED = '0      0      10.0.1.5:22      10.0.0.7:53422';

interface Scenario {
  ps?: string;
  ss?: string;
  ssRc?: number;
  nvidia?: string | null; // null: nvidia-smi not installed
  nvidiaRc?: number;
  env?: Record<string, string>;
  /** Seconds ago that each state file was written (absent: no file). */
  noAgentSince?: number;
  idleSince?: number;
  busyNoAgentSince?: number;
  /** Extra lines of watchdog.env (after STATE_DIR and REMOTE_FS); the default sets 20 and 30 minutes. */
  envFile?: string;
  /** Files under the remote FS (relative path → seconds since last modified, set with `touch -d`). */
  files?: Record<string, number>;
  /** Seconds ago that the busy tag was last written (absent: never). */
  busyTagAt?: number;
  /** IMDS answers (meta-data path → value); default: an instance id and us-east-1. */
  imds?: Record<string, string>;
  awsRc?: number;
  awsOut?: string;
  /** Only these `aws <service>.<command>` calls fail (e.g. `ec2.create-tags`), with that output. */
  awsFails?: Record<string, { rc: number; out: string }>;
  curlRc?: number;
  /** No `aws` on PATH. */
  noAws?: boolean;
}

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'watchdog-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

function which(tool: string): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const candidate = path.join(dir, tool);
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error(`${tool} not found`);
}

function runWatchdog(s: Scenario) {
  const run = fs.mkdtempSync(path.join(tmp, 'run-')); // several runs per test start from nothing each
  const bin = path.join(run, 'bin');
  const fake = path.join(run, 'fake');
  const state = path.join(run, 'state');
  fs.mkdirSync(bin);
  fs.mkdirSync(fake);
  fs.mkdirSync(state);
  for (const tool of REAL_TOOLS) fs.symlinkSync(which(tool), path.join(bin, tool));
  const remoteFs = path.join(run, 'remote-fs');
  const fakes = [
    'ss',
    'ps',
    'systemctl',
    'curl',
    ...(s.noAws ? [] : ['aws']),
    ...(s.nvidia === null ? [] : ['nvidia-smi']),
  ];
  for (const tool of fakes) fs.symlinkSync(path.join(FAKES, tool), path.join(bin, tool));

  fs.writeFileSync(path.join(fake, 'ps.out'), `${s.ps ?? PS_HEADER_LESS}\n`);
  fs.writeFileSync(path.join(fake, 'ss.out'), s.ss === undefined ? '' : `${s.ss}\n`);
  if (s.ssRc !== undefined) fs.writeFileSync(path.join(fake, 'ss.rc'), String(s.ssRc));
  if (typeof s.nvidia === 'string') fs.writeFileSync(path.join(fake, 'nvidia-smi.out'), `${s.nvidia}\n`);
  if (s.nvidiaRc !== undefined) fs.writeFileSync(path.join(fake, 'nvidia-smi.rc'), String(s.nvidiaRc));
  if (s.noAgentSince !== undefined)
    fs.writeFileSync(path.join(state, 'no-agent-since'), `${NOW - s.noAgentSince}\n`);
  if (s.idleSince !== undefined) fs.writeFileSync(path.join(state, 'idle-since'), `${NOW - s.idleSince}\n`);
  if (s.busyNoAgentSince !== undefined)
    fs.writeFileSync(path.join(state, 'busy-no-agent-since'), `${NOW - s.busyNoAgentSince}\n`);
  if (s.busyTagAt !== undefined) fs.writeFileSync(path.join(state, 'busy-tag-at'), `${NOW - s.busyTagAt}\n`);
  const imds = s.imds ?? {
    'instance-id': INSTANCE_ID,
    'placement/region': 'eu-west-1',
    'iam/info': IAM_INFO,
  };
  for (const [item, value] of Object.entries(imds)) {
    fs.mkdirSync(path.dirname(path.join(fake, 'imds', item)), { recursive: true });
    fs.writeFileSync(path.join(fake, 'imds', item), value);
  }
  if (s.awsRc !== undefined) fs.writeFileSync(path.join(fake, 'aws.rc'), String(s.awsRc));
  for (const [command, failure] of Object.entries(s.awsFails ?? {})) {
    fs.writeFileSync(path.join(fake, `aws.${command}.rc`), String(failure.rc));
    fs.writeFileSync(path.join(fake, `aws.${command}.out`), failure.out);
  }
  if (s.awsOut !== undefined) fs.writeFileSync(path.join(fake, 'aws.out'), s.awsOut);
  if (s.curlRc !== undefined) fs.writeFileSync(path.join(fake, 'curl.rc'), String(s.curlRc));
  for (const [file, age] of Object.entries(s.files ?? {})) {
    const full = path.join(remoteFs, file);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, '+ python3 train.py\n');
    execFileSync(which('touch'), ['-d', `@${NOW - age}`, full]);
  }

  const envFile = path.join(run, 'watchdog.env');
  fs.writeFileSync(
    envFile,
    `STATE_DIR=${state}\nREMOTE_FS=${remoteFs}\n${s.envFile ?? 'NO_AGENT_MINUTES=20\nIDLE_AGENT_MINUTES=30\n'}`,
  );
  const result = spawnSync('/bin/bash', [SCRIPT], {
    env: {
      PATH: bin,
      FAKE_DIR: fake,
      WATCHDOG_ENV_FILE: envFile,
      WATCHDOG_NOW: String(NOW),
      IMDS_URL: 'http://imds.test',
      ...s.env,
    },
    encoding: 'utf8',
  });
  const calls = fs.existsSync(path.join(fake, 'calls.log'))
    ? fs.readFileSync(path.join(fake, 'calls.log'), 'utf8')
    : '';
  const stateFile = (name: string) =>
    fs.existsSync(path.join(state, name))
      ? Number(fs.readFileSync(path.join(state, name), 'utf8'))
      : undefined;
  return {
    status: result.status,
    stderr: result.stderr,
    poweredOff: calls.includes('systemctl poweroff'),
    calls,
    noAgentSince: stateFile('no-agent-since'),
    idleSince: stateFile('idle-since'),
    busyNoAgentSince: stateFile('busy-no-agent-since'),
    busyTagAt: stateFile('busy-tag-at'),
    createTags: calls.split('\n').filter((line) => line.startsWith('aws ec2 create-tags')),
    putMetricData: calls.split('\n').filter((line) => line.startsWith('aws cloudwatch put-metric-data')),
  };
}

const connectedIdle: Scenario = { ps: `${PS_HEADER_LESS}\n${AGENT}`, ss: SSH_ESTABLISHED, nvidia: '0' };

describe('agent connected', () => {
  it('keeps a worker whose agent has child processes (a step outside durable-task), and clears the idle clock', () => {
    const r = runWatchdog({
      ...connectedIdle,
      ps: `${PS_HEADER_LESS}\n${AGENT}\n${CHILD_BUILD}`,
      idleSince: 3600,
    });
    expect(r.status).toBe(0);
    expect(r.poweredOff).toBe(false);
    expect(r.stderr.split('\n')[0]).toBe(
      'jenkins-gpu-idle-watchdog: decision=keep agent connected and busy (heartbeat=none build_processes=2 gpu=idle)',
    );
    expect(r.idleSince).toBeUndefined();
  });

  it('starts the idle clock on the first idle run', () => {
    const r = runWatchdog(connectedIdle);
    expect(r.poweredOff).toBe(false);
    expect(r.idleSince).toBe(NOW);
    expect(r.stderr).toContain(
      'decision=keep agent connected, idle for 0s (heartbeat=none build_processes=0 gpu=idle) limit=30m',
    );
  });

  it('keeps an idle agent exactly at IDLE_AGENT_MINUTES', () => {
    const r = runWatchdog({ ...connectedIdle, idleSince: 30 * 60 });
    expect(r.poweredOff).toBe(false);
    expect(r.stderr).toContain('decision=keep');
  });

  it('powers off an idle agent past IDLE_AGENT_MINUTES', () => {
    const r = runWatchdog({ ...connectedIdle, idleSince: 30 * 60 + 1 });
    expect(r.poweredOff).toBe(true);
    expect(r.stderr).toBe(
      'jenkins-gpu-idle-watchdog: decision=poweroff agent connected, idle for 1801s (heartbeat=none build_processes=0 gpu=idle) limit=30m\n',
    );
  });

  it('keeps the worker while any GPU is in use, even with no build process', () => {
    const r = runWatchdog({ ...connectedIdle, nvidia: '0\n87', idleSince: 3 * 3600 });
    expect(r.poweredOff).toBe(false);
    expect(r.stderr).toContain('busy (heartbeat=none build_processes=0 gpu=busy)');
    expect(r.createTags).toEqual([]); // GPU use alone is not a build: no busy tag
    expect(r.calls).toContain('nvidia-smi --query-gpu=utilization.gpu --format=csv,noheader,nounits');
  });

  it.each([
    ['nvidia-smi missing', { nvidia: null }],
    ['nvidia-smi failing', { nvidia: 'NVIDIA-SMI has failed', nvidiaRc: 9 }],
  ])('counts the GPU as idle when %s', (_label, gpu) => {
    const r = runWatchdog({ ...connectedIdle, ...gpu, idleSince: 30 * 60 + 1 });
    expect(r.poweredOff).toBe(true);
    expect(r.stderr).toContain('gpu=unknown');
  });

  it('treats an agent java with no SSH connection as not connected (orphan)', () => {
    const r = runWatchdog({ ...connectedIdle, ss: '', noAgentSince: 20 * 60 + 1 });
    expect(r.poweredOff).toBe(true);
    expect(r.stderr).toContain(
      'no agent connected and nothing running for 1201s (heartbeat=none build_processes=0 gpu=idle results=0 agent_java=1 ssh=no)',
    );
  });

  it('relies on the agent process alone when ss fails', () => {
    const r = runWatchdog({ ...connectedIdle, ssRc: 1 });
    expect(r.poweredOff).toBe(false);
    expect(r.stderr).toContain('agent connected, idle');
  });

  it('does not mistake another java program for the agent', () => {
    const r = runWatchdog({
      ...connectedIdle,
      ps: `${PS_HEADER_LESS}\n 1000 950 java -jar /opt/tool/other.jar`,
      noAgentSince: 60,
    });
    expect(r.stderr).toContain('no agent connected and nothing running for 60s (');
    expect(r.stderr).toContain('agent_java=0 ssh=yes)');
  });
});

const LOG = 'workspace/train@tmp/durable-5c1f9a2e/jenkins-log.txt';
/** Agent connected, a durable-task step running (processes under PID 1), GPU idle (e.g. data loading). */
const durableStep = (heartbeatAge: number): Scenario => ({
  ...connectedIdle,
  ps: `${PS_HEADER_LESS}\n${AGENT}\n${DURABLE_BUILD}`,
  files: { [LOG]: heartbeatAge, 'workspace/train@tmp/durable-5c1f9a2e/script.sh': 3600 },
});

describe('build detection (durable-task heartbeat)', () => {
  it('does not count durable-task processes as agent descendants (they hang off PID 1)', () => {
    const r = runWatchdog({ ...durableStep(3), files: {} });
    expect(r.stderr).toContain('(heartbeat=none build_processes=0 gpu=idle)');
  });

  it('keeps a worker whose step heartbeat is fresh, and clears the idle clock', () => {
    const r = runWatchdog({ ...durableStep(3), idleSince: 3600 });
    expect(r.status).toBe(0);
    expect(r.poweredOff).toBe(false);
    expect(r.stderr.split('\n')[0]).toBe(
      'jenkins-gpu-idle-watchdog: decision=keep agent connected and busy (heartbeat=3s/120s build_processes=0 gpu=idle)',
    );
    expect(r.idleSince).toBeUndefined();
  });

  it('keeps the worker with a heartbeat exactly BUILD_HEARTBEAT_SECONDS old', () => {
    const r = runWatchdog({ ...durableStep(120), idleSince: 3600 });
    expect(r.poweredOff).toBe(false);
    expect(r.stderr).toContain('busy (heartbeat=120s/120s');
  });

  it('counts a stale heartbeat with no GPU use as idle (a finished or killed step)', () => {
    const first = runWatchdog(durableStep(121));
    expect(first.stderr).toContain(
      'agent connected, idle for 0s (heartbeat=121s/120s build_processes=0 gpu=idle)',
    );
    expect(first.idleSince).toBe(NOW);
    const r = runWatchdog({ ...durableStep(121), idleSince: 30 * 60 + 1 });
    expect(r.poweredOff).toBe(true);
    expect(r.createTags).toEqual([]);
  });

  it('uses the newest of several heartbeats', () => {
    const r = runWatchdog({
      ...connectedIdle,
      files: {
        'workspace/old@tmp/durable-1/jenkins-log.txt': 7200,
        'workspace/a/b@tmp/durable-2/jenkins-log.txt': 30,
      },
    });
    expect(r.stderr).toContain('busy (heartbeat=30s/120s');
  });

  it('has no heartbeat when the remote FS or its @tmp/durable-* dirs do not exist', () => {
    const none = runWatchdog({ ...connectedIdle, idleSince: 30 * 60 + 1 });
    expect(none.status).toBe(0);
    expect(none.stderr).toBe(
      'jenkins-gpu-idle-watchdog: decision=poweroff agent connected, idle for 1801s (heartbeat=none build_processes=0 gpu=idle) limit=30m\n',
    );
    const elsewhere = runWatchdog({
      ...connectedIdle,
      files: {
        'workspace/train/jenkins-log.txt': 1,
        'workspace/train@tmp/durable-9/logs/jenkins-log.txt': 1,
      },
    });
    expect(elsewhere.stderr).toContain('(heartbeat=none build_processes=0 gpu=idle)');
  });

  it('takes REMOTE_FS and BUILD_HEARTBEAT_SECONDS from the env file', () => {
    const r = runWatchdog({ ...durableStep(200), envFile: 'BUILD_HEARTBEAT_SECONDS=300\n' });
    expect(r.stderr).toContain('busy (heartbeat=200s/300s');
    const elsewhere = runWatchdog({ ...durableStep(3), envFile: 'REMOTE_FS=/nonexistent/jenkins\n' });
    expect(elsewhere.stderr).toContain('idle for 0s (heartbeat=none');
  });
});

const PROFILE = 'JenkinsGpuTraining-WorkersInstanceProfile71AE98BC-0123ABCD';
/** IMDS `iam/info` as EC2 serves it (Amazon EC2 User Guide, "Instance metadata categories"). */
const IAM_INFO = JSON.stringify(
  {
    Code: 'Success',
    LastUpdated: '2026-11-29T19:00:00Z',
    InstanceProfileArn: `arn:aws:iam::111122223333:instance-profile/${PROFILE}`,
    InstanceProfileId: 'AIPAEXAMPLEPROFILEID1',
  },
  null,
  2,
);

describe('busy tag for the reaper', () => {
  const TAG_CALL = `aws ec2 create-tags --region eu-west-1 --cli-connect-timeout 5 --cli-read-timeout 20 --resources ${INSTANCE_ID} --tags Key=jenkins-gpu:busy-at,Value=${NOW_ISO}`;

  it('tags its own instance with the UTC time while a build runs, using IMDSv2', () => {
    const r = runWatchdog(durableStep(3));
    expect(r.createTags).toEqual([TAG_CALL]);
    expect(r.calls).toContain(
      'curl -fsS --max-time 2 -X PUT -H X-aws-ec2-metadata-token-ttl-seconds: 60 http://imds.test/latest/api/token',
    );
    expect(r.busyTagAt).toBe(NOW);
    expect(r.stderr).toBe(
      'jenkins-gpu-idle-watchdog: decision=keep agent connected and busy (heartbeat=3s/120s build_processes=0 gpu=idle)\n' +
        `jenkins-gpu-idle-watchdog: busy tag jenkins-gpu:busy-at=${NOW_ISO} written on ${INSTANCE_ID}\n`,
    );
  });

  it('tags for a build seen only as agent child processes too', () => {
    const r = runWatchdog({ ...connectedIdle, ps: `${PS_HEADER_LESS}\n${AGENT}\n${CHILD_BUILD}` });
    expect(r.createTags).toEqual([TAG_CALL]);
  });

  it('tags a worker whose build runs on without its agent (controller away), so the reaper keeps it too', () => {
    const r = runWatchdog({ ...durableStep(3), ss: '' });
    expect(r.createTags).toEqual([TAG_CALL]);
  });

  it('does not tag an idle worker, with or without an agent', () => {
    for (const s of [connectedIdle, { noAgentSince: 60 }, { ss: '', nvidia: '0', noAgentSince: 60 }]) {
      const r = runWatchdog(s);
      expect(r.createTags).toEqual([]);
      expect(r.calls).not.toContain('curl');
      expect(r.busyTagAt).toBeUndefined();
    }
  });

  it('does not rewrite the tag within BUSY_TAG_INTERVAL_MINUTES, and does after it', () => {
    const within = runWatchdog({ ...durableStep(3), busyTagAt: 5 * 60 - 1 });
    expect(within.createTags).toEqual([]);
    expect(within.calls).not.toContain('curl');
    expect(within.busyTagAt).toBe(NOW - (5 * 60 - 1));
    const after = runWatchdog({ ...durableStep(3), busyTagAt: 5 * 60 });
    expect(after.createTags).toEqual([TAG_CALL]);
    expect(after.busyTagAt).toBe(NOW);
    const configured = runWatchdog({
      ...durableStep(3),
      busyTagAt: 5 * 60,
      envFile: 'BUSY_TAG_INTERVAL_MINUTES=10\n',
    });
    expect(configured.createTags).toEqual([]);
  });

  it.each([
    [
      'create-tags is denied',
      {
        awsRc: 254,
        awsOut:
          'An error occurred (UnauthorizedOperation) when calling the CreateTags operation: You are not authorized\nline two',
      },
      'busy tag not written: aws ec2 create-tags failed (An error occurred (UnauthorizedOperation) when calling the CreateTags operation: You are not authorized line two)\n' +
        'jenkins-gpu-idle-watchdog: busy signal failure not reported: aws cloudwatch put-metric-data failed (An error occurred (UnauthorizedOperation) when calling the CreateTags operation: You are not authorized line two)',
    ],
    [
      'IMDS is unreachable',
      { curlRc: 7 },
      'busy tag not written: no IMDSv2 token from http://imds.test (curl: (7) Failed to connect to IMDS: Connection refused)',
    ],
    [
      'IMDS has no instance id',
      { imds: { 'placement/region': 'eu-west-1' } },
      'busy tag not written: no instance id from IMDS (curl: (22) The requested URL returned error: 401)',
    ],
  ])(
    'tolerates a failure to tag (%s): one log line, same decision, retried next run',
    (_label, failure, line) => {
      const r = runWatchdog({ ...durableStep(3), idleSince: 3600, ...failure });
      expect(r.status).toBe(0);
      expect(r.poweredOff).toBe(false);
      expect(r.idleSince).toBeUndefined();
      expect(r.busyTagAt).toBeUndefined();
      expect(r.stderr).toBe(
        'jenkins-gpu-idle-watchdog: decision=keep agent connected and busy (heartbeat=3s/120s build_processes=0 gpu=idle)\n' +
          `jenkins-gpu-idle-watchdog: ${line}\n`,
      );
    },
  );

  // Without the tag the reaper stops the run at the hard lifetime: a refused create-tags must reach the
  // stack's alarm (GpuWorkerFleet's BusySignalFailures alarm), not only this journal.
  const PUT_METRIC = `aws cloudwatch put-metric-data --region eu-west-1 --cli-connect-timeout 5 --cli-read-timeout 20 --namespace JenkinsGpu/Workers --metric-name BusySignalFailures --dimensions WorkerInstanceProfile=${PROFILE} --value 1 --unit Count`;
  const DENIED =
    'An error occurred (UnauthorizedOperation) when calling the CreateTags operation: You are not authorized to perform this operation.';

  it('reports a refused create-tags as one BusySignalFailures data point for its instance profile', () => {
    const r = runWatchdog({ ...durableStep(3), awsFails: { 'ec2.create-tags': { rc: 254, out: DENIED } } });
    expect(r.putMetricData).toEqual([PUT_METRIC]);
    expect(r.status).toBe(0);
    expect(r.poweredOff).toBe(false);
    expect(r.busyTagAt).toBeUndefined();
    expect(r.stderr).toBe(
      'jenkins-gpu-idle-watchdog: decision=keep agent connected and busy (heartbeat=3s/120s build_processes=0 gpu=idle)\n' +
        `jenkins-gpu-idle-watchdog: busy tag not written: aws ec2 create-tags failed (${DENIED})\n` +
        `jenkins-gpu-idle-watchdog: busy signal failure reported (JenkinsGpu/Workers BusySignalFailures WorkerInstanceProfile=${PROFILE})\n`,
    );
  });

  it('sends no failure data point when the tag is written', () => {
    expect(runWatchdog(durableStep(3)).putMetricData).toEqual([]);
  });

  it('logs, and keeps deciding, when the failure cannot be reported either', () => {
    const noProfile = runWatchdog({
      ...durableStep(3),
      imds: { 'instance-id': INSTANCE_ID, 'placement/region': 'eu-west-1' },
      awsFails: { 'ec2.create-tags': { rc: 254, out: DENIED } },
    });
    expect(noProfile.putMetricData).toEqual([]);
    expect(noProfile.stderr).toMatch(
      /busy signal failure not reported: no instance profile from IMDS \(curl: \(22\) The requested URL returned error: 401\)\n$/,
    );
    const odd = runWatchdog({
      ...durableStep(3),
      imds: { 'instance-id': INSTANCE_ID, 'placement/region': 'eu-west-1', 'iam/info': '{"Code":"Success"}' },
      awsFails: { 'ec2.create-tags': { rc: 254, out: DENIED } },
    });
    expect(odd.stderr).toMatch(
      /busy signal failure not reported: no instance profile name in IMDS iam\/info/,
    );
    expect(odd.status).toBe(0);
  });

  it('tolerates a missing aws CLI', () => {
    const r = runWatchdog({ ...durableStep(3), noAws: true });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('decision=keep agent connected and busy');
    expect(r.stderr).toMatch(
      /busy tag not written: aws ec2 create-tags failed \(.*aws: command not found\)\n.*busy signal failure not reported: aws cloudwatch put-metric-data failed \(.*aws: command not found\)\n$/,
    );
  });
});

describe('no agent connected', () => {
  it('starts the no-agent clock on the first run and clears the idle clock', () => {
    const r = runWatchdog({ ss: SSH_ESTABLISHED, idleSince: 100 });
    expect(r.poweredOff).toBe(false);
    expect(r.noAgentSince).toBe(NOW);
    expect(r.idleSince).toBeUndefined();
    expect(r.stderr).toBe(
      'jenkins-gpu-idle-watchdog: decision=keep no agent connected and nothing running for 0s (heartbeat=none build_processes=0 gpu=unknown results=0 agent_java=0 ssh=yes) limit=20m\n',
    );
  });

  it('keeps the worker exactly at NO_AGENT_MINUTES', () => {
    expect(runWatchdog({ noAgentSince: 20 * 60 }).poweredOff).toBe(false);
  });

  it('powers off past NO_AGENT_MINUTES', () => {
    const r = runWatchdog({ noAgentSince: 20 * 60 + 1 });
    expect(r.poweredOff).toBe(true);
    expect(r.stderr).toContain('decision=poweroff no agent connected and nothing running for 1201s');
  });

  it('resets the no-agent clock once an agent connects', () => {
    const r = runWatchdog({ ...connectedIdle, noAgentSince: 3 * 3600 });
    expect(r.poweredOff).toBe(false);
    expect(r.noAgentSince).toBeUndefined();
  });
});

describe('a build that outlives its agent (controller away)', () => {
  // A durable-task `sh` step keeps running when the SSH connection and the agent JVM die: its wrapper was
  // started with nohup, detached from the agent, and goes on touching jenkins-log.txt every 3 s.
  const runningWithoutAgent: Scenario = { ...durableStep(3), ss: '', ps: PS_HEADER_LESS };

  it('keeps a worker whose build heartbeat is fresh, however long the agent has been gone', () => {
    const r = runWatchdog({ ...runningWithoutAgent, noAgentSince: 3 * 3600 });
    expect(r.poweredOff).toBe(false);
    expect(r.busyNoAgentSince).toBe(NOW);
    expect(r.stderr.split('\n')[0]).toBe(
      'jenkins-gpu-idle-watchdog: decision=keep no agent connected, build still running for 0s (heartbeat=3s/120s build_processes=0 gpu=idle results=0 agent_java=0 ssh=no) limit=4440m',
    );
  });

  it('keeps a worker whose GPU is busy with no agent and no heartbeat', () => {
    const r = runWatchdog({ ss: '', nvidia: '97', noAgentSince: 3 * 3600 });
    expect(r.poweredOff).toBe(false);
    expect(r.stderr).toContain('decision=keep no agent connected, build still running');
    // GPU use alone is no build the reaper should wait for: no busy tag.
    expect(r.createTags).toEqual([]);
  });

  it('restarts the no-agent grace from the last sign of the build, so the controller can still collect it', () => {
    const busy = runWatchdog({ ...runningWithoutAgent, noAgentSince: 3 * 3600 });
    expect(busy.noAgentSince).toBe(NOW);
    // The build ended 10 minutes ago (heartbeat stale): the normal no-agent limit runs from then.
    const ended = runWatchdog({
      ...durableStep(10 * 60),
      ss: '',
      ps: PS_HEADER_LESS,
      noAgentSince: 10 * 60,
      busyNoAgentSince: 3600,
    });
    expect(ended.poweredOff).toBe(false);
    expect(ended.busyNoAgentSince).toBeUndefined();
    expect(ended.stderr).toContain('decision=keep no agent connected and nothing running for 600s');
  });

  it('keeps it exactly at MAX_BUSY_NO_AGENT_MINUTES and powers it off one second later (a hung build, controller gone)', () => {
    expect(runWatchdog({ ...runningWithoutAgent, busyNoAgentSince: 4440 * 60 }).poweredOff).toBe(false);
    const r = runWatchdog({ ...runningWithoutAgent, busyNoAgentSince: 4440 * 60 + 1 });
    expect(r.poweredOff).toBe(true);
    expect(r.stderr).toBe(
      'jenkins-gpu-idle-watchdog: decision=poweroff no agent connected, build still running for 266401s (heartbeat=3s/120s build_processes=0 gpu=idle results=0 agent_java=0 ssh=no) limit=4440m\n',
    );
  });

  it("keeps a worker whose finished step's result the controller has not collected yet, bounded the same way", () => {
    // durable-task writes jenkins-result.txt when the script ends; the controller deletes the control dir
    // once it has read it. Until then, powering off would make the returning controller retry the build.
    const finished: Scenario = {
      ss: '',
      ps: PS_HEADER_LESS,
      nvidia: '0',
      noAgentSince: 3 * 3600,
      files: {
        'workspace/train@tmp/durable-5c1f9a2e/jenkins-log.txt': 3600,
        'workspace/train@tmp/durable-5c1f9a2e/jenkins-result.txt': 3600,
      },
    };
    const r = runWatchdog(finished);
    expect(r.poweredOff).toBe(false);
    expect(r.stderr.split('\n')[0]).toBe(
      'jenkins-gpu-idle-watchdog: decision=keep no agent connected, build still running for 0s (heartbeat=3600s/120s build_processes=0 gpu=idle results=1 agent_java=0 ssh=no) limit=4440m',
    );
    expect(r.createTags).toEqual([]);
    expect(runWatchdog({ ...finished, busyNoAgentSince: 4440 * 60 + 1 }).poweredOff).toBe(true);
  });

  it('takes MAX_BUSY_NO_AGENT_MINUTES from the env file', () => {
    const r = runWatchdog({
      ...runningWithoutAgent,
      busyNoAgentSince: 61 * 60,
      envFile: 'MAX_BUSY_NO_AGENT_MINUTES=60\n',
    });
    expect(r.poweredOff).toBe(true);
  });

  it('clears the clock once the agent is back', () => {
    const r = runWatchdog({ ...durableStep(3), busyNoAgentSince: 3600, noAgentSince: 0 });
    expect(r.busyNoAgentSince).toBeUndefined();
    expect(r.noAgentSince).toBeUndefined();
    expect(r.stderr).toContain('decision=keep agent connected and busy');
  });
});

describe('configuration', () => {
  it('only logs the decision in DRY_RUN', () => {
    const r = runWatchdog({ noAgentSince: 3 * 3600, env: { DRY_RUN: 'true' } });
    expect(r.poweredOff).toBe(false);
    expect(r.stderr).toContain('decision=poweroff dry_run=true no agent connected');
  });

  it('falls back to the default for a value that is not a positive integer, and says so', () => {
    const r = runWatchdog({
      noAgentSince: 20 * 60 + 1,
      envFile: 'NO_AGENT_MINUTES=soon\nIDLE_AGENT_MINUTES=0\n',
    });
    expect(r.stderr).toContain("config NO_AGENT_MINUTES='soon' is not a positive integer, using 20");
    expect(r.stderr).toContain("config IDLE_AGENT_MINUTES='0' is not a positive integer, using 30");
    expect(r.poweredOff).toBe(true);
  });

  it('takes its limits from the env file', () => {
    const r = runWatchdog({ noAgentSince: 5 * 60 + 1, envFile: 'NO_AGENT_MINUTES=5\n' });
    expect(r.stderr).toContain('limit=5m');
    expect(r.poweredOff).toBe(true);
  });
});
