/** `npm run scan:secrets [-- DIR]` as a process: exit 0 clean, 1 with findings (file:line, never the text), 2 no DIR. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const REPO = path.resolve(__dirname, '../..');

function scan(...args: string[]) {
  return spawnSync(
    process.execPath,
    ['-r', path.join(REPO, 'bin/register-ts.cjs'), path.join(REPO, 'bin/scan-secrets.ts'), ...args],
    {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
}

describe('bin/scan-secrets.ts', () => {
  it('exits 0 with one line for a clean directory, 1 naming file and line of a finding', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scan-secrets-cli-'));
    fs.writeFileSync(path.join(dir, 'a.json'), '{"Name": "ok"}\n');
    const clean = scan(dir);
    expect([clean.status, clean.stdout, clean.stderr]).toEqual([
      0,
      `scan-secrets: no secret material in ${dir}\n`,
      '',
    ]);

    const literal = ['"SecretString"', '"hunter2"'].join(': '); // built here so this file holds no such literal
    fs.writeFileSync(path.join(dir, 'b.json'), `{\n${literal}\n}\n`);
    const found = scan(dir);
    expect([found.status, found.stdout]).toEqual([1, '']);
    expect(found.stderr).toBe(`${dir}/b.json:2: looks like secret material (literal SecretString)\n`);
  });

  it('a DIR that is not a directory is a usage error: exit 2 with the usage', () => {
    const r = scan('no-such-dir');
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      'scan-secrets: no-such-dir is not a directory (run npx cdk synth first)\nusage: npm run scan:secrets -- [DIR]\n' +
        '  DIR          the cloud assembly to scan (default cdk.out)\n  -h, --help   this text\n',
    );
  });
});
