/**
 * Every command-line tool, run as `npm run <script>` runs it (node with the esbuild loader), keeps the one
 * convention of lib/cli/run-cli.ts: `-h`/`--help` to stdout with exit 0, an unknown option as
 * `<tool>: <problem>` and the usage on stderr with exit 2, before any file or AWS is touched.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const REPO = path.resolve(__dirname, '../..');
const REGISTER_TS = path.join(REPO, 'bin/register-ts.cjs');
const PACKAGE_SCRIPTS = (
  JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  }
).scripts;

/** Each tool: its file, its npm script and the name its error lines start with. */
const TOOLS = [
  { file: 'bin/check-casc.ts', script: 'check:casc', name: 'check-casc' },
  { file: 'bin/casc-diff.ts', script: 'casc:diff', name: 'casc-diff' },
  { file: 'bin/credentials.ts', script: 'credentials', name: 'credentials' },
  { file: 'bin/workers.ts', script: 'workers', name: 'workers' },
  { file: 'bin/plugins-lock.ts', script: 'plugins:lock', name: 'plugins-lock' },
  { file: 'bin/scan-secrets.ts', script: 'scan:secrets', name: 'scan-secrets' },
  { file: 'bench/run.ts', script: 'bench', name: 'bench' },
];

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a tool in the repository without AWS credentials; resolves when it exits. */
function runTool(file: string, args: string[]): Promise<Run> {
  const env = { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '' };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', REGISTER_TS, path.join(REPO, file), ...args], {
      cwd: REPO,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const TIMEOUT = 120_000; // a cold start loads the AWS SDK on a slow shared machine

describe.each(TOOLS)('$file', ({ file, script, name }) => {
  it('is the file its npm script runs', () => {
    expect(PACKAGE_SCRIPTS[script]).toBe(`node -r ./bin/register-ts.cjs ${file}`);
  });

  it(
    '-h and --help print the usage to stdout and exit 0',
    async () => {
      for (const flag of ['-h', '--help']) {
        const r = await runTool(file, [flag]);
        expect(r).toEqual({
          code: 0,
          stdout: expect.stringMatching(`^usage: npm run ${script} --`),
          stderr: '',
        });
      }
    },
    TIMEOUT,
  );

  it(
    'an unknown option: the problem and the usage on stderr, exit 2, no stack trace',
    async () => {
      const r = await runTool(file, ['--no-such-option']);
      const [problem, ...usage] = r.stderr.split('\n');
      expect(problem).toMatch(new RegExp(`^${name}: unknown option '--no-such-option'`));
      expect(usage.join('\n')).toMatch(new RegExp(`^usage: npm run ${script} --`));
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect([r.code, r.stdout]).toEqual([2, '']);
    },
    TIMEOUT,
  );
});

// The AWS-facing tools start fast: none loads aws-cdk-lib (a settings or construct import would load ~40
// of its modules before the first AWS call).
describe.each(['bin/workers.ts', 'bin/credentials.ts'])('%s', (file) => {
  it(
    'loads no aws-cdk-lib module',
    async () => {
      const probe = `require(${JSON.stringify(path.join(REPO, file))}); process.on('exit', () => { process.stdout.write(String(Object.keys(require.cache).filter((k) => k.includes('aws-cdk-lib')).length)); });`;
      const r = await new Promise<Run>((resolve, reject) => {
        const child = spawn(process.execPath, ['-r', REGISTER_TS, '-e', probe, '--', '--help'], {
          cwd: REPO,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code, stdout, stderr: '' }));
      });
      expect(r.stdout.trim().split('\n').pop()).toBe('0');
    },
    TIMEOUT,
  );
});
