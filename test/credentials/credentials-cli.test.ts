import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  GetSecretValueCommand,
  GetSecretValueCommandOutput,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable, Writable } from 'stream';

import {
  CREDENTIALS,
  MANAGED_SECRET_INITIAL_VALUE,
  PLACEHOLDER_PREFIX,
  placeholderValue,
} from '../../lib/credentials/catalog';
import { CliIo, describeStatus, runCredentialsCli } from '../../lib/credentials/credentials-cli';

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
  options: {
    files?: Record<string, string | Buffer>;
    stdin?: string | Buffer;
    tty?: boolean;
    prompt?: string;
  } = {},
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

/** The one PutSecretValue call: its secret and the exact bytes it stores as SecretBinary. */
function putBinary(): { SecretId?: string; bytes: Buffer; SecretString?: string } {
  const [call] = putCalls();
  expect(putCalls()).toHaveLength(1);
  expect(call.SecretBinary).toBeInstanceOf(Uint8Array);
  return { SecretId: call.SecretId, bytes: Buffer.from(call.SecretBinary!), SecretString: call.SecretString };
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

// A file credential is read from SecretBinary only: CredentialsFactory.java lines 69-70 and
// AwsFileCredentials.java line 40 at 2.222.v376939a_9ffb_b (test/contracts/credentials-provider.test.ts).
describe('credentials set', () => {
  test('a UTF-8 file goes to <prefix><id> as SecretBinary with its exact bytes, the output names no value', async () => {
    const json = '\uFEFF{"type": "service_account",\r\n "private_key": "abc-é"}\n\n';
    const result = await run(['set', 'gcp-service-account', '--file', 'sa.json'], {
      files: { 'sa.json': json },
    });
    expect(result.code).toBe(0);
    const put = putBinary();
    expect(put.SecretId).toBe(`${PREFIX}gcp-service-account`);
    expect(put.SecretString).toBeUndefined();
    expect(put.bytes).toEqual(Buffer.from(json, 'utf8')); // BOM, CRLF and trailing newlines kept
    expect(result.stdout).toContain('gcp-service-account: set');
    expect(result.stdout).toContain(`as SecretBinary, ${Buffer.byteLength(json)} bytes`);
    expect(result.stdout + result.stderr).not.toContain('private_key');
  });

  test('a binary file goes as SecretBinary with its exact bytes', async () => {
    const bytes = Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0xff, 0xfe, 0x80, 0x0a]);
    const result = await run(['set', 'pypi-pip-conf', '--file', 'blob'], { files: { blob: bytes } });
    expect(result.code).toBe(0);
    expect(putBinary().bytes).toEqual(bytes);
  });

  test('a file credential from stdin: SecretBinary with the exact bytes, trailing newline kept', async () => {
    const pipConf = '[global]\nindex-url = https://pypi.example.invalid/simple\n';
    const result = await run(['set', 'pypi-pip-conf', '--stdin'], { stdin: pipConf });
    expect(result.code).toBe(0);
    expect(putBinary().bytes).toEqual(Buffer.from(pipConf));
  });

  test('a password from a file stays SecretString without an editor BOM and trailing newline', async () => {
    const result = await run(['set', 'scm-credentials', '--file', 'token'], {
      files: { token: `\uFEFF${SECRET_VALUE}\r\n` },
    });
    expect(result.code).toBe(0);
    expect(putCalls()).toEqual([{ SecretId: `${PREFIX}scm-credentials`, SecretString: SECRET_VALUE }]);
    expect(result.stdout).toContain('as SecretString');
  });

  test('a password that is not UTF-8 is refused: the plugin reads it as text only', async () => {
    const result = await run(['set', 'scm-credentials', '--stdin'], {
      stdin: Buffer.from([0xff, 0xfe, 0x41]),
    });
    expectOneLineError(
      result,
      'credentials: stdin is not UTF-8 text; a usernamePassword credential is stored as SecretString: nothing set for scm-credentials',
    );
    expect(putCalls()).toHaveLength(0);
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
    expectOneLineError(result, /^credentials: file empty.conf is empty: nothing to set for pypi-pip-conf$/m);
    expect(putCalls()).toHaveLength(0);
  });

  test('a missing file is refused', async () => {
    expectOneLineError(
      await run(['set', 'pypi-pip-conf', '--file', 'nope.conf']),
      'credentials: file not found: nope.conf',
    );
  });

  test('an unknown id lists the valid ones', async () => {
    const result = await run(['set', 'gcp', '--file', 'x']);
    expectOneLineError(
      result,
      'credentials: unknown credential id "gcp"; valid ids: gcp-service-account, scm-credentials, pypi-pip-conf',
    );
  });

  test('the stack-managed key cannot be set', async () => {
    const result = await run(['set', 'worker-ssh-key', '--file', 'id_rsa'], { files: { id_rsa: 'KEY' } });
    expectOneLineError(result, /^credentials: worker-ssh-key is managed by the stack/);
    expect(putCalls()).toHaveLength(0);
  });

  test('a secret value as an extra argument is refused, and never printed back', async () => {
    const result = await run(['set', 'scm-credentials', SECRET_VALUE]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(
      /^credentials: set takes exactly one argument.* must never be a command-line argument.*\nusage: /,
    );
    expect(result.stderr).not.toContain(SECRET_VALUE);
    expect(cloudFormation.calls()).toHaveLength(0);
    expect(putCalls()).toHaveLength(0);
  });

  test('the placeholder text itself is refused', async () => {
    const result = await run(['set', 'scm-credentials', '--stdin'], { stdin: `${PLACEHOLDER_PREFIX} x` });
    expectOneLineError(result, /holds the placeholder text/);
    const file = await run(['set', 'gcp-service-account', '--file', 'p'], {
      files: { p: placeholderValue('gcp-service-account') },
    });
    expectOneLineError(file, /file p holds the placeholder text/);
    expect(putCalls()).toHaveLength(0);
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
      `credentials: secret ${PREFIX}scm-credentials does not exist (deleted?): run cdk deploy to recreate it`,
    );
  });
});

describe('AWS errors are one line', () => {
  test('access denied: says so, with the first line of what AWS said', async () => {
    secretsManager.on(PutSecretValueCommand).rejects(
      Object.assign(
        new Error('User: arn:aws:iam::1:user/dev is not authorized to perform: PutSecretValue\nmore'),
        {
          name: 'AccessDeniedException',
          $metadata: { httpStatusCode: 400 },
        },
      ),
    );
    const result = await run(['set', 'scm-credentials', '--stdin'], { stdin: SECRET_VALUE });
    expectOneLineError(
      result,
      /^credentials: access denied by AWS: User: arn:aws:iam::1:user\/dev is not authorized to perform: PutSecretValue\n$/,
    );
  });

  test('another service error: its name and the first line of its message', async () => {
    secretsManager
      .on(PutSecretValueCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} }));
    const result = await run(['set', 'scm-credentials', '--stdin'], { stdin: SECRET_VALUE });
    expectOneLineError(result, /^credentials: ThrottlingException: Rate exceeded\n$/);
  });
});

/** GetSecretValue answers as Secrets Manager gives them: exactly one of SecretString and SecretBinary. */
function valueOf(id: string, value: { text: string } | { binary: Uint8Array }): void {
  const output: Partial<GetSecretValueCommandOutput> =
    'text' in value ? { SecretString: value.text } : { SecretBinary: value.binary };
  secretsManager.on(GetSecretValueCommand, { SecretId: `${PREFIX}${id}` }).resolves({
    Name: `${PREFIX}${id}`,
    VersionId: 'v2',
    ...output,
  });
}

function notFound(id: string): void {
  secretsManager.on(GetSecretValueCommand, { SecretId: `${PREFIX}${id}` }).rejects(
    Object.assign(new Error("Secrets Manager can't find the specified secret."), {
      name: 'ResourceNotFoundException',
    }),
  );
}

const PEM = ['-----BEGIN', 'RSA', 'PRIVATE', 'KEY-----\nfake\n-----END', 'RSA', 'PRIVATE', 'KEY-----'].join(
  ' ',
);
const KEY_JSON = '{"type": "service_account", "private_key": "abc"}\n';

async function statusLines(): Promise<string[]> {
  const result = await run(['status']);
  expect(result.code).toBe(0);
  expect(result.stderr).toBe('');
  const lines = result.stdout.trimEnd().split('\n');
  expect(lines).toHaveLength(CREDENTIALS.length);
  for (const value of [KEY_JSON, SECRET_VALUE, 'fake', 'index-url']) {
    expect(result.stdout).not.toContain(value); // never a value
  }
  // status reads, never writes
  expect(secretsManager.commandCalls(PutSecretValueCommand)).toHaveLength(0);
  return lines;
}

describe('credentials status', () => {
  test('the binary placeholder the custom resource wrote (a second version) is a placeholder', async () => {
    valueOf('gcp-service-account', { binary: Buffer.from(placeholderValue('gcp-service-account')) });
    valueOf('scm-credentials', { text: SECRET_VALUE });
    notFound('pypi-pip-conf');
    valueOf('worker-ssh-key', { text: PEM });

    const lines = await statusLines();

    expect(lines[0]).toMatch(/^gcp-service-account\s+placeholder\s+Google Cloud/);
    expect(lines[1]).toMatch(/^scm-credentials\s+set\s/);
    expect(lines[2]).toMatch(/^pypi-pip-conf\s+missing\s/);
    expect(lines[3]).toMatch(/^worker-ssh-key\s+set\s+managed by the stack$/);
  });

  test('a file credential holding text: unreadable, names the exact command to re-set it', async () => {
    valueOf('gcp-service-account', { binary: Buffer.from(KEY_JSON) });
    valueOf('scm-credentials', { binary: Buffer.from(SECRET_VALUE) });
    valueOf('pypi-pip-conf', { text: '[global]\nindex-url = https://pypi.example.invalid/simple\n' });
    valueOf('worker-ssh-key', { text: MANAGED_SECRET_INITIAL_VALUE });

    const lines = await statusLines();

    expect(lines[0]).toMatch(/^gcp-service-account\s+set\s/);
    expect(lines[1]).toMatch(
      /^scm-credentials\s+unreadable\s+holds binary, but Jenkins reads a usernamePassword credential from SecretString only: re-set it: npm run credentials -- set scm-credentials$/,
    );
    expect(lines[2]).toMatch(
      /^pypi-pip-conf\s+unreadable\s+holds text, but Jenkins reads a file credential from SecretBinary only: re-set it: npm run credentials -- set pypi-pip-conf --file <path>$/,
    );
    expect(lines[3]).toMatch(
      /^worker-ssh-key\s+placeholder \(key pair not created yet\)\s+managed by the stack$/,
    );
  });

  test('the old text placeholder of a file credential: placeholder, and what fixes it', async () => {
    valueOf('gcp-service-account', { text: placeholderValue('gcp-service-account') });
    valueOf('scm-credentials', { text: placeholderValue('scm-credentials') });
    secretsManager.on(GetSecretValueCommand, { SecretId: `${PREFIX}pypi-pip-conf` }).rejects(
      Object.assign(
        new Error("You can't perform this operation on the secret because it was marked for deletion."),
        {
          name: 'InvalidRequestException',
        },
      ),
    );
    valueOf('worker-ssh-key', { text: PEM });

    const lines = await statusLines();

    expect(lines[0]).toMatch(
      /^gcp-service-account\s+placeholder\s+stored as text, but Jenkins reads a file credential from SecretBinary only, so builds binding it fail: cdk deploy stores it as SecretBinary, or set it: npm run credentials -- set gcp-service-account --file <path>$/,
    );
    expect(lines[1]).toMatch(/^scm-credentials\s+placeholder\s+username and password/);
    expect(lines[2]).toMatch(/^pypi-pip-conf\s+missing\s/);
  });

  test('describeStatus: a stack-managed key in the wrong field says who writes it', () => {
    const key = CREDENTIALS.find((c) => c.managedByStack)!;
    expect(describeStatus(key, { kind: 'credential', field: 'SecretBinary', readable: false })).toEqual({
      status: 'unreadable',
      note: 'holds binary, but Jenkins reads a sshUserPrivateKey credential from SecretString only: the stack writes it (worker key pair custom resource)',
    });
  });

  test('no AWS credentials: one clear line', async () => {
    cloudFormation.on(DescribeStacksCommand).rejects(
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      }),
    );
    expectOneLineError(await run(['status']), /^credentials: no AWS credentials found/);
  });

  test('stack not deployed in the region: one clear line naming stack and region', async () => {
    cloudFormation.on(DescribeStacksCommand).rejects(
      Object.assign(new Error('Stack with id JenkinsGpuTraining does not exist'), {
        name: 'ValidationError',
      }),
    );
    expectOneLineError(
      await run(['status']),
      'credentials: stack JenkinsGpuTraining is not deployed in us-east-1',
    );
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

  test('an unknown command or option is a usage error: the problem and the usage on stderr, exit 2', async () => {
    const command = await run(['delete', 'x']);
    expect(command.code).toBe(2);
    expect(command.stdout).toBe('');
    expect(command.stderr).toMatch(
      /^credentials: unknown command "delete"\nusage: npm run credentials -- set <id>/,
    );
    const option = await run(['status', '--value', 'x']);
    expect(option.code).toBe(2);
    expect(option.stderr).toMatch(/^credentials: unknown option '--value'.*\nusage: /);
    expect(cloudFormation.calls()).toHaveLength(0);
  });

  test('a --stack that is no stack name is a usage error, before any AWS call', async () => {
    for (const argv of [
      ['status', '--stack', 'my_stack'],
      ['set', 'pypi-pip-conf', '--stdin', '--stack', '1stack'],
    ]) {
      const result = await run(argv, { stdin: 'x' });
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(
        /^credentials: --stack: "\w+" is not a CloudFormation stack name: letters, digits and hyphens, starting with a letter, at most 128\nusage: /,
      );
    }
    expect(cloudFormation.calls()).toHaveLength(0);
    expect(secretsManager.calls()).toHaveLength(0);
  });

  test('no command is a usage error too', async () => {
    const result = await run([]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^credentials: no command: set or status\nusage: /);
  });

  test('-h and --help print the usage to stdout and exit 0, before any AWS call', async () => {
    for (const flag of ['-h', '--help']) {
      const result = await run([flag]);
      expect(result).toEqual({
        code: 0,
        stdout: expect.stringMatching(/^usage: npm run credentials -- set <id>/),
        stderr: '',
      });
      expect(result.stdout).toContain(
        'credential ids: gcp-service-account, scm-credentials, pypi-pip-conf\n',
      );
    }
    expect(cloudFormation.calls()).toHaveLength(0);
  });
});
