/**
 * Text-level contracts of the gpu-check job between jobs/seed.groovy, jobs/gpu-check.Jenkinsfile, the
 * scripts in jobs/gpu-check/, the credential catalog and the config bundle. (Running the seed itself, with a
 * Job DSL stand-in, and checking that the embedded files round-trip byte for byte needs Groovy:
 * test/jobs/SeedRoundTrip.groovy.)
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { bundleOfRepo } from '../../lib/casc/load-casc';
import { CREDENTIALS } from '../../lib/credentials/catalog';
import { GPU_CHECK, REPO } from './gpu-check-harness';

const JOBS = path.join(REPO, 'jobs');
const seed = fs.readFileSync(path.join(JOBS, 'seed.groovy'), 'utf8');
const jenkinsfile = fs.readFileSync(path.join(JOBS, 'gpu-check.Jenkinsfile'), 'utf8');
const trainJenkinsfile = fs.readFileSync(path.join(JOBS, 'train.Jenkinsfile'), 'utf8');
const scripts = fs.readdirSync(GPU_CHECK).sort();
const shellScripts = scripts.filter((name) => name.endsWith('.sh'));

/** The text of one `pipelineJob('name') { ... }` block of the seed (up to the next job or the end). */
function jobBlock(name: string): string {
  const start = seed.indexOf(`pipelineJob('${name}') {`);
  expect(start).toBeGreaterThan(0);
  const next = seed.indexOf('pipelineJob(', start + 1);
  return seed.slice(start, next < 0 ? undefined : next);
}

const gpuCheckBlock = jobBlock('gpu-check');
const parameters = [
  ...gpuCheckBlock.matchAll(
    /(stringParam|choiceParam|booleanParam)\('([A-Z_]+)', ('[^']*'|"[^"]*"|\[[^\]]*\]|servedLabels)/g,
  ),
].map((m) => ({ kind: m[1], name: m[2], value: m[3] }));

describe('the seed', () => {
  it('creates gpu-check before train, in the sandbox, from gpu-check.Jenkinsfile plus the embedded files', () => {
    expect(seed.indexOf("pipelineJob('gpu-check')")).toBeLessThan(seed.indexOf("pipelineJob('train')"));
    expect(gpuCheckBlock).toMatch(/script\(gpuCheckScript\)\s+sandbox\(true\)/);
    expect(seed).toMatch(
      /gpuCheckScript = new File\(jobsDir, 'gpu-check.Jenkinsfile'\).getText\('UTF-8'\) \+\s+embeddedFilesMethod\(new File\(jobsDir, 'gpu-check'\)\)/,
    );
    // The bundle's jobs/ directory on the controller is the directory of TRAIN_JENKINSFILE (casc/jobs.yaml).
    expect(seed).toContain('File jobsDir = new File(jenkinsfilePath).absoluteFile.parentFile');
  });

  it('gives gpu-check its parameters with defaults that need nothing from the user', () => {
    expect(parameters.map((p) => p.name)).toEqual([
      'WORKER',
      'FRAMEWORK',
      'FRAMEWORK_PACKAGE',
      'RESULTS_DIR',
      'TRAIN_SECONDS',
    ]);
    const value = Object.fromEntries(parameters.map((p) => [p.name, p.value]));
    // The labels the casc templates serve, read from the bundle's jobs/worker-labels.tsv.
    expect(value.WORKER).toBe('servedLabels');
    expect(value.FRAMEWORK).toBe("['tensorflow', 'pytorch']");
    expect(value.FRAMEWORK_PACKAGE).toBe("''");
    expect(value.TRAIN_SECONDS).toBe("'60'");
    // The same RESULTS_DIR default as train, so the first run proves the location train writes to.
    expect(gpuCheckBlock).toContain('stringParam(\'RESULTS_DIR\', "${resultsLocation}/results"');
    expect(jobBlock('train')).toContain('stringParam(\'RESULTS_DIR\', "${resultsLocation}/results"');
  });

  it('gives train no default repository or command, and its validation says what to provide', () => {
    const train = jobBlock('train');
    expect(train).toContain("stringParam('TRAINING_REPO_URL', '',");
    expect(train).toContain("stringParam('TRAIN_COMMAND', '',");
    expect(train).not.toMatch(/tensor2tensor|t2t-trainer/);
    const rule = (name: string) =>
      trainJenkinsfile.split('checkParameter(').find((call) => call.startsWith(`errors, p, '${name}'`));
    expect(rule('TRAINING_REPO_URL')).toContain(
      'there is no default: to test the GPU path without one, run gpu-check',
    );
    expect(rule('TRAIN_COMMAND')).toContain('there is no default');
    expect(trainJenkinsfile).toContain('TensorBoard: tensorboard --logdir ${outputDir}');
  });
});

describe('gpu-check.Jenkinsfile', () => {
  const validated = [
    ...jenkinsfile.matchAll(/checkParameter\(errors, p, '([A-Z_]+)'|(checkWorker)\(errors, p\)/g),
  ].map((m) => m[1] ?? 'WORKER');

  it('validates every parameter before asking for a GPU, then runs the checks on the chosen worker', () => {
    expect(validated).toEqual(parameters.map((p) => p.name));
    expect(jenkinsfile).toMatch(/pipeline \{\s*agent none/);
    const validate = jenkinsfile.indexOf("stage('Validate parameters')");
    const gpu = jenkinsfile.indexOf("stage('GPU worker')");
    expect(validate).toBeGreaterThan(0);
    expect(gpu).toBeGreaterThan(validate);
    expect(jenkinsfile.slice(validate, gpu)).not.toMatch(/agent \{/);
    expect(jenkinsfile.slice(gpu)).toMatch(/^\s+agent \{ label "\$\{params.WORKER\}" \}/m);
    expect(jenkinsfile).toContain('TensorBoard: tensorboard --logdir ${outputDir}');
  });

  it('accepts the choices the seed offers, and the same locations as train', () => {
    expect(jenkinsfile).toContain('    checkWorker(errors, p)\n');
    expect(jenkinsfile).toContain("checkParameter(errors, p, 'FRAMEWORK', 'tensorflow|pytorch'");
    const locationOf = (text: string) => /String location = '([^']+)'/.exec(text)?.[1];
    expect(locationOf(jenkinsfile)).toBeDefined();
    expect(locationOf(jenkinsfile)).toBe(locationOf(trainJenkinsfile));
  });

  it('runs one stage per check, each script that exists, and the summary over exactly those checks', () => {
    const stages = [...jenkinsfile.matchAll(/stage\('([^']+)'\)/g)].map((m) => m[1]);
    expect(stages).toEqual([
      'Validate parameters',
      'GPU worker',
      'GPU and driver',
      'Credentials',
      'Framework',
      'Results storage',
      'Train on GPU',
    ]);
    const run = [...jenkinsfile.matchAll(/bash gpu-check\/([a-z-]+\.sh)/g)].map((m) => m[1]);
    expect(new Set(run)).toEqual(new Set(shellScripts.filter((s) => s !== 'lib.sh')));
    const credentialChecks = [...jenkinsfile.matchAll(/credential\.sh ([a-z-]+) (file|password)/g)].map(
      (m) => m[1],
    );
    const summary = /summary\.sh ([^\n]+\n[^\n]+)'''/.exec(jenkinsfile)![1].replace(/\\\n\s*/g, '');
    const summaryChecks = [...summary.matchAll(/'([^']+)'|(\S+)/g)].map((m) => m[1] ?? m[2]);
    expect(summaryChecks).toEqual([
      'driver',
      ...credentialChecks.map((id) => `credential ${id}`),
      'framework',
      'storage',
      'train',
    ]);
  });

  it('checks every credential users fill, with the binding its type needs', () => {
    const userFilled = CREDENTIALS.filter((c) => !c.managedByStack);
    const checked = [...jenkinsfile.matchAll(/credential\.sh ([a-z-]+) (file|password)/g)].map((m) => [
      m[1],
      m[2],
    ]);
    expect(checked.map(([id]) => id).sort()).toEqual(userFilled.map((c) => c.id).sort());
    for (const [id, kind] of checked) {
      const spec = userFilled.find((c) => c.id === id)!;
      expect([id, kind]).toEqual([id, spec.type === 'file' ? 'file' : 'password']);
    }
    const used = [...jenkinsfile.matchAll(/credentialsId: '([^']+)'/g)].map((m) => m[1]);
    expect(used.every((id) => CREDENTIALS.some((c) => c.id === id))).toBe(true);
  });

  it('binds a file credential in a later check only if the Credentials stage could bind it', () => {
    // A credential Jenkins cannot bind fails its withCredentials step; a later check that needed it would
    // then report nothing about what it checks (the Credentials line already names the credential).
    const credentialsStage = jenkinsfile.slice(
      jenkinsfile.indexOf("stage('Credentials')"),
      jenkinsfile.indexOf("stage('Framework')"),
    );
    expect(credentialsStage).toMatch(
      /credential\.sh gcp-service-account file'\s+env\.GCP_KEY_BINDS = 'true'/,
    );
    expect(credentialsStage).toMatch(/credential\.sh pypi-pip-conf file'\s+env\.PIP_CONF_BINDS = 'true'/);
    const later = jenkinsfile.replace(credentialsStage, '');
    const bindings = [...later.matchAll(/credentialsId: '([^']+)'/g)].map((m) => m[1]);
    expect(bindings).toEqual(['pypi-pip-conf', 'gcp-service-account']);
    expect(later).toMatch(
      /if \(env\.PIP_CONF_BINDS == 'true'\) \{\s+withCredentials\(\[file\(credentialsId: 'pypi-pip-conf'/,
    );
    expect(later).toMatch(
      /startsWith\('gs:\/\/'\) && env\.GCP_KEY_BINDS == 'true'\) \{\s+withCredentials\(\[file\(credentialsId: 'gcp-service-account'/,
    );
  });

  it('keeps shell in single-quoted strings, so Groovy never interpolates into them', () => {
    expect(jenkinsfile).not.toMatch(/\bsh\s*\(?\s*"/);
    expect(jenkinsfile).toMatch(
      /writeFile\(file: "gpu-check\/\$\{files\[i\]\.name\}", text: files\[i\]\.base64, encoding: 'Base64'\)/,
    );
  });

  it('provides every variable the scripts read that they do not set themselves', () => {
    const provided = new Set([
      // Jenkins sets these for every sh step; bash sets HOSTNAME and BASH_SOURCE.
      'WORKSPACE',
      'WORKSPACE_TMP',
      'BUILD_NUMBER',
      'HOME',
      'HOSTNAME',
      'BASH_SOURCE',
      // Build parameters reach sh steps as environment variables.
      ...parameters.map((p) => p.name),
      // withCredentials bindings and the stage's environment block.
      ...[...jenkinsfile.matchAll(/(?:variable|usernameVariable|passwordVariable): '([A-Z_]+)'/g)].map(
        (m) => m[1],
      ),
      ...[...jenkinsfile.matchAll(/^\s+([A-Z_]+) = "/gm)].map((m) => m[1]),
    ]);
    for (const name of shellScripts) {
      const text = fs.readFileSync(path.join(GPU_CHECK, name), 'utf8').replace(/^\s*#.*$/gm, '');
      const assigned = new Set(
        [...text.matchAll(/(?:^|[\s;(])(?:export |local )?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]),
      );
      const read = [...text.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)].map((m) => m[1]);
      const fromOutside = [...new Set(read)].filter((v) => !assigned.has(v) && !isSetInLib(v));
      expect({ script: name, missing: fromOutside.filter((v) => !provided.has(v)) }).toEqual({
        script: name,
        missing: [],
      });
    }
  });
});

/** Variables lib.sh sets for every script that sources it. */
function isSetInLib(name: string): boolean {
  return new RegExp(`^(?:export )?${name}=`, 'm').test(
    fs.readFileSync(path.join(GPU_CHECK, 'lib.sh'), 'utf8'),
  );
}

describe('jobs/gpu-check/ (the files the seed embeds)', () => {
  it('holds the check scripts, each with a name the seed accepts and small enough to embed', () => {
    expect(scripts).toEqual(
      expect.arrayContaining(['lib.sh', 'driver.sh', 'probe.py', 'train.py', 'summary.sh']),
    );
    for (const name of scripts) {
      expect(name).toMatch(/^[A-Za-z0-9._-]+$/);
      // The seed refuses a base64 text over 60,000 characters (a Java string constant holds 65,535 bytes).
      expect(fs.statSync(path.join(GPU_CHECK, name)).size).toBeLessThan(45_000);
    }
  });

  it('reaches the controller byte for byte in the config bundle (which carries files as UTF-8 text)', () => {
    const bundle = bundleOfRepo(REPO);
    for (const name of scripts) {
      const shipped = bundle.files.get(`jobs/gpu-check/${name}`);
      expect(shipped).toBeDefined();
      expect(Buffer.from(shipped!, 'utf8').equals(fs.readFileSync(path.join(GPU_CHECK, name)))).toBe(true);
    }
    expect(bundle.files.get('jobs/gpu-check.Jenkinsfile')).toBe(jenkinsfile);
  });

  it('runs every stage script with bash in strict mode, on the shared lib.sh', () => {
    for (const name of shellScripts.filter((s) => s !== 'lib.sh')) {
      const text = fs.readFileSync(path.join(GPU_CHECK, name), 'utf8');
      expect(text.startsWith('#!/bin/bash\n')).toBe(true);
      expect(text).toMatch(/^set -euo pipefail$/m);
      expect(text).toContain('. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"');
    }
  });
});
