import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { handlePlaceholderEvent } from '../../lambda/file-credential-placeholder';
import { CREDENTIALS, placeholderValue } from '../../lib/credentials/catalog';

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
const seededParameters = [
  ...trainBlock.matchAll(/(?:stringParam|choiceParam|booleanParam)\('([A-Z_]+)'/g),
].map((m) => m[1]);

test('the seed defines the pipeline job in the sandbox', () => {
  expect(seed).toMatch(/pipelineJob\('train'\)/);
  expect(seed).toMatch(/sandbox\(true\)/);
  expect(code(seed)).not.toMatch(/readFileFromWorkspace/); // no workspace when JCasC runs the seed
});

test('every seeded parameter is used by the Jenkinsfile, every validated one is seeded', () => {
  expect(seededParameters).toEqual(
    expect.arrayContaining(['PROBLEM', 'MODEL', 'HPARAMS', 'WORKER', 'TIMEOUT_HOURS']),
  );
  for (const name of seededParameters) {
    expect(jenkinsfile).toMatch(new RegExp(`\\b${name}\\b`));
  }
  const validated = [...jenkinsfile.matchAll(/checkParameter\(errors, p, '([A-Z_]+)'/g)].map((m) => m[1]);
  expect(validated.length).toBeGreaterThan(5);
  for (const name of validated) {
    expect(seededParameters).toContain(name);
  }
});

test('WORKER is checked against the labels the seed offers, which come from casc/ (jobs/worker-labels.tsv)', () => {
  const gpuCheck = fs.readFileSync(path.join(JOBS, 'gpu-check.Jenkinsfile'), 'utf8');
  // The seed offers the labels it reads from the bundle and appends the same rows to both pipelines.
  expect(code(seed)).toContain("readWorkerLabels(new File(jobsDir, 'worker-labels.tsv'))");
  expect(code(seed).match(/choiceParam\('WORKER', servedLabels, /g)).toHaveLength(2);
  expect(code(seed)).toMatch(
    /pipelineScript = new File\(jenkinsfilePath\).getText\('UTF-8'\) \+ workerLabelsMethod\(workerRows\)/,
  );
  expect(code(seed)).toMatch(
    /embeddedFilesMethod\(new File\(jobsDir, 'gpu-check'\)\) \+ workerLabelsMethod\(workerRows\)/,
  );
  for (const pipeline of [jenkinsfile, gpuCheck]) {
    const errors = /List<String> parameterErrors\(Map p\) \{[^]*?\n\}/.exec(pipeline)![0];
    expect(errors).toContain('    checkWorker(errors, p)\n');
    expect(errors).not.toMatch(/'WORKER'/);
    expect(pipeline).toMatch(
      /void checkWorker\(List<String> errors, Map p\) \{\n[^]*?for \(Map<String, String> row : workerLabels\(\)\)/,
    );
  }
  // No worker label is spelled in the code of jobs/ any more: the templates' labelString is the one source.
  for (const text of [seed, jenkinsfile, gpuCheck]) {
    expect(code(text)).not.toMatch(/tensorflow-spot|choiceParam\('WORKER', \[/);
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

/**
 * The placeholder checks, run as the pipeline's `sh` steps run them (bash, `set -euo pipefail`) on the file
 * that `withCredentials([file(...)])` writes: the credential's bytes, which the credentials provider takes
 * from SecretBinary as they are (AwsFileCredentials.java line 40 at 2.222.v376939a_9ffb_b).
 */
describe.each(['PIP_CONF_FILE', 'GCP_KEY_FILE'])('the placeholder check on $%s', (variable) => {
  const condition = new RegExp(`^\\s*if (.*"\\$${variable}".*); then$`, 'm').exec(jenkinsfile)?.[1];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'placeholder-check-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  function check(content: Uint8Array): { result: string; stderr: string } {
    const file = path.join(dir, 'credential');
    fs.writeFileSync(file, content);
    // --norc: bash reads ~/.bashrc even non-interactively when it thinks ssh started it (stdin a socket).
    const run = spawnSync(
      'bash',
      ['--norc', '-c', `set -euo pipefail\nif ${condition}; then echo placeholder; else echo value; fi`],
      {
        env: { PATH: process.env.PATH, [variable]: file },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    expect(run.status).toBe(0);
    return { result: run.stdout.trim(), stderr: run.stderr };
  }

  test('is one `if` line of the Jenkinsfile', () => {
    expect(condition).toBeDefined();
  });

  test('recognises the binary placeholder the custom resource stores', async () => {
    const secretsManager = mockClient(SecretsManagerClient);
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: placeholderValue('pypi-pip-conf') });
    secretsManager.on(PutSecretValueCommand).resolves({});
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    await handlePlaceholderEvent(
      {
        RequestType: 'Create',
        ResourceProperties: {
          SecretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:S/pypi-pip-conf-AbCdEf',
          CredentialType: 'file',
          Placeholder: placeholderValue('pypi-pip-conf'),
        },
      },
      new SecretsManagerClient({}),
    );
    jest.restoreAllMocks();
    const stored = secretsManager.commandCalls(PutSecretValueCommand)[0].args[0].input.SecretBinary!;
    secretsManager.restore();
    expect(check(stored)).toEqual({ result: 'placeholder', stderr: '' });
  });

  test.each([
    ['a JSON key', Buffer.from('{"type": "service_account", "project_id": "p"}\n')],
    ['a pip.conf', Buffer.from('[global]\nindex-url = https://pypi.example.invalid/simple\n')],
    ['text with a PLACEHOLDER: line after the first', Buffer.from('[global]\nPLACEHOLDER: x\n')],
    ['binary bytes', Buffer.from([0x00, 0xff, 0xfe, 0x0a, 0x50, 0x4c, 0x41, 0x43, 0x45, 0x00])],
    ['the prefix cut short', Buffer.from('PLACEHOLDER:')],
    ['an empty file', Buffer.alloc(0)],
  ])('takes %s for a value, quietly', (_name, content) => {
    expect(check(content)).toEqual({ result: 'value', stderr: '' });
  });
});

/**
 * scm-credentials go only to the hosts the Jenkinsfile lists: the step runs before `git` with the token,
 * as Jenkins runs an `sh` step (bash; Groovy's ''' string with `\`-newline continuations joined, the
 * build parameters in the environment).
 */
describe('the scm-credentials host allow-list', () => {
  const step = /sh '''(#!\/bin\/bash\n[^]*?# scm-credentials host check[^]*?)'''/.exec(jenkinsfile)?.[1];
  const hosts = /SCM_CREDENTIAL_HOSTS = '([^']*)'/.exec(jenkinsfile)?.[1];

  function allowed(url: string, list = hosts!): { status: number | null; stderr: string } {
    const script = step!.replace(/\\\n/g, '');
    const run = spawnSync('bash', ['--norc', '-c', script], {
      env: { PATH: process.env.PATH, TRAINING_REPO_URL: url, SCM_CREDENTIAL_HOSTS: list },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { status: run.status, stderr: run.stderr };
  }

  test('runs before the checkout that uses the credential, only when it is used', () => {
    expect(step).toBeDefined();
    expect(hosts).toBe('github.com gitlab.com bitbucket.org');
    const check = jenkinsfile.indexOf('# scm-credentials host check');
    const guarded = jenkinsfile.lastIndexOf('if (params.USE_SCM_CREDENTIALS) {', check);
    expect(guarded).toBeGreaterThan(0);
    expect(jenkinsfile.indexOf("checkout.credentialsId = 'scm-credentials'", check)).toBeGreaterThan(check);
    expect(jenkinsfile.indexOf('git(checkout)', check)).toBeGreaterThan(check);
  });

  test.each([
    'https://github.com/acme/train.git',
    'https://x-token@github.com/acme/train.git',
    'https://GitHub.com:443/acme/train',
    'ssh://git@gitlab.com:22/acme/train.git',
    'git@bitbucket.org:acme/train.git',
  ])('lets %s have the token', (url) => {
    expect(allowed(url)).toEqual({ status: 0, stderr: '' });
  });

  test.each([
    ['another host', 'https://attacker.example/acme/train.git', 'attacker.example'],
    [
      'a look-alike host',
      'https://github.com.attacker.example/acme/train.git',
      'github.com.attacker.example',
    ],
    ['user info that names an allowed host', 'https://github.com@attacker.example/x.git', 'attacker.example'],
    ['a path that names an allowed host', 'https://attacker.example/github.com/x.git', 'attacker.example'],
    ['an scp-like URL of another host', 'git@attacker.example:github.com/x.git', 'attacker.example'],
  ])('refuses %s, naming the list and the host', (_what, url, host) => {
    const r = allowed(url);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `scm-credentials are sent only to: github.com gitlab.com bitbucket.org (SCM_CREDENTIAL_HOSTS in jobs/train.Jenkinsfile); TRAINING_REPO_URL points at '${host}'\n`,
    );
  });

  test('refuses everything when the list is empty', () => {
    expect(allowed('https://github.com/acme/train.git', '').status).toBe(1);
  });
});

test('each build gets its own pip cache, removed with the build', () => {
  expect(jenkinsfile).toMatch(/export PIP_CACHE_DIR="\$WORKSPACE_TMP\/pip-cache"/);
  expect(jenkinsfile).not.toMatch(/\$HOME\/\.cache\/pip/);
  expect(jenkinsfile).toMatch(/always \{[^}]*rm -rf "\$WORKSPACE_TMP\/venv" "\$WORKSPACE_TMP\/pip-cache"/);
});
