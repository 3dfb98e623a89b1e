import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import {
  edit,
  MINIMAL_JENKINS_YAML,
  MINIMAL_PLUGIN_FILES,
  MINIMAL_PLUGINS,
  REPO,
  SHIPPED_EC2_YAML,
  SHIPPED_FILE,
  tempTree,
} from './helpers';

const CLI = path.join(REPO, 'bin/check-casc.ts');
/** The TypeScript loader the npm scripts use (`node -r ./bin/register-ts.cjs`). */
const REGISTER_TS = path.join(REPO, 'bin/register-ts.cjs');

/** Runs the CLI as `npm run check:casc` does, in `cwd`. */
function run(cwd: string, ...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['-r', REGISTER_TS, CLI, ...args], { cwd, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const PLUGIN_FILES = MINIMAL_PLUGIN_FILES;

/** A repository with casc/ and the worker scripts its `@render:` values name (the CLI renders them). */
function validRepo(ec2Yaml = SHIPPED_EC2_YAML): string {
  const dir = tempTree({
    'casc/ec2-cloud.yaml': ec2Yaml,
    'casc/jenkins.yaml': MINIMAL_JENKINS_YAML,
    'casc/plugins.txt': MINIMAL_PLUGINS,
    ...PLUGIN_FILES,
  });
  fs.cpSync(path.join(REPO, 'assets'), path.join(dir, 'assets'), { recursive: true });
  return dir;
}

describe('bin/check-casc.ts', () => {
  it('prints one summary line and exits 0 for a valid tree', () => {
    const { status, stdout, stderr } = run(validRepo(SHIPPED_FILE));
    expect(stderr).toBe('');
    expect(stdout.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^casc OK: 1 cloud \(gpu-workers-\$\{STACK_NAME\}: at most 4 running = min\(cloud cap 4, templates 2 \+ 2\)\); 2 templates .* \$2\.10\/hour.*; 2 plugins locked$/,
      ),
    ]);
    expect(status).toBe(0);
  });

  it('prints every problem on its own line and exits 1, without a stack trace', () => {
    let yaml = edit(SHIPPED_EC2_YAML, 'mode: EXCLUSIVE', 'mode: NORMAL');
    yaml = edit(yaml, 'instanceCapStr: "2"', 'instanceCapStr: "0"');
    const dir = validRepo(yaml);
    const { status, stdout, stderr } = run(dir);
    expect(stdout.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^casc\/ec2-cloud\.yaml:\d+: jenkins\.clouds\[0\]\.amazonEC2\.templates\[0\]\.mode: \[gpu-mode-exclusive\] a GPU template must be EXCLUSIVE/,
      ),
      expect.stringMatching(
        /^casc\/ec2-cloud\.yaml:\d+: jenkins\.clouds\[0\]\.amazonEC2\.templates\[0\]\.instanceCapStr: \[instance-cap\] template instanceCapStr "0"/,
      ),
    ]);
    expect(stderr.trim()).toBe('casc invalid: 2 errors');
    expect(`${stdout}${stderr}`).not.toMatch(/\n\s+at /);
    expect(status).toBe(1);
  });

  it('takes a file or directory PATH and --schema-only, with YAML errors as FILE:LINE:COL', () => {
    const dir = tempTree({
      'other/bad.yaml': 'jenkins:\n  numExecutors: [0\n',
      'other/fixture.yml':
        'jenkins:\n  clouds:\n    - amazonEC2:\n        name: x\n        privateKey: "${PRIVATE_KEY}"\n',
    });
    const bad = run(dir, '--schema-only', 'other/bad.yaml');
    expect(bad.stdout).toMatch(/^other\/bad\.yaml:\d+:\d+: YAML syntax error: /);
    expect(bad.status).toBe(1);
    const fixture = run(dir, '--schema-only', 'other/fixture.yml');
    expect(fixture.stdout.trim()).toBe('casc schema OK: 1 file(s)');
    expect(fixture.status).toBe(0);
  });

  it('exits 2 on usage errors', () => {
    const dir = validRepo();
    const unknownFlag = run(dir, '--schema');
    expect(unknownFlag.stderr).toContain("check-casc: unknown option '--schema'");
    expect(unknownFlag.stderr).toContain('usage: npm run check:casc -- [--schema-only] [PATH]');
    expect(unknownFlag.status).toBe(2);
    const missing = run(dir, 'no-such-dir');
    expect(missing.stderr).toContain(
      'check-casc: no such file or directory: no-such-dir\nusage: npm run check:casc',
    );
    expect(missing.status).toBe(2);
  });
});
