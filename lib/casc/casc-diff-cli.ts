/**
 * `npm run casc:diff -- [--offline] [--stack NAME] [--cdk-out DIR]`: what a deploy would change on the
 * running controller, per cloud, template and setting. The local bundle is built from casc/ and jobs/ as
 * synth builds it; it is compared with the deployed one (the stack's config parameter names its S3 object)
 * or, with --offline, with the bundle of the last `cdk synth` in cdk.out. All logic is here, with the AWS
 * clients and output injected; `bin/casc-diff.ts` only wires real ones.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { unzipSync } from 'fflate';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { describeAwsError, describeSetupError, isAwsServiceError } from '../aws/describe-setup-error';
import { writeBundle } from '../bundle/build-bundle';
import { stackNameOption } from '../cli/options';
import { type CommandLine, runCli } from '../cli/run-cli';
import { configParameterName, DEFAULT_STACK_NAME } from '../contracts';
import { UserInputError } from '../errors';
import { settingsFromContext } from '../settings/validate-settings';
import { diffBundleDirs, formatChanges } from './bundle-diff';
import { bundleOfRepo } from './load-casc';

export const USAGE = `usage: npm run casc:diff -- [--offline] [--stack NAME] [--cdk-out DIR]
  Shows, per cloud, template and setting, what deploying the local casc/ and jobs/ would change.
  (default)        against the bundle the deployed stack runs (its SSM parameter ${configParameterName('<stack>')}
                   and the S3 object it names; needs AWS credentials and the stack's region)
  --offline        against the bundle of the last synth in cdk.out (no AWS call)
  --stack NAME     the stack (default: stackName in cdk.json, else ${DEFAULT_STACK_NAME})
  --cdk-out DIR    the cloud assembly --offline reads (default cdk.out)
  -h, --help       this text`;

export interface CascDiffDeps {
  /** The repository: casc/, jobs/ and cdk.json are read from here. */
  readonly repoRoot: string;
  readonly ssm: Pick<SSMClient, 'send'>;
  readonly s3: Pick<S3Client, 'send'>;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const CLI = {
  name: 'casc-diff',
  usage: USAGE,
  options: {
    offline: { type: 'boolean' },
    stack: { type: 'string' },
    'cdk-out': { type: 'string' },
  },
  // AWS service errors (access denied, no such bucket) in the service's words; anything else is a bug.
  describe: (error: unknown) =>
    describeSetupError(error) ?? (isAwsServiceError(error) ? describeAwsError(error) : undefined),
} as const;

interface Options {
  readonly offline: boolean;
  readonly stack: string;
  readonly cdkOut: string;
}

/** Runs the command; returns the exit code (0 also when there are changes: it only reports). */
export function runCascDiffCli(argv: readonly string[], deps: CascDiffDeps): Promise<number> {
  return runCli(CLI, argv, deps, async (commandLine) => {
    const options = optionsOf(commandLine, deps);
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'casc-diff-'));
    try {
      const local = writeBundle(bundleOfRepo(deps.repoRoot), path.join(scratch, 'local'));
      const before = options.offline
        ? synthesizedBundle(options)
        : await deployedBundle(options, deps, path.join(scratch, 'deployed'));
      const changes = diffBundleDirs(before.dir, local);
      deps.out(`casc diff: ${before.label} → local casc/ and jobs/\n`);
      for (const line of formatChanges(changes)) deps.out(`  ${line}\n`);
      deps.out(changes.length === 0 ? 'no change\n' : `${changes.length} change(s)\n`);
      return 0;
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });
}

function optionsOf({ values }: CommandLine<typeof CLI.options>, deps: CascDiffDeps): Options {
  // cdk.json's stackName went through the settings' own check.
  const stack =
    values.stack === undefined ? configuredStackName(deps.repoRoot) : stackNameOption(values.stack);
  return {
    offline: values.offline ?? false,
    stack,
    cdkOut: path.resolve(deps.repoRoot, values['cdk-out'] ?? 'cdk.out'),
  };
}

/** The stack name the app would deploy: cdk.json's settings, through the same validation as synth. */
function configuredStackName(repoRoot: string): string {
  const file = path.join(repoRoot, 'cdk.json');
  if (!fs.existsSync(file)) return settingsFromContext({}).stackName;
  let context: Record<string, unknown>;
  try {
    context = (JSON.parse(fs.readFileSync(file, 'utf8')).context ?? {}) as Record<string, unknown>;
  } catch (error) {
    throw new UserInputError(`cdk.json: not valid JSON (${(error as Error).message})`);
  }
  return settingsFromContext(context).stackName;
}

interface BundleSource {
  readonly dir: string;
  readonly label: string;
}

/**
 * The bundle the last synth staged: the stack's template names its digest in the config parameter
 * (lib/constructs/controller-config.ts), and synth writes the bundle under `<cdk.out>/jenkins-config-bundles/<digest>/`.
 */
function synthesizedBundle(options: Options): BundleSource {
  const templateFile = path.join(options.cdkOut, `${options.stack}.template.json`);
  if (!fs.existsSync(templateFile)) {
    throw new UserInputError(
      `${path.relative(process.cwd(), templateFile) || templateFile}: no synthesized template of stack ${options.stack}; run \`npm run synth\` first (or leave out --offline to compare with the deployed stack)`,
    );
  }
  const template = JSON.parse(fs.readFileSync(templateFile, 'utf8')) as {
    Resources?: Record<string, { Type?: string; Properties?: { Name?: unknown; Value?: unknown } }>;
  };
  const parameterName = configParameterName(options.stack);
  const parameter = Object.values(template.Resources ?? {}).find(
    (r) => r.Type === 'AWS::SSM::Parameter' && r.Properties?.Name === parameterName,
  );
  const digest = /digest\\?"\s*:\s*\\?"([0-9a-f]{16,64})/.exec(
    JSON.stringify(parameter?.Properties?.Value ?? ''),
  )?.[1];
  if (!digest) {
    throw new UserInputError(
      `${templateFile}: no config parameter ${parameterName} with a bundle digest in it`,
    );
  }
  const dir = path.join(options.cdkOut, 'jenkins-config-bundles', digest);
  if (!fs.existsSync(dir)) {
    throw new UserInputError(`${dir}: the bundle of the last synth is missing; run \`npm run synth\` again`);
  }
  return { dir, label: `last synth (${path.relative(process.cwd(), dir) || dir})` };
}

/** The bundle the deployed stack runs: its config parameter, then the S3 object (a zip of the bundle). */
async function deployedBundle(options: Options, deps: CascDiffDeps, dir: string): Promise<BundleSource> {
  const name = configParameterName(options.stack);
  let value: string | undefined;
  try {
    value = (await deps.ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
  } catch (error) {
    if ((error as Error).name === 'ParameterNotFound') {
      throw new UserInputError(
        `stack ${options.stack} is not deployed in this account and region (no SSM parameter ${name}); check --stack and AWS_REGION, or use --offline`,
      );
    }
    throw error;
  }
  const bundle = parseParameter(name, value);
  const object = await deps.s3.send(new GetObjectCommand({ Bucket: bundle.bucket, Key: bundle.key }));
  if (!object.Body) throw new UserInputError(`s3://${bundle.bucket}/${bundle.key}: empty response`);
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(await object.Body.transformToByteArray());
  } catch (error) {
    throw new UserInputError(
      `s3://${bundle.bucket}/${bundle.key}: not a zip archive (${(error as Error).message})`,
    );
  }
  for (const [rel, bytes] of Object.entries(files)) {
    if (rel.endsWith('/')) continue;
    const target = path.resolve(dir, rel);
    if (!target.startsWith(`${path.resolve(dir)}${path.sep}`)) {
      throw new UserInputError(
        `s3://${bundle.bucket}/${bundle.key}: entry '${rel}' points outside the bundle`,
      );
    }
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, bytes);
  }
  return { dir, label: `deployed stack ${options.stack} (s3://${bundle.bucket}/${bundle.key})` };
}

function parseParameter(name: string, value: string | undefined): { bucket: string; key: string } {
  let parsed: { bundle?: { bucket?: unknown; key?: unknown } };
  try {
    parsed = JSON.parse(value ?? '') as typeof parsed;
  } catch {
    throw new UserInputError(
      `SSM parameter ${name}: not the JSON the stack writes (was it changed by hand?)`,
    );
  }
  const { bucket, key } = parsed.bundle ?? {};
  if (typeof bucket !== 'string' || typeof key !== 'string') {
    throw new UserInputError(`SSM parameter ${name}: has no bundle.bucket and bundle.key`);
  }
  return { bucket, key };
}
