/**
 * No value a user can write for a setting ends in a stack trace: every setting, given many bad values on the
 * command line (strings) or in cdk.json (any JSON), either builds the real app's stack or fails with a
 * SettingsError (a UserInputError) of one line that names a setting.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { createApp } from '../../lib/app';
import { UserInputError } from '../../lib/errors';
import { SettingsError } from '../../lib/settings/settings';
import { settingsFromContext } from '../../lib/settings/validate-settings';

const REPO = path.resolve(__dirname, '../..');
const CDK_JSON_CONTEXT = JSON.parse(fs.readFileSync(path.join(REPO, 'cdk.json'), 'utf8')).context as Record<
  string,
  unknown
>;
const OUTDIR = fs.mkdtempSync(path.join(os.tmpdir(), 'settings-input-'));

const ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100';
/** Valid starting points: the defaults, the load balancer, an existing VPC. */
const BASES: Record<string, Record<string, unknown>> = {
  default: {},
  alb: {
    accessMode: 'alb',
    region: 'us-east-1',
    account: '123456789012',
    allowedCidrs: '198.51.100.0/24',
    certificateArn: ARN,
  },
  vpc: {
    vpcId: 'vpc-0123456789abcdef0',
    subnetIds: 'subnet-0123456789abcdef0,subnet-0123456789abcdef1',
    availabilityZones: 'us-east-1a,us-east-1b',
  },
};

/** Bad for every setting: empty, blank, wrong kinds, out of range, too long, a CDK token. */
const ANY_BAD: unknown[] = [
  '',
  ' ',
  'x',
  '0',
  '-1',
  '1.5',
  '99999999999',
  true,
  7,
  [],
  {},
  ['a'],
  'a'.repeat(300),
  '${Token[TOKEN.1]}',
];
/** Near misses of each setting's own format. */
const NEAR_MISSES: Record<string, unknown[]> = {
  stackName: ['1stack', 'my_stack', 'a'.repeat(128), 'a'.repeat(129)],
  account: ['12345678901', '1234567890123'],
  region: ['us-east-9', 'US-EAST-1', 'eusc-de-east-1', 'cn-north-1'],
  vpcCidr: ['10.40.0.0/20', '10.40.0.0/15', '10.40.1.0/16', '256.0.0.0/16', '10.40.0.0'],
  vpcId: ['vpc-123', 'vpc-0123456789ABCDEF0'],
  availabilityZones: ['us-east-1', 'us-east-1a,us-east-1a', 'eu-west-1a,eu-west-1b'],
  subnetIds: ['subnet-123', 'subnet-0123456789abcdef0', 'subnet-0123456789abcdef0,subnet-0123456789abcdef0'],
  controllerInstanceType: ['t3.larg', 'T3.large', 'm7g.large', 'p5.48xlarge', 'mac2.metal'],
  jenkinsHomeSizeGiB: [19, 16385, '50.0'],
  snapshotRetentionDays: [0, 1000, 1001, 3650],
  accessMode: ['ALB', 'vpn'],
  allowedCidrs: ['0.0.0.0/0', '203.0.113.7/24', '203.0.113.0/33', '203.0.113.0/24,203.0.113.0/24'],
  certificateArn: [ARN.replace('us-east-1', 'eu-west-1'), 'arn:aws:acm:us-east-1:123:certificate/x'],
  jenkinsUrl: ['jenkins.example.com', 'https://', 'https://jenkins.example.com/path with space'],
  alertEmail: ['a@b', 'a b@c.d'],
  controllerAmiParameter: [
    'aws/service/x',
    '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64',
    '//',
  ],
  workerAmiParameter: ['/', '//', '/a b'],
  workerAmiId: ['ami-123', 'ami-0123456789abcdef0'],
  resultsLocation: ['s3://', 's3://Bucket', 'gs://b', 's3://my-bucket/prefix'],
  monthlyBudgetUsd: [0, 10_000_001, 500],
  hourlyBurnAlarmUsd: [0, 100_001, 1],
};

/**
 * The outcome of building the stack from each distinct set of parsed settings: many bad values parse to
 * the same settings (a default, or the same normalized value), and the stack is built from the parsed
 * settings alone (lib/app.ts), so one build answers for all of them.
 */
const builds = new Map<string, unknown>();

function buildWith(settings: Record<string, unknown>): unknown {
  const context = { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] };
  const overrides = Object.fromEntries(Object.entries(settings).map(([k, v]) => [`jenkinsGpu.${k}`, v]));
  const fullContext = { ...context, ...overrides };
  let key: string;
  try {
    key = JSON.stringify(settingsFromContext(fullContext));
  } catch (error) {
    return error;
  }
  if (!builds.has(key)) {
    try {
      createApp({ outdir: OUTDIR, context: fullContext });
      builds.set(key, undefined);
    } catch (error) {
      builds.set(key, error);
    }
  }
  return builds.get(key);
}

/** Undefined when the build succeeded or failed with one line naming a setting. */
function wrongFailure(base: string, key: string, value: unknown): string | undefined {
  const error = buildWith({ ...BASES[base], [key]: value });
  if (error === undefined) return undefined;
  const message = error instanceof Error ? error.message : String(error);
  if (
    error instanceof SettingsError &&
    error instanceof UserInputError &&
    /^setting jenkinsGpu(\.\w+)?: [^\n]+$/.test(message)
  ) {
    return undefined;
  }
  return `${base} + ${key}=${JSON.stringify(value)}: ${error instanceof Error ? error.stack : message}`;
}

describe('no setting value ends in a stack trace', () => {
  it('the bases build', () => {
    expect(
      Object.keys(BASES)
        .map((base) => wrongFailure(base, 'stackName', 'JenkinsGpuTraining'))
        .filter(Boolean),
    ).toEqual([]);
  });

  it.each(Object.keys(NEAR_MISSES))('%s: bad values fail with one line naming a setting, or build', (key) => {
    const values = [...ANY_BAD, ...NEAR_MISSES[key]];
    const failures = Object.keys(BASES).flatMap((base) =>
      values.map((value) => wrongFailure(base, key, value)),
    );
    expect(failures.filter(Boolean)).toEqual([]);
  });
});
