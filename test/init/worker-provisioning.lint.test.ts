import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { groovyEnv } from '../tools/groovy';

/**
 * The controller hook init.groovy.d/worker_provisioning.groovy, compiled and run by Groovy 2.4 against
 * stand-ins of the Jenkins core, EC2 plugin and AWS SDK classes it uses (test/init/standins, each citing the
 * source lines it follows), through test/init/WorkerProvisioning.groovy. Needs groovy and java, so it runs
 * in `npm run lint:all` (jest.lint.config.js).
 */
const ROOT = path.join(__dirname, '..', '..');
const HOOK = path.join(ROOT, 'init.groovy.d', 'worker_provisioning.groovy');
const RUNNER = path.join(__dirname, 'WorkerProvisioning.groovy');
const STANDINS = path.join(__dirname, 'standins');

function groovyFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.groovy'))
    .map((e) => path.join(e.parentPath, e.name));
}

function run(tool: string, args: string[]): { status: number | null; output: string } {
  const result = spawnSync(tool, args, { encoding: 'utf8', env: groovyEnv() });
  if (result.error)
    throw new Error(`cannot run ${tool} (${result.error.message}): apt-get install -y groovy`);
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

let classes: string;
const temp: string[] = [];

// The stand-ins are compiled together first: Groovy does not find a nested class (NodeProvisioner.Strategy)
// in a source file it loads on demand from the classpath.
beforeAll(() => {
  classes = fs.mkdtempSync(path.join(os.tmpdir(), 'reuse-standins-'));
  temp.push(classes);
  const compiled = run('groovyc', ['-d', classes, ...groovyFiles(STANDINS)]);
  if (compiled.status !== 0) throw new Error(`the stand-ins do not compile:\n${compiled.output}`);
});
afterAll(() => temp.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** The hook with `from` replaced by `to`, run: a planted defect the cases must catch. */
function runBroken(from: string, to: string): { status: number | null; output: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'provisioning-hook-'));
  temp.push(dir);
  const source = fs.readFileSync(HOOK, 'utf8');
  expect(source).toContain(from);
  const broken = path.join(dir, 'worker_provisioning.groovy');
  fs.writeFileSync(broken, source.replace(from, to));
  return runHook(broken);
}

function runHook(hook: string): { status: number | null; output: string } {
  return run('groovy', ['-cp', classes, RUNNER, hook]);
}

test('the hook registers first, restarts stopped workers and fails over from a type short of capacity, in every case', () => {
  const { status, output } = runHook(HOOK);

  expect(output).not.toContain('FAILED');
  expect(output.match(/^ok /gm)).toHaveLength(25);
  expect(status).toBe(0);
  // One log line per decision, naming the label and the worker.
  expect(output).toContain('label tensorflow: started stopped worker i-b (us-east-1b) instead of a launch');
  expect(output).toContain("worker (i-old) not reused: AMI ami-0 is not the template's ami-1");
  expect(output).toContain('label tensorflow: no reusable stopped worker, the plugin provisions 1');
  expect(output).toContain(
    'ok fails over to the next template once the first is short of capacity in every zone',
  );
  expect(output).toContain('ok one zone without capacity moves on to the next zone, not to another type');
});

test('a hook that starts more workers than the demand fails the run (the check can fail)', () => {
  const { status, output } = runBroken('if (executors >= missing) {', 'if (false) {');

  expect(status).toBe(1);
  expect(output).toContain('FAILED starts no more workers than the builds waiting');
});

test('a hook that fails over without a capacity failure in every zone fails the run', () => {
  const { status, output } = runBroken(
    'if (first == null || !failures.isShort(first)) {',
    'if (first == null) {',
  );

  expect(status).toBe(1);
  expect(output).toContain('FAILED one zone without capacity moves on to the next zone, not to another type');
});

test('a hook that takes any launch error for a capacity failure fails the run', () => {
  const { status, output } = runBroken('return code in CODES ? code : null', 'return code');

  expect(status).toBe(1);
  expect(output).toContain('FAILED an error that is not about capacity or a quota does not change the type');
});
