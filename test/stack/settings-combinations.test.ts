import { Annotations, App, CfnResource } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import * as fs from 'fs';
import * as path from 'path';

import { synthApp } from './app-helpers';

/**
 * Every documented setting (README "Settings") and their combinations synthesize as `cdk synth` runs
 * them (cdk.json context: cdk-nag AwsSolutions and the CloudFormation rules) with no finding left:
 * no error, no warning, no construct warning, no context lookup.
 *
 * What counts, from aws-cdk-lib 2.276.0 core/lib/private/synthesis-validation.js: synth throws only on a
 * plugin report that failed (an error); warnings (the CloudFormation rules' W-rules, cdk-nag warnings)
 * are printed and written to `validation-report.json` in the assembly with `severity: "warning"`, so they
 * are read from there. Construct warnings (`Annotations.addWarningV2`) are the stack artifact's messages,
 * which `cdk synth` prints as "[Warning at …]". A context lookup shows as `missing` in the manifest:
 * `cdk synth` would then call AWS.
 */

interface ReportedViolation {
  ruleName: string;
  severity: string;
  violatingConstructs: { constructPath: string }[];
}
interface ValidationReport {
  pluginReports: {
    pluginName: string;
    violations: ReportedViolation[];
    suppressedViolations?: unknown[];
  }[];
}

/** Everything `cdk synth` would print or fail on for an app, one line each; [] when clean. */
function unacknowledged(app: App): string[] {
  let assembly: CloudAssembly;
  try {
    assembly = app.synth();
  } catch (error) {
    return [(error as Error).message];
  }
  const report = JSON.parse(
    fs.readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'),
  ) as ValidationReport;
  // The checks ran: cdk-nag reports the findings this project acknowledges.
  const nag = report.pluginReports.find((r) => r.pluginName === 'AwsSolutions');
  if (!nag?.suppressedViolations?.length) return ['cdk-nag did not report (no acknowledged finding listed)'];

  const violations = report.pluginReports.flatMap((r) =>
    r.violations.flatMap((v) =>
      v.violatingConstructs.map((c) => `[${v.severity}] ${r.pluginName} ${v.ruleName} at ${c.constructPath}`),
    ),
  );
  const messages = assembly.stacks.flatMap((s) =>
    s.messages.map((m) => `[${m.level}] ${m.id}: ${String(m.entry.data)}`),
  );
  const lookups = (assembly.manifest.missing ?? []).map((m) => `[lookup] ${m.key}`);
  return [...violations, ...messages, ...lookups];
}

function unacknowledgedWith(
  settings: Record<string, unknown>,
  context: Record<string, unknown> = {},
): string[] {
  return unacknowledged(synthApp({ jenkinsGpu: settings, ...context }, { cfnRules: true }).app);
}

/**
 * Context the CDK CLI 2.1148.1 adds for `cdk synth` (read from the app's CDK_CONTEXT_JSON). Version
 * reporting adds a CDKMetadata resource whose region condition keeps the CloudFormation rules from
 * reporting W3010 at all, so the tests above run without it (stricter: `--no-version-reporting` shows it).
 */
const CLI_CONTEXT = {
  'aws:cdk:enable-path-metadata': true,
  'aws:cdk:enable-asset-metadata': true,
  'aws:cdk:version-reporting': true,
  // The CLI reads the report and fails on its errors itself; `unacknowledged` reads the same report.
  '@aws-cdk/core:failSynthOnValidationErrors': false,
};

const CERTIFICATE = 'arn:aws:acm:us-east-1:111122223333:certificate/0123abcd-0123-4567-89ab-0123456789ab';
const ALB = {
  region: 'us-east-1',
  accessMode: 'alb',
  allowedCidrs: ['203.0.113.0/24'],
  certificateArn: CERTIFICATE,
};
const EXISTING_VPC = {
  vpcId: 'vpc-0123456789abcdef0',
  subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
  availabilityZones: ['us-east-1a', 'us-east-1b'],
};
const BUDGET = { alertEmail: 'ml-team@example.com', monthlyBudgetUsd: 500 };

describe('every documented setting synthesizes with no finding left', () => {
  it('the defaults (an environment-agnostic stack)', () => {
    expect(unacknowledgedWith({})).toEqual([]);
  });

  it('region pinned', () => {
    expect(unacknowledgedWith({ region: 'us-east-1' })).toEqual([]);
  });

  it('account pinned', () => {
    expect(unacknowledgedWith({ account: '111122223333' })).toEqual([]);
  });

  it('account and region pinned (no availability-zone lookup)', () => {
    expect(unacknowledgedWith({ account: '111122223333', region: 'us-east-1' })).toEqual([]);
  });

  it("the HTTPS load balancer (accessMode alb, in the certificate's region)", () => {
    expect(unacknowledgedWith(ALB)).toEqual([]);
  });

  it('the load balancer open to the whole internet (allowedCidrs 0.0.0.0/0)', () => {
    expect(unacknowledgedWith({ ...ALB, allowedCidrs: ['0.0.0.0/0'] })).toEqual([]);
  });

  it('an s3:// results location', () => {
    expect(unacknowledgedWith({ resultsLocation: 's3://my-bucket/training' })).toEqual([]);
  });

  it('an s3:// results location in a pinned region (partition aws)', () => {
    expect(unacknowledgedWith({ resultsLocation: 's3://my-bucket', region: 'eu-west-1' })).toEqual([]);
  });

  it('an existing VPC by ids (vpcId, subnetIds, availabilityZones)', () => {
    expect(unacknowledgedWith(EXISTING_VPC)).toEqual([]);
  });

  it('an alert e-mail with a monthly budget', () => {
    expect(unacknowledgedWith(BUDGET)).toEqual([]);
  });

  it('an explicit worker AMI', () => {
    expect(unacknowledgedWith({ workerAmiId: 'ami-0123456789abcdef0' })).toEqual([]);
  });

  const everything = {
    stackName: 'MlTeamJenkins',
    account: '111122223333',
    ...ALB,
    jenkinsUrl: 'https://jenkins.example.com/',
    ...EXISTING_VPC,
    ...BUDGET,
    resultsLocation: 's3://my-bucket/training',
    workerAmiId: 'ami-0123456789abcdef0',
    controllerInstanceType: 'm7i.large',
    jenkinsHomeSizeGiB: 100,
    snapshotRetentionDays: 30,
    hourlyBurnAlarmUsd: 25,
    controllerAmiParameter: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
  };

  it('every compatible setting at once', () => {
    expect(unacknowledgedWith(everything)).toEqual([]);
  });

  it('every compatible setting at once, with the context the CDK CLI adds', () => {
    expect(unacknowledgedWith(everything, CLI_CONTEXT)).toEqual([]);
    expect(unacknowledgedWith({}, CLI_CONTEXT)).toEqual([]);
  });
});

describe('the check above', () => {
  // Synth prints the report of these deliberate findings to stderr; the assertions read it instead.
  beforeEach(() => jest.spyOn(console, 'error').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('counts a CloudFormation rule warning, which does not fail synth', () => {
    const { app, stack } = synthApp({}, { cfnRules: true });
    new CfnResource(stack, 'LiteralZoneVolume', {
      type: 'AWS::EC2::Volume',
      properties: { AvailabilityZone: 'us-east-1a', Size: 20, Encrypted: true },
    });
    expect(unacknowledged(app)).toEqual([
      expect.stringMatching(
        /^\[warning\] CloudFormation Validate W3010 at JenkinsGpuTraining\/LiteralZoneVolume$/,
      ),
    ]);
  });

  it('counts a CloudFormation rule error, which fails synth (the gate is live)', () => {
    const { app, stack } = synthApp({}, { cfnRules: true });
    new CfnResource(stack, 'Broken', { type: 'AWS::SNS::Topic', properties: { NoSuchProperty: 1 } });
    // One element: synth threw (a report that only listed it would read `[error] CloudFormation Validate …`).
    expect(unacknowledged(app)).toEqual([
      expect.stringMatching(
        /^ERROR NoSuchProperty: Additional properties are not allowed [^\n]*\n\s+JenkinsGpuTraining\/Broken /,
      ),
    ]);
  });

  it('counts a construct warning', () => {
    const { app, stack } = synthApp();
    Annotations.of(stack).addWarningV2('test:warning', 'a construct warning');
    expect(unacknowledged(app)).toEqual([expect.stringMatching(/^\[warning\] .*a construct warning/)]);
  });

  it('counts a cdk-nag error, which fails synth', () => {
    const { app, stack } = synthApp();
    new s3.Bucket(stack, 'UnloggedBucket', { enforceSSL: true });
    expect(unacknowledged(app)).toEqual([expect.stringMatching(/AwsSolutions-S1/)]);
  });
});
