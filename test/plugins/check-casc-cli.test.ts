/** `npm run check:casc` reports the plugin lock's problems with the casc ones, `file:line: message`. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const REPO = path.resolve(__dirname, '../..');
const TS_NODE = path.join(REPO, 'bin/register-ts.cjs');

function checkCasc(cwd: string) {
  return spawnSync(process.execPath, ['-r', TS_NODE, path.join(REPO, 'bin/check-casc.ts')], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, TS_NODE_PROJECT: path.join(REPO, 'tsconfig.json') },
  });
}

describe('npm run check:casc and the plugin lock', () => {
  it('fails an inexact intent line and an open lock with file:line, exit 1', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'check-casc-lock-'));
    for (const part of ['casc', 'jobs', 'assets']) {
      fs.cpSync(path.join(REPO, part), path.join(dir, part), { recursive: true });
    }
    const intent = path.join(dir, 'casc/plugins.txt');
    fs.writeFileSync(
      intent,
      fs.readFileSync(intent, 'utf8').replace('timestamper:1.30', 'timestamper:latest'),
    );
    const lock = path.join(dir, 'casc/plugins.lock');
    // Drop mina-sshd-api-common (and its indented lines): EC2's SSH client family is no longer closed.
    fs.writeFileSync(
      lock,
      fs.readFileSync(lock, 'utf8').replace(/^mina-sshd-api-common:.*\n(?: {2}.*\n)*/m, ''),
    );

    const r = checkCasc(dir);

    const lines = r.stdout.trim().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^casc\/plugins\.lock:\d+: mina-sshd-api-core requires mina-sshd-api-common >= 2\.19\.0-192\.v2b_a_7b_2c1dc71, which is not locked/,
        ),
        expect.stringMatching(/^casc\/plugins\.txt:\d+: timestamper:latest is resolved at install time/),
      ]),
    );
    expect(r.stderr.trim()).toMatch(/^casc invalid: \d+ errors$/);
    expect(r.status).toBe(1);
  });
});
