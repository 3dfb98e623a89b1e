/** Every shell script that runs on an instance stops at its first failing command (strict mode). */
import * as fs from 'fs';
import * as path from 'path';

import { CONTROLLER, REPO } from './harness';

function shellScripts(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return shellScripts(p);
    return e.name.endsWith('.sh') ? [p] : [];
  });
}

test('every controller and worker script starts with strict mode', () => {
  const scripts = [...shellScripts(CONTROLLER), ...shellScripts(path.join(REPO, 'assets/worker'))];
  expect(scripts.map((f) => path.basename(f))).toEqual(
    expect.arrayContaining(['bootstrap.sh', 'apply-config.sh', 'user-data.sh', 'payload.sh', 'setup.sh']),
  );
  for (const file of scripts) {
    // Sourced, never run: they inherit the caller's options.
    if (['lib.sh', 'lock.sh'].includes(path.basename(file))) continue;
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^set -E?euo pipefail$/m);
  }
});
