import * as fs from 'fs';
import * as path from 'path';
import { CREDENTIALS } from '../../lib/credentials/catalog';

/** Text-level contracts between jobs/seed.groovy, jobs/train.Jenkinsfile and the credential catalog. */
const JOBS = path.join(__dirname, '..', '..', 'jobs');
const seed = fs.readFileSync(path.join(JOBS, 'seed.groovy'), 'utf8');
const jenkinsfile = fs.readFileSync(path.join(JOBS, 'train.Jenkinsfile'), 'utf8');

/** Code without block and line comments (the header comments explain what the code must not do). */
function code(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

/** The seed's `train` job block (the seed also defines gpu-check, with its own parameters). */
const trainBlock = seed.slice(seed.indexOf("pipelineJob('train')"));
const seededParameters = [...trainBlock.matchAll(/(?:stringParam|choiceParam|booleanParam)\('([A-Z_]+)'/g)].map(
  (m) => m[1],
);

test('the seed defines the pipeline job in the sandbox', () => {
  expect(seed).toMatch(/pipelineJob\('train'\)/);
  expect(seed).toMatch(/sandbox\(true\)/);
  expect(code(seed)).not.toMatch(/readFileFromWorkspace/); // no workspace when JCasC runs the seed
});

test('every seeded parameter is used by the Jenkinsfile, every validated one is seeded', () => {
  expect(seededParameters).toEqual(expect.arrayContaining(['PROBLEM', 'MODEL', 'HPARAMS', 'WORKER', 'TIMEOUT_HOURS']));
  for (const name of seededParameters) {
    expect(jenkinsfile).toMatch(new RegExp(`\\b${name}\\b`));
  }
  const validated = [...jenkinsfile.matchAll(/checkParameter\(errors, p, '([A-Z_]+)'/g)].map((m) => m[1]);
  expect(validated.length).toBeGreaterThan(5);
  for (const name of validated) {
    expect(seededParameters).toContain(name);
  }
});

test('the Jenkinsfile only uses credential ids from the catalog', () => {
  const ids = CREDENTIALS.map((c) => c.id);
  const used = [...jenkinsfile.matchAll(/credentialsId(?:: |\s*=\s*)'([^']+)'/g)].map((m) => m[1]);
  expect(used.sort()).toEqual(['gcp-service-account', 'pypi-pip-conf', 'scm-credentials']);
  for (const id of used) {
    expect(ids).toContain(id);
  }
});

test('validation runs before any agent; the GPU stage asks for the chosen label and retries on agent loss', () => {
  expect(jenkinsfile).toMatch(/pipeline \{\s*agent none/);
  const validate = jenkinsfile.indexOf("stage('Validate parameters')");
  const train = jenkinsfile.indexOf("stage('Train on GPU')");
  expect(validate).toBeGreaterThan(0);
  expect(train).toBeGreaterThan(validate);
  expect(jenkinsfile.slice(validate, train)).not.toMatch(/agent \{/);
  expect(jenkinsfile.slice(train)).toMatch(/agent \{ label "\$\{params.WORKER\}" \}/);
  expect(jenkinsfile).toMatch(/retry\(count: 2, conditions: \[agent\(\), nonresumable\(\)\]\)/);
  expect(jenkinsfile).toMatch(/timeout\(time: Integer.parseInt\(params.TIMEOUT_HOURS\), unit: 'HOURS'\)/);
});

test('no retry/sleep loops or apt in the pipeline', () => {
  expect(code(jenkinsfile)).not.toMatch(/\bsleep\b|apt-get|\bapt\b/);
  expect(code(jenkinsfile).match(/retry\(/g)).toHaveLength(1);
});

test('shell steps are single-quoted, so Groovy never interpolates into them', () => {
  expect(jenkinsfile).not.toMatch(/\bsh\s*\(?\s*"/);
  expect(jenkinsfile).not.toMatch(/\bsh\s*\(?\s*"""/);
});
