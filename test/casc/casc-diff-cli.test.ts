/**
 * `npm run casc:diff`: against the last synth (a real cloud assembly of the app) and against the deployed
 * stack (SSM and S3 through aws-sdk-client-mock, answering as the services do: GetParameter's
 * `Parameter.Value`, ParameterNotFound for a missing name; GetObject's `Body` stream with
 * `transformToByteArray`, the SdkStreamMixin of @smithy/types that every v3 GetObject Body carries).
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { App } from 'aws-cdk-lib';
import { mockClient } from 'aws-sdk-client-mock';
import { zipSync } from 'fflate';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Readable } from 'stream';

import { runCascDiffCli, USAGE } from '../../lib/casc/casc-diff-cli';
import { bundleOfRepo } from '../../lib/casc/load-casc';
import { JenkinsGpuStack } from '../../lib/jenkins-gpu-stack';
import { settingsFromContext } from '../../lib/settings/validate-settings';
import { editFile, REPO, repoCopy } from '../stack/app-helpers';

const CDK_JSON = JSON.parse(fs.readFileSync(path.join(REPO, 'cdk.json'), 'utf8')) as {
  context: Record<string, unknown>;
};
const ssm = mockClient(SSMClient);
const s3 = mockClient(S3Client);

/** A repository copy (with cdk.json) whose cloud cap is `cap`. */
function repoWithCap(cap: string): string {
  const repo = repoCopy();
  fs.copyFileSync(path.join(REPO, 'cdk.json'), path.join(repo, 'cdk.json'));
  editFile(
    path.join(repo, 'casc', 'ec2-cloud.yaml'),
    'instanceCapStr: "4"\n        templates:',
    `instanceCapStr: "${cap}"\n        templates:`,
  );
  return repo;
}

async function run(argv: string[], repoRoot: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCascDiffCli(argv, {
    repoRoot,
    ssm: new SSMClient({ region: 'us-east-1' }),
    s3: new S3Client({ region: 'us-east-1' }),
    out: (t) => (out += t),
    err: (t) => (err += t),
  });
  return { code, out, err };
}

beforeEach(() => {
  ssm.reset();
  s3.reset();
});

describe('casc:diff --offline (the last synth in cdk.out)', () => {
  const cdkOut = fs.mkdtempSync(path.join(os.tmpdir(), 'casc-diff-cdk-out-'));

  beforeAll(() => {
    // The app's stack, synthesized as `cdk synth` does (minus esbuild bundling, the cdk-nag pass and the
    // CloudFormation rule check, which change nothing in the template): the template and the bundle in a
    // real cloud assembly.
    const context = { ...CDK_JSON.context, 'aws:cdk:bundling-stacks': [] };
    const app = new App({ outdir: cdkOut, context, builtinCloudFormationValidation: false });
    new JenkinsGpuStack(app, 'JenkinsGpuTraining', { settings: settingsFromContext(context) });
    app.synth();
  });

  it('shows the README example, the cloud cap 4 → 8, from the template and bundle synth wrote', async () => {
    const r = await run(['--offline', '--cdk-out', cdkOut], repoWithCap('8'));

    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out.split('\n')).toEqual([
      expect.stringMatching(
        /^casc diff: last synth \(.*jenkins-config-bundles\/[0-9a-f]+\) → local casc\/ and jobs\/$/,
      ),
      '  cloud gpu-workers-${STACK_NAME}: instanceCapStr 4 → 8',
      '1 change(s)',
      '',
    ]);
  });

  it('an unchanged casc says so', async () => {
    const r = await run(['--offline', '--cdk-out', cdkOut], repoWithCap('4'));

    expect(r.out).toMatch(/\nno change\n$/);
  });

  it('no synth yet: one line that says what to run', async () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'casc-diff-empty-'));

    const r = await run(['--offline', '--cdk-out', empty], repoWithCap('4'));

    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /^casc-diff: .*JenkinsGpuTraining\.template\.json: no synthesized template of stack JenkinsGpuTraining; run `npm run synth` first .*\n$/,
    );
  });
});

describe('casc:diff (the deployed stack)', () => {
  const BUCKET = 'cdk-hnb659fds-assets-111122223333-us-east-1';
  const KEY = '0c1f8e9a07106ed009d63e54e576026284f986d4986e19aa97c33dab2ba31612.zip';
  /** The shipped bundle as cdk-assets uploads a directory asset: a zip of its files. */
  const zipOfShipped = () =>
    zipSync(Object.fromEntries([...bundleOfRepo(REPO).files].map(([rel, text]) => [rel, Buffer.from(text)])));
  /** A GetObject Body: a Node.js stream with the SDK's mixin methods (only the one the CLI calls). */
  const body = (bytes: Uint8Array) =>
    Object.assign(Readable.from([Buffer.from(bytes)]), { transformToByteArray: async () => bytes }) as never;

  it('reads the parameter the stack writes, then the S3 object it names, and diffs against it', async () => {
    ssm.on(GetParameterCommand, { Name: '/JenkinsGpuTraining/controller/config' }).resolves({
      Parameter: {
        Value: JSON.stringify({ bundle: { bucket: BUCKET, key: KEY, digest: 'ab' }, vars: {} }),
      },
    });
    s3.on(GetObjectCommand, { Bucket: BUCKET, Key: KEY }).resolves({ Body: body(zipOfShipped()) });

    const r = await run([], repoWithCap('8'));

    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toBe(
      `casc diff: deployed stack JenkinsGpuTraining (s3://${BUCKET}/${KEY}) → local casc/ and jobs/\n` +
        '  cloud gpu-workers-${STACK_NAME}: instanceCapStr 4 → 8\n1 change(s)\n',
    );
  });

  it('--stack picks the parameter; a stack that is not deployed is one line, not a stack trace', async () => {
    ssm
      .on(GetParameterCommand)
      .rejects(new ParameterNotFound({ message: 'Parameter not found', $metadata: { httpStatusCode: 400 } }));

    const r = await run(['--stack', 'Other'], repoWithCap('4'));

    expect(r.code).toBe(1);
    expect(r.err).toBe(
      'casc-diff: stack Other is not deployed in this account and region (no SSM parameter /Other/controller/config); check --stack and AWS_REGION, or use --offline\n',
    );
    expect(ssm.commandCalls(GetParameterCommand)[0].args[0].input).toEqual({
      Name: '/Other/controller/config',
    });
  });

  it('an AWS service error is one line in the service words; another error is an internal error', async () => {
    ssm.on(GetParameterCommand).rejects(
      Object.assign(new Error('User: dev is not authorized to perform: ssm:GetParameter\nmore'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    expect((await run([], repoWithCap('4'))).err).toBe(
      'casc-diff: AccessDeniedException: User: dev is not authorized to perform: ssm:GetParameter\n',
    );
    ssm.on(GetParameterCommand).rejects(new TypeError('x is not a function'));
    expect((await run([], repoWithCap('4'))).err).toBe('casc-diff: internal error: x is not a function\n');
  });

  it('an object that is not a zip: one line naming it', async () => {
    ssm
      .on(GetParameterCommand)
      .resolves({ Parameter: { Value: JSON.stringify({ bundle: { bucket: BUCKET, key: KEY } }) } });
    s3.on(GetObjectCommand).resolves({ Body: body(Buffer.from('not a zip')) });

    const r = await run([], repoWithCap('4'));

    expect(r.code).toBe(1);
    expect(r.err).toMatch(new RegExp(`^casc-diff: s3://${BUCKET}/${KEY}: not a zip archive \\(.+\\)\\n$`));
  });
});

describe('casc:diff arguments', () => {
  it('-h prints the usage to stdout and exits 0', async () => {
    expect(await run(['-h'], REPO)).toEqual({ code: 0, out: `${USAGE}\n`, err: '' });
  });

  it('an unknown option is a usage error (exit 2) with the usage', async () => {
    const r = await run(['--ofline'], REPO);

    expect(r.code).toBe(2);
    expect(r.err).toBe(`casc-diff: unknown option '--ofline'\n${USAGE}\n`);
  });

  it('a --stack that is no stack name is a usage error too, before any AWS call', async () => {
    const r = await run(['--stack', 'my_stack'], REPO);

    expect(r.code).toBe(2);
    expect(r.err).toBe(
      `casc-diff: --stack: "my_stack" is not a CloudFormation stack name: letters, digits and hyphens, starting with a letter, at most 128\n${USAGE}\n`,
    );
    expect(ssm.calls()).toHaveLength(0);
  });
});
