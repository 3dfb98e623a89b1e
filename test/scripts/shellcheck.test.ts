import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CONTROLLER } from './harness';

function shellScripts(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return shellScripts(p);
    return e.name.endsWith('.sh') ? [p] : [];
  });
}

describe('shellcheck', () => {
  test('shellcheck is installed', () => {
    expect(() => execFileSync('shellcheck', ['--version'])).not.toThrow();
  });

  // One run for all scripts: each would otherwise re-parse the sourced lib.sh (slow on 2 cores).
  test('every assets/controller/**/*.sh is clean with shellcheck -x', () => {
    const files = shellScripts(CONTROLLER);
    expect(files.map((f) => path.relative(CONTROLLER, f))).toEqual(
      expect.arrayContaining(['lib.sh', 'bootstrap.sh', 'apply-config.sh', 'healthcheck.sh']),
    );
    const r = spawnSync('shellcheck', ['-x', '-f', 'gcc', ...files], { encoding: 'utf8', cwd: CONTROLLER });
    expect(r.error).toBeUndefined();
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test('every script starts with strict mode', () => {
    for (const file of shellScripts(CONTROLLER)) {
      if (path.basename(file) === 'lib.sh') continue; // sourced, inherits the caller's options
      expect(fs.readFileSync(file, 'utf8')).toMatch(/^set -E?euo pipefail$/m);
    }
  });
});
