/**
 * Benchmarks (not tests: timings vary by machine). `npm run bench [-- --runs N] [-- --skip-tests]`.
 *
 * - synth: `npx cdk synth --quiet` of the whole app vs. a one-bucket app on the same aws-cdk-lib and CLI,
 *   median of N runs each; budget: ratio at most 2.0.
 * - tests: `npm test` wall time, one run; budget: 90 s on a 2-core machine.
 *
 * Prints a table and writes bench/results/latest.json; exits 1 when a budget is exceeded.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..');
const CDK = path.join(ROOT, 'node_modules', '.bin', 'cdk');

function timeCommand(cmd: string, args: string[], cwd: string): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(cmd, args, {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' },
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed in ${cwd}:\n${result.stderr.toString().slice(-2000)}`);
  }
  return seconds;
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

function main(): void {
  const argv = process.argv.slice(2);
  const runsFlag = argv.indexOf('--runs');
  const runs = runsFlag >= 0 ? Number(argv[runsFlag + 1]) : 5;
  if (!Number.isInteger(runs) || runs < 1) {
    console.error('bench: --runs needs a positive integer');
    process.exit(2);
  }
  const baselineDir = baselineAppDir();
  const { app, baseline } = synthTimes(ROOT, baselineDir, runs);
  fs.rmSync(baselineDir, { recursive: true, force: true });
  const ratio = median(app) / median(baseline);
  const rows: [string, string, string, boolean][] = [
    ['synth, whole app (median s)', median(app).toFixed(2), '', true],
    ['synth, one-bucket app (median s)', median(baseline).toFixed(2), '', true],
    ['synth ratio', ratio.toFixed(2), '<= 2.00', ratio <= 2],
  ];
  let testSeconds: number | undefined;
  if (!argv.includes('--skip-tests')) {
    testSeconds = timeCommand('npm', ['test', '--silent'], ROOT);
    rows.push(['npm test (s)', testSeconds.toFixed(1), '<= 90', testSeconds <= 90]);
  }
  console.log(`bench on ${os.cpus().length} cores, ${runs} runs per synth`);
  for (const [name, value, budget, ok] of rows) {
    console.log(
      `${name.padEnd(34)} ${value.padStart(8)}  ${budget.padEnd(8)} ${budget ? (ok ? 'ok' : 'OVER BUDGET') : ''}`,
    );
  }
  fs.mkdirSync(path.join(ROOT, 'bench', 'results'), { recursive: true });
  fs.writeFileSync(
    path.join(ROOT, 'bench', 'results', 'latest.json'),
    JSON.stringify({ cores: os.cpus().length, runs, app, baseline, ratio, testSeconds }, null, 2),
  );
  if (rows.some(([, , , ok]) => !ok)) process.exit(1);
}

if (require.main === module) main();
