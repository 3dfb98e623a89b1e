import { Readable, Writable } from 'stream';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { CREDENTIALS, PLACEHOLDER_PREFIX } from '../../lib/credentials/catalog';
import { CliIo, runCredentialsCli, statusFromVersions } from '../../lib/credentials/credentials-cli';

const cloudFormation = mockClient(CloudFormationClient);
const secretsManager = mockClient(SecretsManagerClient);
const PREFIX = 'JenkinsGpuTraining/';
const SECRET_VALUE = 'ghp_s3cr3tT0kenValue';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(
  argv: string[],
  options: { files?: Record<string, string>; stdin?: string; tty?: boolean; prompt?: string } = {},
): Promise<Run> {
  const stdout = new Capture();
  const stderr = new Capture();
  const stdin = Object.assign(
    Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
    {
      isTTY: options.tty ?? false,
    },
  );
  const io: CliIo = {
    stdin,
    stdout,
    stderr,
    readFile: async (path) => {
      const content = options.files?.[path];
      if (content === undefined) {
        throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), {
          code: 'ENOENT',
        });
      }
      return Buffer.from(content);
    },
    promptSecret: async () => {
      if (options.prompt === undefined) throw new Error('unexpected prompt');
      return options.prompt;
    },
  };
  const code = await runCredentialsCli(
    argv,
    () => ({
      secretsManager: new SecretsManagerClient({ region: 'us-east-1' }),
      cloudFormation: new CloudFormationClient({ region: 'us-east-1' }),
    }),
    io,
  );
  return { code, stdout: stdout.text, stderr: stderr.text };
}

function stackDeployed(): void {
  cloudFormation.on(DescribeStacksCommand, { StackName: 'JenkinsGpuTraining' }).resolves({
    Stacks: [
      {
        StackName: 'JenkinsGpuTraining',
        CreationTime: new Date(0),
        StackStatus: 'CREATE_COMPLETE',
        Outputs: [{ OutputKey: 'CredentialsSecretPrefix', OutputValue: PREFIX }],
      },
    ],
  });
}

function putCalls(): { SecretId?: string; SecretString?: string; SecretBinary?: Uint8Array }[] {
  return secretsManager.commandCalls(PutSecretValueCommand).map((c) => c.args[0].input);
}

function expectOneLineError(result: Run, message: string | RegExp): void {
  expect(result.code).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(result.stderr).toMatch(message);
  expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

beforeEach(() => {
  cloudFormation.reset();
  secretsManager.reset();
  stackDeployed();
  secretsManager.on(PutSecretValueCommand).resolves({ VersionId: 'v2' });
});

describe('credentials set', () => {
  test('from a file: the file content goes to <prefix><id>, the output names no value', async () => {
    const json = '{"type": "service_account", "private_key": "abc"}\n';
    const result = await run(['set', 'gcp-service-account', '--file', 'sa.json'], {
      files: { 'sa.json': json },
    });
    expect(result.code).toBe(0);
    expect(putCalls()).toEqual([{ SecretId: `${PREFIX}gcp-service-account`, SecretString: json }]);
    expect(result.stdout).toContain('gcp-service-account: set');
    expect(result.stdout + result.stderr).not.toContain('private_key');
  });

  test('from stdin: a single value loses its trailing newline', async () => {
    const result = await run(['set', 'scm-credentials', '--stdin'], { stdin: `${SECRET_VALUE}\n` });
    expect(result.code).toBe(0);
    expect(putCalls()).toEqual([{ SecretId: `${PREFIX}scm-credentials`, SecretString: SECRET_VALUE }]);
    expect(result.stdout + result.stderr).not.toContain(SECRET_VALUE);
  });

  test('on a terminal without --file/--stdin it prompts (no echo is the prompt implementation)', async () => {
    const result = await run(['set', 'scm-credentials'], { tty: true, prompt: SECRET_VALUE });
    expect(result.code).toBe(0);
    expect(putCalls()[0].SecretString).toBe(SECRET_VALUE);
  });

  test('--stack picks another stack', async () => {
    cloudFormation.on(DescribeStacksCommand, { StackName: 'Dev' }).resolves({
      Stacks: [
        {
          StackName: 'Dev',
          CreationTime: new Date(0),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [{ OutputKey: 'CredentialsSecretPrefix', OutputValue: 'Dev/' }],
        },
      ],
    });
    const result = await run(['set', 'pypi-pip-conf', '--file', 'pip.conf', '--stack', 'Dev'], {
      files: { 'pip.conf': '[global]\nindex-url = https://example.invalid/simple\n' },
    });
    expect(result.code).toBe(0);
    expect(putCalls()[0].SecretId).toBe('Dev/pypi-pip-conf');
  });

  test('an empty file is refused', async () => {
    const result = await run(['set', 'pypi-pip-conf', '--file', 'empty.conf'], {
      files: { 'empty.conf': '\n' },
    });
    expectOneLineError(result, /^error: file empty.conf is empty: nothing to set for pypi-pip-conf$/m);
    expect(putCalls()).toHaveLength(0);
  });

  test('a missing file is refused', async () => {
    expectOneLineError(
      await run(['set', 'pypi-pip-conf', '--file', 'nope.conf']),
      'error: file not found: nope.conf',
    );
  });

  test('an unknown id lists the valid ones', async () => {
    const result = await run(['set', 'gcp', '--file', 'x']);
    expectOneLineError(
      result,
      'error: unknown credential id "gcp"; valid ids: gcp-service-account, scm-credentials, pypi-pip-conf',
    );
  });

  test('the stack-managed key cannot be set', async () => {
    const result = await run(['set', 'worker-ssh-key', '--file', 'id_rsa'], { files: { id_rsa: 'KEY' } });
    expectOneLineError(result, /^error: worker-ssh-key is managed by the stack/);
    expect(putCalls()).toHaveLength(0);
  });

  test('a secret value as an extra argument is refused, and never printed back', async () => {
    const result = await run(['set', 'scm-credentials', SECRET_VALUE]);
    expectOneLineError(result, /must never be a command-line argument/);
    expect(result.stderr).not.toContain(SECRET_VALUE);
    expect(cloudFormation.calls()).toHaveLength(0);
    expect(putCalls()).toHaveLength(0);
  });

  test('the placeholder text itself is refused', async () => {
    const result = await run(['set', 'scm-credentials', '--stdin'], { stdin: `${PLACEHOLDER_PREFIX} x` });
    expectOneLineError(result, /holds the placeholder text/);
  });

  test('a file credential on a terminal needs --file', async () => {
    expectOneLineError(
      await run(['set', 'gcp-service-account'], { tty: true }),
      /is a file credential: use --file/,
    );
  });

  test('a missing secret is one clear line', async () => {
    secretsManager.on(PutSecretValueCommand).rejects(
      Object.assign(new Error("Secrets Manager can't find the specified secret."), {
        name: 'ResourceNotFoundException',
      }),
    );
    const result = await run(['set', 'scm-credentials', '--stdin'], { stdin: SECRET_VALUE });
    expectOneLineError(
      result,
      `error: secret ${PREFIX}scm-credentials does not exist (deleted?): run cdk deploy to recreate it`,
    );
  });
});

describe('credentials status', () => {
  test('lists every catalog credential as placeholder / set / missing and never a value', async () => {
    secretsManager.on(DescribeSecretCommand, { SecretId: `${PREFIX}gcp-service-account` }).resolves({
      VersionIdsToStages: { v1: ['AWSCURRENT'] },
    });
    secretsManager.on(DescribeSecretCommand, { SecretId: `${PREFIX}scm-credentials` }).resolves({
      VersionIdsToStages: { v1: ['AWSPREVIOUS'], v2: ['AWSCURRENT'] },
    });
    secretsManager
      .on(DescribeSecretCommand, { SecretId: `${PREFIX}pypi-pip-conf` })
      .rejects(Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' }));
    secretsManager.on(DescribeSecretCommand, { SecretId: `${PREFIX}worker-ssh-key` }).resolves({
      VersionIdsToStages: { v1: ['AWSPREVIOUS'], v2: ['AWSCURRENT'] },
    });

    const result = await run(['status']);

    expect(result.code).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(CREDENTIALS.length);
    expect(lines[0]).toMatch(/^gcp-service-account\s+placeholder\s/);
    expect(lines[1]).toMatch(/^scm-credentials\s+set\s/);
    expect(lines[2]).toMatch(/^pypi-pip-conf\s+missing\s/);
    expect(lines[3]).toMatch(/^worker-ssh-key\s+set\s+managed by the stack/);
    // status never needs a value
    expect(secretsManager.calls().map((c) => c.args[0].constructor.name)).toEqual(
      CREDENTIALS.map(() => 'DescribeSecretCommand'),
    );
  });

  test('version stages: only the creation version means placeholder', () => {
    expect(statusFromVersions({ a: ['AWSCURRENT'] })).toBe('placeholder');
    expect(statusFromVersions({ a: ['AWSPREVIOUS'], b: ['AWSCURRENT'] })).toBe('set');
  });

  test('no AWS credentials: one clear line', async () => {
    cloudFormation.on(DescribeStacksCommand).rejects(
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      }),
    );
    expectOneLineError(await run(['status']), /^error: no AWS credentials found/);
  });

  test('stack not deployed in the region: one clear line naming stack and region', async () => {
    cloudFormation.on(DescribeStacksCommand).rejects(
      Object.assign(new Error('Stack with id JenkinsGpuTraining does not exist'), {
        name: 'ValidationError',
      }),
    );
    expectOneLineError(await run(['status']), 'error: stack JenkinsGpuTraining is not deployed in us-east-1');
  });

  test('a stack without the prefix output: one clear line', async () => {
    cloudFormation.on(DescribeStacksCommand).resolves({
      Stacks: [
        {
          StackName: 'JenkinsGpuTraining',
          CreationTime: new Date(0),
          StackStatus: 'CREATE_COMPLETE',
          Outputs: [],
        },
      ],
    });
    expectOneLineError(await run(['status']), /has no CredentialsSecretPrefix output/);
  });

  test('an unknown command or option shows usage and exits 1', async () => {
    const result = await run(['delete', 'x']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/unknown command "delete"/);
    expect((await run(['status', '--value', 'x'])).code).toBe(1);
  });
});
