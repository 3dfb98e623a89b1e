/**
 * Runs the real `assets/worker/fallback-idle-stop.sh` (the minimal idle stop the worker user data starts
 * before anything else) with fake `ss` and `systemctl` on PATH and a fixed clock (FALLBACK_NOW).
 * `ss -Htn state established '( sport = :22 )'` prints one line per established connection to port 22 and
 * nothing when there is none (iproute2 ss(8)).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '../..');
const SCRIPT = path.join(REPO, 'assets/worker/fallback-idle-stop.sh');
const FAKES = path.join(REPO, 'test/fakes/worker');
const NOW = 1_800_000_000;
const SSH = '0      0      10.0.1.5:22      10.0.0.7:53422';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'fallback-'));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

function which(tool: string): string {
  const dir = (process.env.PATH ?? '').split(':').find((d) => fs.existsSync(path.join(d, tool)));
  if (!dir) throw new Error(`${tool} not found`);
  return path.join(dir, tool);
}

function run(s: { ss?: string; ssRc?: number; noSshSince?: number; env?: string }) {
  const bin = path.join(root, 'bin');
  const fake = path.join(root, 'fake');
  fs.mkdirSync(bin, { recursive: true });
  fs.mkdirSync(fake, { recursive: true });
  for (const tool of ['cat', 'date', 'mkdir', 'rm', 'tr']) {
    if (!fs.existsSync(path.join(bin, tool))) fs.symlinkSync(which(tool), path.join(bin, tool));
  }
  for (const tool of ['ss', 'systemctl']) {
    if (!fs.existsSync(path.join(bin, tool))) fs.symlinkSync(path.join(FAKES, tool), path.join(bin, tool));
  }
  fs.writeFileSync(path.join(fake, 'ss.out'), s.ss === undefined ? '' : `${s.ss}\n`);
  fs.rmSync(path.join(fake, 'ss.rc'), { force: true });
  if (s.ssRc !== undefined) fs.writeFileSync(path.join(fake, 'ss.rc'), String(s.ssRc));
  fs.mkdirSync(path.join(root, 'etc/jenkins-gpu'), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc/jenkins-gpu/fallback-idle-stop.env'), s.env ?? 'NO_SSH_MINUTES=20\n');
  const state = path.join(root, 'run/jenkins-gpu-fallback-idle-stop');
  if (s.noSshSince !== undefined) {
    fs.mkdirSync(state, { recursive: true });
    fs.writeFileSync(path.join(state, 'no-ssh-since'), `${NOW - s.noSshSince}\n`);
  }
  const r = spawnSync('/bin/bash', [SCRIPT], {
    env: { PATH: bin, FAKE_DIR: fake, JENKINS_GPU_WORKER_ROOT: root, FALLBACK_NOW: String(NOW) },
    encoding: 'utf8',
  });
  const calls = fs.existsSync(path.join(fake, 'calls.log'))
    ? fs.readFileSync(path.join(fake, 'calls.log'), 'utf8')
    : '';
  const sinceFile = path.join(state, 'no-ssh-since');
  return {
    status: r.status,
    stderr: r.stderr,
    poweredOff: calls.includes('systemctl poweroff'),
    since: fs.existsSync(sinceFile) ? Number(fs.readFileSync(sinceFile, 'utf8')) : undefined,
  };
}

describe('the fallback idle stop', () => {
  it('keeps a worker with an SSH session and clears its clock', () => {
    const r = run({ ss: SSH, noSshSince: 3600 });
    expect(r.status).toBe(0);
    expect(r.poweredOff).toBe(false);
    expect(r.since).toBeUndefined();
    expect(r.stderr).toBe('jenkins-gpu-fallback-idle-stop: decision=keep ssh session open\n');
  });

  it('starts the clock on the first run without SSH', () => {
    const r = run({});
    expect(r.poweredOff).toBe(false);
    expect(r.since).toBe(NOW);
  });

  it('keeps the worker exactly at NO_SSH_MINUTES and powers it off one second later', () => {
    expect(run({ noSshSince: 20 * 60 }).poweredOff).toBe(false);
    const r = run({ noSshSince: 20 * 60 + 1 });
    expect(r.poweredOff).toBe(true);
    expect(r.stderr).toBe(
      'jenkins-gpu-fallback-idle-stop: decision=poweroff no ssh session for 1201s limit=20m\n',
    );
  });

  it('counts a failing ss as no session: a broken probe must not keep an idle GPU running', () => {
    expect(run({ ss: SSH, ssRc: 1, noSshSince: 20 * 60 + 1 }).poweredOff).toBe(true);
  });

  it('falls back to 20 minutes on a bad limit', () => {
    const r = run({ env: 'NO_SSH_MINUTES=soon\n', noSshSince: 20 * 60 + 1 });
    expect(r.poweredOff).toBe(true);
    expect(r.stderr).toContain("NO_SSH_MINUTES='soon' is not a positive integer, using 20");
  });
});
