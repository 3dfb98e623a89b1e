/**
 * `npm run credentials -- set <id> --file <path> | --stdin` and `npm run credentials -- status`.
 *
 * A secret value never comes from the command line (shell history, `ps`): only from a file, stdin or a
 * prompt without echo. No command ever prints a value. Every failure is one line on stderr, exit 1 (a usage
 * error: with the usage, exit 2; lib/cli/run-cli.ts).
 * Each value goes into the field the credentials provider plugin reads for its type (provider-contract.ts):
 * a file as SecretBinary with its exact bytes, a password or token as SecretString.
 * Clients and I/O are injected so the whole CLI is unit-tested; `bin/credentials.ts` only wires.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';

import { describeAwsError, describeSetupError, firstLine } from '../aws/describe-setup-error';
import { stackOutputs } from '../aws/stack-outputs';
import { stackNameOption } from '../cli/options';
import { type CommandLine, runCli, UsageError } from '../cli/run-cli';
import { DEFAULT_STACK_NAME, STACK_OUTPUTS } from '../contracts';
import { errorMessage, errorName, UserInputError } from '../errors';
import { CREDENTIALS, CredentialSpec, initialValuePrefix, PLACEHOLDER_PREFIX } from './catalog';
import {
  NotUtf8Error,
  SecretField,
  secretFieldOf,
  SecretValueInput,
  secretValueInput,
} from './provider-contract';
import { classifyStoredValue, startsWith, StoredValueState } from './stored-value';

export interface CliClients {
  readonly secretsManager: SecretsManagerClient;
  readonly cloudFormation: CloudFormationClient;
}

export interface CliIo {
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readFile(path: string): Promise<Buffer>;
  /** Asks for a value on the terminal without echoing it. */
  promptSecret(question: string): Promise<string>;
}

export type CredentialStatus = 'placeholder' | 'set' | 'missing' | 'unreadable';

const USAGE = [
  'usage: npm run credentials -- set <id> [--file <path> | --stdin] [--stack <name>]',
  '       npm run credentials -- status [--stack <name>]',
  `credential ids: ${userSettableIds().join(', ')}`,
].join('\n');

const CLI = {
  name: 'credentials',
  usage: USAGE,
  options: {
    file: { type: 'string' },
    stdin: { type: 'boolean' },
    stack: { type: 'string' },
  },
  allowPositionals: true,
  describe: describeError,
} as const;

export function runCredentialsCli(
  argv: readonly string[],
  makeClients: () => CliClients,
  io: CliIo,
): Promise<number> {
  const output = {
    out: (text: string) => void io.stdout.write(text),
    err: (text: string) => void io.stderr.write(text),
  };
  return runCli(CLI, argv, output, async (commandLine) => {
    const parsed = commandOf(commandLine);
    if (parsed.command === 'set') {
      await setCredential(parsed, makeClients, io);
    } else {
      await printStatus(parsed.stack, makeClients(), io);
    }
    return 0;
  });
}

interface ParsedCommandLine {
  readonly command: 'set' | 'status';
  readonly id?: string;
  readonly file?: string;
  readonly stdin: boolean;
  readonly stack: string;
}

/** The command and its arguments; a command line that cannot be one is a {@link UsageError}. */
function commandOf({ values, positionals }: CommandLine<typeof CLI.options>): ParsedCommandLine {
  const stack = values.stack === undefined ? DEFAULT_STACK_NAME : stackNameOption(values.stack);
  const [command, ...rest] = positionals;
  if (command === 'status') {
    if (rest.length > 0 || values.file !== undefined || values.stdin) {
      throw new UsageError('status takes no arguments besides --stack');
    }
    return { command, stdin: false, stack };
  }
  if (command === 'set') {
    if (rest.length === 0) {
      throw new UsageError('set needs a credential id');
    }
    if (rest.length > 1) {
      throw new UsageError(
        'set takes exactly one argument, the credential id: a secret value must never be a command-line ' +
          'argument (it would stay in shell history and the process list); use --file <path>, --stdin or the prompt',
      );
    }
    if (values.file !== undefined && values.stdin) {
      throw new UsageError('use either --file or --stdin, not both');
    }
    return { command, id: rest[0], file: values.file, stdin: values.stdin ?? false, stack };
  }
  throw new UsageError(command === undefined ? 'no command: set or status' : `unknown command "${command}"`);
}

async function setCredential(
  parsed: ParsedCommandLine,
  makeClients: () => CliClients,
  io: CliIo,
): Promise<void> {
  const spec = findSettableCredential(parsed.id ?? '');
  const value = await readSecretValue(spec, parsed, io);
  const clients = makeClients();
  const prefix = await secretPrefix(clients.cloudFormation, parsed.stack);
  const secretName = `${prefix}${spec.id}`;
  try {
    await clients.secretsManager.send(new PutSecretValueCommand({ SecretId: secretName, ...value }));
  } catch (error) {
    throw secretNotFound(error, secretName) ?? error;
  }
  const stored =
    'SecretBinary' in value ? `as SecretBinary, ${value.SecretBinary.length} bytes` : 'as SecretString';
  io.stdout.write(
    `${spec.id}: set (secret ${secretName}, ${stored}); Jenkins uses the new value from its next lookup\n`,
  );
}

function findSettableCredential(id: string): CredentialSpec {
  const spec = CREDENTIALS.find((c) => c.id === id);
  if (!spec) {
    throw new UserInputError(`unknown credential id "${id}"; valid ids: ${userSettableIds().join(', ')}`);
  }
  if (spec.managedByStack) {
    throw new UserInputError(`${id} is managed by the stack (${spec.description}) and cannot be set`);
  }
  return spec;
}

/**
 * The value for the field the plugin reads: a file's exact bytes (SecretBinary); a single text value
 * (password, token) as UTF-8 text without an editor's leading BOM and trailing newlines (SecretString).
 */
async function readSecretValue(
  spec: CredentialSpec,
  parsed: ParsedCommandLine,
  io: CliIo,
): Promise<SecretValueInput> {
  const { raw, source } = await readInput(spec, parsed, io);
  if (/^\s*$/.test(raw.toString('utf8'))) {
    throw new UserInputError(`${source} is empty: nothing to set for ${spec.id}`);
  }
  if (startsWith(raw, PLACEHOLDER_PREFIX)) {
    throw new UserInputError(`${source} holds the placeholder text, not a value for ${spec.id}`);
  }
  const bytes = secretFieldOf(spec.type) === 'SecretBinary' ? raw : singleTextValue(raw);
  try {
    return secretValueInput(spec.type, new Uint8Array(bytes));
  } catch (error) {
    if (error instanceof NotUtf8Error) {
      throw new UserInputError(`${source} is ${error.message}: nothing set for ${spec.id}`);
    }
    throw error;
  }
}

async function readInput(
  spec: CredentialSpec,
  parsed: ParsedCommandLine,
  io: CliIo,
): Promise<{ raw: Buffer; source: string }> {
  if (parsed.file !== undefined) {
    return { raw: await readFileOrFail(parsed.file, io), source: `file ${parsed.file}` };
  }
  if (parsed.stdin || !io.stdin.isTTY) {
    return { raw: await readAll(io.stdin), source: 'stdin' };
  }
  if (secretFieldOf(spec.type) === 'SecretBinary') {
    // A prompt reads one line of text: it cannot hold a file's bytes.
    throw new UserInputError(`${spec.id} is a file credential: use --file <path> (or --stdin)`);
  }
  const answer = await io.promptSecret(`value for ${spec.id} (${spec.description}): `);
  return { raw: Buffer.from(answer, 'utf8'), source: 'the prompt' };
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function singleTextValue(raw: Buffer): Buffer {
  const start = raw.subarray(0, UTF8_BOM.length).equals(UTF8_BOM) ? UTF8_BOM.length : 0;
  let end = raw.length;
  while (end > start && (raw[end - 1] === 0x0a || raw[end - 1] === 0x0d)) end--;
  return raw.subarray(start, end);
}

async function readFileOrFail(path: string, io: CliIo): Promise<Buffer> {
  try {
    return await io.readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserInputError(`file not found: ${path}`);
    if (code === 'EISDIR') throw new UserInputError(`${path} is a directory, not a file`);
    if (code === 'EACCES') throw new UserInputError(`cannot read ${path}: permission denied`);
    throw error;
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

async function printStatus(stack: string, clients: CliClients, io: CliIo): Promise<void> {
  const prefix = await secretPrefix(clients.cloudFormation, stack);
  const width = Math.max(...CREDENTIALS.map((c) => c.id.length));
  for (const spec of CREDENTIALS) {
    const state = await storedState(clients.secretsManager, `${prefix}${spec.id}`, spec);
    const { status, note } = describeStatus(spec, state);
    const shown =
      spec.managedByStack && status === 'placeholder' ? 'placeholder (key pair not created yet)' : status;
    io.stdout.write(`${spec.id.padEnd(width)}  ${shown.padEnd(11)}  ${note}\n`);
  }
}

/**
 * Status and note for one credential. A value in the field the plugin does not read is no credential for
 * Jenkins (a file stored as text fails every build that binds it): the note names the command to re-set it.
 */
export function describeStatus(
  spec: CredentialSpec,
  state: StoredValueState | 'missing',
): { status: CredentialStatus; note: string } {
  const about = spec.managedByStack ? 'managed by the stack' : spec.description;
  if (state === 'missing') {
    return { status: 'missing', note: about };
  }
  const expected = secretFieldOf(spec.type);
  if (state.kind !== 'empty' && state.readable) {
    return { status: state.kind === 'placeholder' ? 'placeholder' : 'set', note: about };
  }
  const fix = spec.managedByStack
    ? 'the stack writes it (worker key pair custom resource)'
    : `re-set it: ${setCommand(spec)}`;
  if (state.kind === 'empty') {
    return { status: 'unreadable', note: `holds no value: ${fix}` };
  }
  const why = `Jenkins reads a ${spec.type} credential from ${expected} only`;
  if (state.kind === 'placeholder' && expected === 'SecretBinary') {
    // The text placeholder of a stack deployed before the placeholder custom resource existed.
    return {
      status: 'placeholder',
      note: `stored as ${fieldWord(state.field)}, but ${why}, so builds binding it fail: cdk deploy stores it as ${expected}, or set it: ${setCommand(spec)}`,
    };
  }
  return { status: 'unreadable', note: `holds ${fieldWord(state.field)}, but ${why}: ${fix}` };
}

function fieldWord(field: SecretField): string {
  return field === 'SecretBinary' ? 'binary' : 'text';
}

function setCommand(spec: CredentialSpec): string {
  const from = secretFieldOf(spec.type) === 'SecretBinary' ? ' --file <path>' : '';
  return `npm run credentials -- set ${spec.id}${from}`;
}

/**
 * What a secret holds, judged from its value (GetSecretValue), which is compared and dropped, never printed.
 * Only the value tells which field it is in (the plugin reads one field per type) and whether it is still the
 * placeholder. Proxies fail: the number of versions grows when the placeholder custom resource writes the
 * binary placeholder, and a marker tag is a second copy of the truth that a console edit leaves stale.
 * So `status` needs `secretsmanager:GetSecretValue` on the secrets (as `set` needs PutSecretValue).
 */
async function storedState(
  client: SecretsManagerClient,
  secretName: string,
  spec: CredentialSpec,
): Promise<StoredValueState | 'missing'> {
  try {
    const got = await client.send(new GetSecretValueCommand({ SecretId: secretName }));
    return classifyStoredValue(
      spec.type,
      { SecretString: got.SecretString, SecretBinary: got.SecretBinary },
      initialValuePrefix(spec),
    );
  } catch (error) {
    if (secretNotFound(error, secretName) !== undefined) {
      return 'missing';
    }
    throw error;
  }
}

/** The secret name prefix from the stack's `CredentialsSecretPrefix` output. */
export async function secretPrefix(client: CloudFormationClient, stackName: string): Promise<string> {
  const outputs = await stackOutputs(
    client,
    stackName,
    async () =>
      `stack ${stackName} is not deployed in ${await regionOf(client)}: deploy it first, or pass --stack <name> / set AWS_REGION`,
  );
  const prefix = outputs.get(STACK_OUTPUTS.credentialsSecretPrefix);
  if (!prefix) {
    throw new UserInputError(
      `stack ${stackName} has no ${STACK_OUTPUTS.credentialsSecretPrefix} output: deploy the current version of the stack`,
    );
  }
  return prefix;
}

function secretNotFound(error: unknown, secretName: string): UserInputError | undefined {
  if (errorName(error) === 'ResourceNotFoundException') {
    return new UserInputError(
      `secret ${secretName} does not exist (deleted?): run cdk deploy to recreate it`,
    );
  }
  if (errorName(error) === 'InvalidRequestException' && /marked for deletion/.test(errorMessage(error))) {
    return new UserInputError(
      `secret ${secretName} is scheduled for deletion: restore it (aws secretsmanager restore-secret)`,
    );
  }
  return undefined;
}

/**
 * One line for a failure that is not a user mistake (runCli prints a UserInputError's message itself); AWS
 * error messages name no secret values (we never send values in names).
 */
export function describeError(error: unknown): string {
  const setup = describeSetupError(error);
  if (setup) return setup;
  const name = errorName(error);
  if (name === 'AccessDeniedException' || name === 'AccessDenied') {
    return `access denied by AWS: ${firstLine(errorMessage(error))}`;
  }
  return describeAwsError(error);
}

function userSettableIds(): string[] {
  return CREDENTIALS.filter((c) => !c.managedByStack).map((c) => c.id);
}

async function regionOf(client: CloudFormationClient): Promise<string> {
  try {
    return await client.config.region();
  } catch {
    return 'the configured region';
  }
}
