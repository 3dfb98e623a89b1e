/**
 * `npm run credentials -- set <id> --file <path> | --stdin` and `npm run credentials -- status`.
 *
 * A secret value never comes from the command line (shell history, `ps`): only from a file, stdin or a
 * prompt without echo. No command ever prints a value. Every failure is one line on stderr and exit 1.
 * Clients and I/O are injected so the whole CLI is unit-tested; `bin/credentials.ts` only wires.
 */
import { describeSetupError } from '../aws/describe-setup-error';
import { parseArgs } from 'util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { CREDENTIALS, CredentialSpec, PLACEHOLDER_PREFIX } from './catalog';

export const DEFAULT_STACK_NAME = 'JenkinsGpuTraining';
/** The stack output holding the secret name prefix (added by the stack). */
export const SECRET_PREFIX_OUTPUT = 'CredentialsSecretPrefix';

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

export type CredentialStatus = 'placeholder' | 'set' | 'missing';

/** An expected failure: printed as one line, exit 1, no stack trace. */
export class CliError extends Error {}

const USAGE = [
  'usage: npm run credentials -- set <id> [--file <path> | --stdin] [--stack <name>]',
  '       npm run credentials -- status [--stack <name>]',
  `credential ids: ${userSettableIds().join(', ')}`,
].join('\n');

export async function runCredentialsCli(
  argv: readonly string[],
  makeClients: () => CliClients,
  io: CliIo,
): Promise<number> {
  try {
    const parsed = parseCommandLine(argv);
    if (parsed.help) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (parsed.command === 'set') {
      await setCredential(parsed, makeClients, io);
    } else {
      await printStatus(parsed.stack, makeClients(), io);
    }
    return 0;
  } catch (error) {
    io.stderr.write(`error: ${describeError(error)}\n`);
    return 1;
  }
}

interface ParsedCommandLine {
  readonly command: 'set' | 'status';
  readonly id?: string;
  readonly file?: string;
  readonly stdin: boolean;
  readonly stack: string;
  readonly help: boolean;
}

export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  let values: { file?: string; stdin?: boolean; stack?: string; help?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        file: { type: 'string' },
        stdin: { type: 'boolean' },
        stack: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new CliError(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
  }
  const stack = values.stack ?? DEFAULT_STACK_NAME;
  const help = values.help ?? false;
  const [command, ...rest] = positionals;
  if (help) {
    return { command: 'status', stdin: false, stack, help };
  }
  if (command === 'status') {
    if (rest.length > 0 || values.file !== undefined || values.stdin) {
      throw new CliError(`status takes no arguments besides --stack\n${USAGE}`);
    }
    return { command, stdin: false, stack, help };
  }
  if (command === 'set') {
    if (rest.length === 0) {
      throw new CliError(`set needs a credential id\n${USAGE}`);
    }
    if (rest.length > 1) {
      throw new CliError(
        'set takes exactly one argument, the credential id: a secret value must never be a command-line ' +
          'argument (it would stay in shell history and the process list); use --file <path>, --stdin or the prompt',
      );
    }
    if (values.file !== undefined && values.stdin) {
      throw new CliError('use either --file or --stdin, not both');
    }
    return { command, id: rest[0], file: values.file, stdin: values.stdin ?? false, stack, help };
  }
  throw new CliError(command === undefined ? USAGE : `unknown command "${command}"\n${USAGE}`);
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
    await clients.secretsManager.send(
      new PutSecretValueCommand(
        typeof value === 'string'
          ? { SecretId: secretName, SecretString: value }
          : { SecretId: secretName, SecretBinary: value },
      ),
    );
  } catch (error) {
    throw secretNotFound(error, secretName) ?? error;
  }
  io.stdout.write(
    `${spec.id}: set (secret ${secretName}); Jenkins uses the new value from its next lookup\n`,
  );
}

export function findSettableCredential(id: string): CredentialSpec {
  const spec = CREDENTIALS.find((c) => c.id === id);
  if (!spec) {
    throw new CliError(`unknown credential id "${id}"; valid ids: ${userSettableIds().join(', ')}`);
  }
  if (spec.managedByStack) {
    throw new CliError(`${id} is managed by the stack (${spec.description}) and cannot be set`);
  }
  return spec;
}

/** File credentials keep their bytes; single values (passwords, tokens) lose trailing newlines. */
async function readSecretValue(
  spec: CredentialSpec,
  parsed: ParsedCommandLine,
  io: CliIo,
): Promise<string | Uint8Array> {
  let raw: Buffer;
  let source: string;
  if (parsed.file !== undefined) {
    source = `file ${parsed.file}`;
    raw = await readFileOrFail(parsed.file, io);
  } else if (parsed.stdin || !io.stdin.isTTY) {
    source = 'stdin';
    raw = await readAll(io.stdin);
  } else if (spec.type === 'file') {
    throw new CliError(`${spec.id} is a file credential: use --file <path> (or --stdin)`);
  } else {
    source = 'the prompt';
    raw = Buffer.from(await io.promptSecret(`value for ${spec.id} (${spec.description}): `), 'utf8');
  }
  const text = decodeUtf8(raw);
  const value = text === undefined ? raw : spec.type === 'file' ? text : text.replace(/[\r\n]+$/, '');
  if ((typeof value === 'string' ? value.trim().length : value.length) === 0) {
    throw new CliError(`${source} is empty: nothing to set for ${spec.id}`);
  }
  if (typeof value === 'string' && value.startsWith(PLACEHOLDER_PREFIX)) {
    throw new CliError(`${source} holds the placeholder text, not a value for ${spec.id}`);
  }
  return typeof value === 'string' ? value : new Uint8Array(value);
}

async function readFileOrFail(path: string, io: CliIo): Promise<Buffer> {
  try {
    return await io.readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError(`file not found: ${path}`);
    if (code === 'EISDIR') throw new CliError(`${path} is a directory, not a file`);
    if (code === 'EACCES') throw new CliError(`cannot read ${path}: permission denied`);
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

function decodeUtf8(raw: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return undefined; // binary file credential: stored as SecretBinary
  }
}

/**
 * Status from DescribeSecret's version stages, without reading any value: CloudFormation writes the
 * placeholder once at creation and never again while its text is unchanged, so a secret whose only
 * version is the creation one still holds the placeholder, and any later version means it was set.
 * (Needs `secretsmanager:DescribeSecret` only; a value re-set to the placeholder would show as `set`.)
 */
export function statusFromVersions(
  versionIdsToStages: Record<string, string[]> | undefined,
): CredentialStatus {
  const versions = Object.keys(versionIdsToStages ?? {});
  return versions.length <= 1 ? 'placeholder' : 'set';
}

async function printStatus(stack: string, clients: CliClients, io: CliIo): Promise<void> {
  const prefix = await secretPrefix(clients.cloudFormation, stack);
  const width = Math.max(...CREDENTIALS.map((c) => c.id.length));
  for (const spec of CREDENTIALS) {
    const status = await credentialStatus(clients.secretsManager, `${prefix}${spec.id}`);
    const shown =
      spec.managedByStack && status === 'placeholder' ? 'placeholder (key pair not created yet)' : status;
    const note = spec.managedByStack ? 'managed by the stack' : spec.description;
    io.stdout.write(`${spec.id.padEnd(width)}  ${shown.padEnd(11)}  ${note}\n`);
  }
}

async function credentialStatus(client: SecretsManagerClient, secretName: string): Promise<CredentialStatus> {
  try {
    const described = await client.send(new DescribeSecretCommand({ SecretId: secretName }));
    if (described.DeletedDate !== undefined) {
      return 'missing';
    }
    return statusFromVersions(described.VersionIdsToStages);
  } catch (error) {
    if (errorName(error) === 'ResourceNotFoundException') {
      return 'missing';
    }
    throw error;
  }
}

/** The secret name prefix from the stack's `CredentialsSecretPrefix` output. */
export async function secretPrefix(client: CloudFormationClient, stackName: string): Promise<string> {
  let outputs;
  try {
    const described = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    outputs = described.Stacks?.[0]?.Outputs ?? [];
  } catch (error) {
    if (errorName(error) === 'ValidationError' && /does not exist/.test(errorMessage(error))) {
      const region = await regionOf(client);
      throw new CliError(
        `stack ${stackName} is not deployed in ${region}: deploy it first, or pass --stack <name> / set AWS_REGION`,
      );
    }
    throw error;
  }
  const prefix = outputs.find((o) => o.OutputKey === SECRET_PREFIX_OUTPUT)?.OutputValue;
  if (!prefix) {
    throw new CliError(
      `stack ${stackName} has no ${SECRET_PREFIX_OUTPUT} output: deploy the current version of the stack`,
    );
  }
  return prefix;
}

function secretNotFound(error: unknown, secretName: string): CliError | undefined {
  if (errorName(error) === 'ResourceNotFoundException') {
    return new CliError(`secret ${secretName} does not exist (deleted?): run cdk deploy to recreate it`);
  }
  if (errorName(error) === 'InvalidRequestException' && /marked for deletion/.test(errorMessage(error))) {
    return new CliError(
      `secret ${secretName} is scheduled for deletion: restore it (aws secretsmanager restore-secret)`,
    );
  }
  return undefined;
}

/** One line for any failure; AWS error messages name no secret values (we never send values in names). */
export function describeError(error: unknown): string {
  if (error instanceof CliError) {
    return error.message;
  }
  const name = errorName(error);
  const message = errorMessage(error);
  const setup = describeSetupError(error);
  if (setup) return setup;
  if (name === 'AccessDeniedException' || name === 'AccessDenied') {
    return `access denied by AWS: ${firstLine(message)}`;
  }
  return `${name}: ${firstLine(message)}`;
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

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function firstLine(text: string): string {
  return text.split('\n')[0];
}
