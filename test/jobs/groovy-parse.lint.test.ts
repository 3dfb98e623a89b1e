import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * Every Job DSL script and Jenkinsfile in jobs/ compiles with Groovy 2.4 (Debian package `groovy`, the
 * version Jenkins runs). Compile-only (test/jobs/parse-groovy.groovy): DSL methods are not resolved.
 */
const ROOT = path.join(__dirname, '..', '..');
const PARSER = path.join(__dirname, 'parse-groovy.groovy');
const JOB_FILES = fs
  .readdirSync(path.join(ROOT, 'jobs'))
  .filter((name) => name.endsWith('.groovy') || name.endsWith('.Jenkinsfile'))
  .map((name) => path.join(ROOT, 'jobs', name));

/** `groovy` needs JAVA_HOME when /usr/lib/jvm/default-java is absent: derive it from `java` on PATH. */
function groovyEnv(): NodeJS.ProcessEnv {
  if (process.env.JAVA_HOME || fs.existsSync('/usr/lib/jvm/default-java')) {
    return process.env;
  }
  try {
    const java = fs.realpathSync(execFileSync('sh', ['-c', 'command -v java'], { encoding: 'utf8' }).trim());
    return { ...process.env, JAVA_HOME: path.dirname(path.dirname(java)) };
  } catch {
    return process.env;
  }
}

function parse(files: string[]): { status: number | null; output: string } {
  const result = spawnSync('groovy', [PARSER, ...files], { encoding: 'utf8', env: groovyEnv() });
  if (result.error) {
    throw new Error(
      `cannot run groovy (${result.error.message}): install Groovy 2.4 (apt-get install -y groovy) to check jobs/`,
    );
  }
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

test('jobs/ has the seed script, the gpu-check and the training Jenkinsfiles', () => {
  expect(JOB_FILES.map((f) => path.basename(f)).sort()).toEqual([
    'gpu-check.Jenkinsfile',
    'seed.groovy',
    'train.Jenkinsfile',
  ]);
});

test('groovy on PATH is 2.4, the version Jenkins runs', () => {
  const result = spawnSync('groovy', ['--version'], { encoding: 'utf8', env: groovyEnv() });
  if (result.error) {
    throw new Error('groovy is not installed: apt-get install -y groovy (Groovy 2.4)');
  }
  expect(`${result.stdout}${result.stderr}`).toMatch(/Groovy Version: 2\.4\./);
});

test('every job file compiles with Groovy 2.4', () => {
  const { status, output } = parse(JOB_FILES);
  expect(output).not.toContain('FAILED');
  expect(status).toBe(0);
  for (const file of JOB_FILES) {
    expect(output).toContain(`ok ${file}`);
  }
});

test('a syntax error makes the check fail (the check can fail)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'groovy-parse-'));
  try {
    const broken = path.join(dir, 'train.Jenkinsfile');
    const source = fs.readFileSync(path.join(ROOT, 'jobs', 'train.Jenkinsfile'), 'utf8');
    fs.writeFileSync(
      broken,
      source.replace("stage('Validate parameters') {", "stage('Validate parameters' {"),
    );
    const { status, output } = parse([broken]);
    expect(status).toBe(1);
    expect(output).toContain(`FAILED ${broken}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
