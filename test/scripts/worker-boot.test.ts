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

describe('worker scripts', () => {
  it('are boot.sh and idle-watchdog.sh at least', () => {
    expect(workerScripts.map((f) => path.basename(f))).toEqual(
      expect.arrayContaining(['boot.sh', 'idle-watchdog.sh']),
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
  it('installs the watchdog through the renderer include line', () => {
    expect(bootScript).toMatch(
      /^#@include-file assets\/worker\/idle-watchdog\.sh \/usr\/local\/sbin\/jenkins-gpu-idle-watchdog 0755$/m,
    );
  });

  it('holds the idle-minutes marker inside a quoted string', () => {
    expect(bootScript).toContain("idle_minutes='@@IDLE_TERMINATION_MINUTES@@'");
  });

  it('waits for the dpkg lock instead of failing, after masking apt timers', () => {
    expect(bootScript).toContain('DPkg::Lock::Timeout=600');
    expect(bootScript.indexOf('systemctl mask')).toBeLessThan(bootScript.indexOf('apt_get update'));
    expect(bootScript).toMatch(/^systemctl enable --now jenkins-gpu-idle-watchdog\.timer$/m);
    expect(bootScript).toContain('/var/lib/jenkins-gpu/boot-complete');
  });
});
