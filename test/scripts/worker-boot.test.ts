/**
 * Static checks of the worker shell as it sits in the repository (the lead's tests cover the form rendered
 * into the casc YAML): shellcheck-clean, strict mode, and the markers the renderer expands.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '../..');
const WORKER = path.join(REPO, 'assets/worker');
const FAKES = path.join(REPO, 'test/fakes/worker');
const workerScripts = fs
  .readdirSync(WORKER)
  .filter((f) => f.endsWith('.sh'))
  .map((f) => path.join(WORKER, f));
const bootScript = fs.readFileSync(path.join(WORKER, 'boot.sh'), 'utf8');
const setupScript = fs.readFileSync(path.join(WORKER, 'setup.sh'), 'utf8');

describe('worker scripts', () => {
  it('are boot.sh, setup.sh and idle-watchdog.sh at least', () => {
    expect(workerScripts.map((f) => path.basename(f))).toEqual(
      expect.arrayContaining(['boot.sh', 'setup.sh', 'idle-watchdog.sh']),
    );
  });

  it('and the test fakes are clean with shellcheck', () => {
    const fakes = fs.readdirSync(FAKES).map((f) => path.join(FAKES, f));
    const r = spawnSync('shellcheck', ['-f', 'gcc', ...workerScripts, ...fakes], { encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('run in strict mode', () => {
    for (const file of workerScripts) expect(fs.readFileSync(file, 'utf8')).toMatch(/^set -euo pipefail$/m);
  });
});

describe('boot.sh', () => {
  const includeWatchdog =
    /^#@include-file assets\/worker\/idle-watchdog\.sh \/usr\/local\/sbin\/jenkins-gpu-idle-watchdog 0755$/m;
  const includeSetup =
    /^#@include-file assets\/worker\/setup\.sh \/usr\/local\/sbin\/jenkins-gpu-worker-setup 0755$/m;
  const commands = bootScript.split('\n').filter((line) => !line.startsWith('#') && line.trim() !== '');

  it('installs the watchdog and the setup program through the renderer include lines', () => {
    expect(bootScript).toMatch(includeWatchdog);
    expect(bootScript).toMatch(includeSetup);
  });

  it('holds the idle-minutes marker inside a quoted string', () => {
    expect(bootScript).toContain("idle_minutes='@@IDLE_TERMINATION_MINUTES@@'");
  });

  it('installs and starts the watchdog before any apt step, so a failed apt step leaves the guard in place', () => {
    const watchdogStarted = bootScript.search(/^systemctl enable --now jenkins-gpu-idle-watchdog\.timer$/m);
    expect(bootScript.search(includeWatchdog)).toBeGreaterThan(0);
    expect(bootScript.search(includeWatchdog)).toBeLessThan(watchdogStarted);
    expect(watchdogStarted).toBeLessThan(bootScript.search(includeSetup));
    expect(watchdogStarted).toBeLessThan(bootScript.indexOf('\n/usr/local/sbin/jenkins-gpu-worker-setup\n'));
    // boot.sh itself runs no apt: all of it is in the setup program, which runs after the watchdog.
    expect(commands.filter((line) => /\bapt(-get)?\b|dpkg/.test(line))).toEqual([]);
  });

  it('re-runs the setup on later boots until boot-complete exists (user data runs only once)', () => {
    const unit =
      /cat >\/etc\/systemd\/system\/jenkins-gpu-worker-boot\.service <<'(\w+)'\n([\s\S]*?)\n\1\n/.exec(
        bootScript,
      );
    expect(unit).not.toBeNull();
    const body = unit![2];
    expect(body).toMatch(/^Type=oneshot$/m);
    expect(body).toMatch(/^ConditionPathExists=!\/var\/lib\/jenkins-gpu\/boot-complete$/m);
    expect(body).toMatch(/^ExecStart=\/usr\/local\/sbin\/jenkins-gpu-worker-setup$/m);
    expect(body).toMatch(/^Before=cloud-final\.service$/m);
    expect(body).toMatch(/^WantedBy=multi-user\.target$/m);
    expect(commands).toContain('systemctl enable jenkins-gpu-worker-boot.service');
    // ... and runs it on this (first) boot too, after enabling the unit.
    expect(commands.indexOf('systemctl enable jenkins-gpu-worker-boot.service')).toBeLessThan(
      commands.indexOf('/usr/local/sbin/jenkins-gpu-worker-setup'),
    );
  });

  it('configures the watchdog build heartbeat and busy tag', () => {
    expect(bootScript).toMatch(/^REMOTE_FS=\/home\/ubuntu\/jenkins$/m);
    expect(bootScript).toMatch(/^BUILD_HEARTBEAT_SECONDS=120$/m);
    expect(bootScript).toMatch(/^BUSY_TAG_INTERVAL_MINUTES=5$/m);
  });
});

describe('setup.sh', () => {
  it('waits for the dpkg lock instead of failing, after masking apt timers', () => {
    expect(setupScript).toContain('DPkg::Lock::Timeout=600');
    expect(setupScript.indexOf('systemctl mask')).toBeLessThan(setupScript.indexOf('apt_get update'));
  });

  it('is a no-op once boot-complete exists, and writes it last', () => {
    expect(setupScript).toContain('readonly BOOT_COMPLETE=/var/lib/jenkins-gpu/boot-complete');
    expect(setupScript.indexOf('if [ -e "$BOOT_COMPLETE" ]')).toBeLessThan(
      setupScript.indexOf('apt_get update'),
    );
    expect(setupScript.lastIndexOf('>"$BOOT_COMPLETE"')).toBeGreaterThan(
      setupScript.lastIndexOf('apt_get install'),
    );
  });
});
