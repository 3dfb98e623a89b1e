/**
 * Runs the real `assets/worker/idle-watchdog.sh` with fake `ss`, `ps`, `nvidia-smi` and `systemctl`
 * (test/fakes/worker) on a PATH that holds nothing else but the few real tools the script needs, and a fixed
 * clock (WATCHDOG_NOW), so no test sleeps.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '../..');
const SCRIPT = path.join(REPO, 'assets/worker/idle-watchdog.sh');
const FAKES = path.join(REPO, 'test/fakes/worker');
const REAL_TOOLS = ['awk', 'cat', 'date', 'mkdir', 'rm', 'tr'];
const NOW = 1_800_000_000;

const PS_HEADER_LESS = [
  '    1     0 /sbin/init',
  '  900     1 sshd: ubuntu [priv]',
  '  950   900 bash -c cd "/tmp" && java -jar /tmp/remoting.jar -workDir /home/ubuntu/jenkins',
  '  990     1 /usr/bin/python3 /usr/bin/unattended-upgrade-shutdown --wait-for-signal',
].join('\n');
const AGENT = '  1000   950 java -jar /tmp/remoting.jar -workDir /home/ubuntu/jenkins';
const BUILD = ['  1100  1000 nohup sh -c echo build', '  1101  1100 python3 train.py'].join('\n');
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
  /** Extra lines of watchdog.env (after STATE_DIR); the default sets 20 and 30 minutes. */
  envFile?: string;
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
  const bin = path.join(tmp, 'bin');
  const fake = path.join(tmp, 'fake');
  const state = path.join(tmp, 'state');
  fs.mkdirSync(bin);
  fs.mkdirSync(fake);
  fs.mkdirSync(state);
  for (const tool of REAL_TOOLS) fs.symlinkSync(which(tool), path.join(bin, tool));
  const fakes = ['ss', 'ps', 'systemctl', ...(s.nvidia === null ? [] : ['nvidia-smi'])];
  for (const tool of fakes) fs.symlinkSync(path.join(FAKES, tool), path.join(bin, tool));

  fs.writeFileSync(path.join(fake, 'ps.out'), `${s.ps ?? PS_HEADER_LESS}\n`);
  fs.writeFileSync(path.join(fake, 'ss.out'), s.ss === undefined ? '' : `${s.ss}\n`);
  if (s.ssRc !== undefined) fs.writeFileSync(path.join(fake, 'ss.rc'), String(s.ssRc));
  if (typeof s.nvidia === 'string') fs.writeFileSync(path.join(fake, 'nvidia-smi.out'), `${s.nvidia}\n`);
  if (s.nvidiaRc !== undefined) fs.writeFileSync(path.join(fake, 'nvidia-smi.rc'), String(s.nvidiaRc));
  if (s.noAgentSince !== undefined)
    fs.writeFileSync(path.join(state, 'no-agent-since'), `${NOW - s.noAgentSince}\n`);
  if (s.idleSince !== undefined) fs.writeFileSync(path.join(state, 'idle-since'), `${NOW - s.idleSince}\n`);

  const envFile = path.join(tmp, 'watchdog.env');
  fs.writeFileSync(
    envFile,
    `STATE_DIR=${state}\n${s.envFile ?? 'NO_AGENT_MINUTES=20\nIDLE_AGENT_MINUTES=30\n'}`,
  );
  const result = spawnSync('/bin/bash', [SCRIPT], {
    env: { PATH: bin, FAKE_DIR: fake, WATCHDOG_ENV_FILE: envFile, WATCHDOG_NOW: String(NOW), ...s.env },
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
  };
}

const connectedIdle: Scenario = { ps: `${PS_HEADER_LESS}\n${AGENT}`, ss: SSH_ESTABLISHED, nvidia: '0' };

describe('agent connected', () => {
  it('keeps a worker whose agent runs a build, and clears the idle clock', () => {
    const r = runWatchdog({ ...connectedIdle, ps: `${PS_HEADER_LESS}\n${AGENT}\n${BUILD}`, idleSince: 3600 });
    expect(r.status).toBe(0);
    expect(r.poweredOff).toBe(false);
    expect(r.stderr).toBe(
      'jenkins-gpu-idle-watchdog: decision=keep agent connected and busy (build_processes=2 gpu=idle)\n',
    );
    expect(r.idleSince).toBeUndefined();
  });

  it('starts the idle clock on the first idle run', () => {
    const r = runWatchdog(connectedIdle);
    expect(r.poweredOff).toBe(false);
    expect(r.idleSince).toBe(NOW);
    expect(r.stderr).toContain(
      'decision=keep agent connected, idle for 0s (build_processes=0 gpu=idle) limit=30m',
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
      'jenkins-gpu-idle-watchdog: decision=poweroff agent connected, idle for 1801s (build_processes=0 gpu=idle) limit=30m\n',
    );
  });

  it('keeps the worker while any GPU is in use, even with no build process', () => {
    const r = runWatchdog({ ...connectedIdle, nvidia: '0\n87', idleSince: 3 * 3600 });
    expect(r.poweredOff).toBe(false);
    expect(r.stderr).toContain('busy (build_processes=0 gpu=busy)');
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
    expect(r.stderr).toContain('no agent connected for 1201s (agent_java=1 ssh=no)');
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
    expect(r.stderr).toContain('no agent connected for 60s (agent_java=0 ssh=yes)');
  });
});

describe('no agent connected', () => {
  it('starts the no-agent clock on the first run and clears the idle clock', () => {
    const r = runWatchdog({ ss: SSH_ESTABLISHED, idleSince: 100 });
    expect(r.poweredOff).toBe(false);
    expect(r.noAgentSince).toBe(NOW);
    expect(r.idleSince).toBeUndefined();
    expect(r.stderr).toBe(
      'jenkins-gpu-idle-watchdog: decision=keep no agent connected for 0s (agent_java=0 ssh=yes) limit=20m\n',
    );
  });

  it('keeps the worker exactly at NO_AGENT_MINUTES', () => {
    expect(runWatchdog({ noAgentSince: 20 * 60 }).poweredOff).toBe(false);
  });

  it('powers off past NO_AGENT_MINUTES', () => {
    const r = runWatchdog({ noAgentSince: 20 * 60 + 1 });
    expect(r.poweredOff).toBe(true);
    expect(r.stderr).toContain('decision=poweroff no agent connected for 1201s');
  });

  it('resets the no-agent clock once an agent connects', () => {
    const r = runWatchdog({ ...connectedIdle, noAgentSince: 3 * 3600 });
    expect(r.poweredOff).toBe(false);
    expect(r.noAgentSince).toBeUndefined();
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
