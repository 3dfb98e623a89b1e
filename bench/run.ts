/**
 * Benchmarks (not tests: timings vary by machine). `npm run bench -- [--runs N] [--skip-tests]`.
 *
 * - synth: `npx cdk synth --quiet` of the whole app vs. a one-bucket app on the same aws-cdk-lib and CLI,
 *   median of N runs each; budget: ratio at most 2.0.
 * - tests: `npm test` wall time, one run, and its slowest test files; budget: 60 s on a 2-core machine.
 * - process start: what one fork and exec of a small program costs on this machine (no budget). The script
 *   tests run the real shell scripts, which start many thousands of processes, so this figure tells a slow
 *   machine from a slow suite.
 *
 * Prints a table and writes bench/results/latest.json; exits 1 when a budget is exceeded or a command
 * fails (one line, no stack trace), 2 on a usage error.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { type CommandLine, exitWith, processOutput, runCli, UsageError } from '../lib/cli/run-cli';

const ROOT = path.resolve(__dirname, '..');
const CDK = path.join(ROOT, 'node_modules', '.bin', 'cdk');

const USAGE = `usage: npm run bench -- [--runs N] [--skip-tests]
  --runs N        synth runs of each app, interleaved (default 5)
  --skip-tests    do not time npm test
  -h, --help      this text`;

/** A failure of a benchmarked command: printed as one line. */
class BenchError extends Error {}

const TEST_BUDGET_SECONDS = 60;
const PROCESS_STARTS = 200;

/** Milliseconds per process start: a POSIX shell runs `true` as a program (not its builtin) in a loop. */
function processStartMs(): number {
  const loop =
    'T=/bin/true; [ -x "$T" ] || T=/usr/bin/true; i=0; ' +
    `while [ "$i" -lt ${PROCESS_STARTS} ]; do "$T"; i=$((i + 1)); done`;
  return (timeCommand('sh', ['-c', loop], ROOT) * 1000) / PROCESS_STARTS;
}

function timeCommand(cmd: string, args: string[], cwd: string): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(cmd, args, {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' },
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) {
    const tail = result.stderr.toString().trim().split('\n').slice(-3).join(' | ');
    throw new BenchError(`${cmd} ${args.join(' ')} failed in ${cwd} (exit ${result.status}): ${tail}`);
  }
  return seconds;
}

/** `npm test` once: wall time and the slowest test files (from jest's --json report). */
function timeTests(): { seconds: number; slowest: { file: string; seconds: number }[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-jest-'));
  const report = path.join(dir, 'report.json');
  let seconds: number;
  let results: { name: string; startTime: number; endTime: number }[];
  try {
    seconds = timeCommand('npm', ['test', '--silent', '--', '--json', `--outputFile=${report}`], ROOT);
    results = JSON.parse(fs.readFileSync(report, 'utf8')).testResults ?? [];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const slowest = results
    .map((r) => ({ file: path.relative(ROOT, r.name), seconds: (r.endTime - r.startTime) / 1000 }))
    .sort((a, b) => b.seconds - a.seconds)
    .slice(0, 5);
  return { seconds, slowest };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The baseline app runs with this repository's cdk.json context (feature flags, the CloudFormation rule
 * check), so both apps pay the same fixed costs and the ratio measures what this app adds.
 */
function baselineAppDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-baseline-'));
  const context = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).context;
  // Same loader as cdk.json, so only what the app itself does differs.
  const register = path.join(ROOT, 'bin', 'register-ts.cjs');
  const app = path.join(ROOT, 'bench', 'one-bucket-app', 'app.ts');
  const command = `node --enable-source-maps -r ${register} ${app}`;
  fs.writeFileSync(path.join(dir, 'cdk.json'), JSON.stringify({ app: command, context }));
  return dir;
}

/**
 * Synth times of the app and the baseline, runs interleaved (app, baseline, app, …) so that a burst of
 * other load on the machine slows both alike instead of skewing the ratio.
 */
function synthTimes(
  appDir: string,
  baselineDir: string,
  runs: number,
): { app: number[]; baseline: number[] } {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
  try {
    const args = (name: string) => [
      'synth',
      '--quiet',
      '--no-notices',
      '--no-version-reporting',
      '-o',
      path.join(out, name),
    ];
    timeCommand(CDK, args('app'), appDir); // warm-up: file cache
    timeCommand(CDK, args('baseline'), baselineDir);
    const app: number[] = [];
    const baseline: number[] = [];
    for (let i = 0; i < runs; i++) {
      app.push(timeCommand(CDK, args('app'), appDir));
      baseline.push(timeCommand(CDK, args('baseline'), baselineDir));
    }
    return { app, baseline };
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}

const CLI = {
  name: 'bench',
  usage: USAGE,
  options: { runs: { type: 'string' }, 'skip-tests': { type: 'boolean' } },
  describe: (error: unknown) => (error instanceof BenchError ? error.message : undefined),
} as const;

function optionsOf({ values }: CommandLine<typeof CLI.options>): { runs: number; skipTests: boolean } {
  const runs = values.runs === undefined ? 5 : Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) {
    throw new UsageError(`--runs needs a positive integer (got ${JSON.stringify(values.runs)})`);
  }
  return { runs, skipTests: values['skip-tests'] ?? false };
}

function run(options: { runs: number; skipTests: boolean }): number {
  const { runs } = options;
  const baselineDir = baselineAppDir();
  const { app, baseline } = synthTimes(ROOT, baselineDir, runs);
  fs.rmSync(baselineDir, { recursive: true, force: true });
  const ratio = median(app) / median(baseline);
  const startMs = processStartMs();
  const rows: [string, string, string, boolean][] = [
    ['synth, whole app (median s)', median(app).toFixed(2), '', true],
    ['synth, one-bucket app (median s)', median(baseline).toFixed(2), '', true],
    ['synth ratio', ratio.toFixed(2), '<= 2.00', ratio <= 2],
    ['process start (ms)', startMs.toFixed(1), '', true],
  ];
  let tests: ReturnType<typeof timeTests> | undefined;
  if (!options.skipTests) {
    tests = timeTests();
    rows.push([
      'npm test (s)',
      tests.seconds.toFixed(1),
      `<= ${TEST_BUDGET_SECONDS}`,
      tests.seconds <= TEST_BUDGET_SECONDS,
    ]);
  }
  console.log(`bench on ${os.cpus().length} cores, ${runs} runs per synth`);
  for (const [name, value, budget, ok] of rows) {
    console.log(
      `${name.padEnd(34)} ${value.padStart(8)}  ${budget.padEnd(8)} ${budget ? (ok ? 'ok' : 'OVER BUDGET') : ''}`,
    );
  }
  if (tests) {
    console.log('slowest test files:');
    for (const t of tests.slowest) console.log(`  ${t.seconds.toFixed(1).padStart(6)} s  ${t.file}`);
  }
  fs.mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
  fs.writeFileSync(
    path.join(ROOT, 'bench', 'results', 'latest.json'),
    JSON.stringify(
      { cores: os.cpus().length, runs, app, baseline, ratio, processStartMs: startMs, tests },
      null,
      2,
    ),
  );
  return rows.some(([, , , ok]) => !ok) ? 1 : 0;
}

if (require.main === module) {
  exitWith(runCli(CLI, process.argv.slice(2), processOutput, (commandLine) => run(optionsOf(commandLine))));
}
