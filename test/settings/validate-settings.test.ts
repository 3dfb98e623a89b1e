import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';

import { createApp } from '../../lib/app';
import { JenkinsController, SNAPSHOT_RETENTION_DAYS } from '../../lib/constructs/jenkins-controller';
import { Network } from '../../lib/constructs/network';
import { AccessSettings, DEFAULT_SETTINGS, SettingsError } from '../../lib/settings/settings';
import { resolveSettings, settingsFromContext } from '../../lib/settings/validate-settings';

describe('resolveSettings', () => {
  it('fills every default when nothing is set', () => {
    expect(resolveSettings({})).toEqual({ ...DEFAULT_SETTINGS });
  });

  it.each([
    [
      { controllerInstanceType: 'huge' },
      'setting jenkinsGpu.controllerInstanceType: invalid value "huge" (allowed: an EC2 instance type such as t3.large)',
    ],
    [{ accessMode: 'vpn' }, "setting jenkinsGpu.accessMode: invalid value \"vpn\" (allowed: 'ssm' or 'alb')"],
    [
      { jenkinsHomeSizeGiB: 5 },
      'setting jenkinsGpu.jenkinsHomeSizeGiB: invalid value 5 (allowed: an integer from 20 to 16384)',
    ],
    [
      { snapshotRetentionDays: 'seven' },
      'setting jenkinsGpu.snapshotRetentionDays: invalid value "seven" (allowed: an integer from 1 to 1000)',
    ],
    [
      { region: 'mars-1' },
      'setting jenkinsGpu.region: invalid value "mars-1" (allowed: an AWS region name such as us-east-1)',
    ],
    [
      { account: '1234' },
      'setting jenkinsGpu.account: invalid value "1234" (allowed: a 12-digit AWS account id)',
    ],
    [
      { vpcCidr: '10.0.0.0/33' },
      'setting jenkinsGpu.vpcCidr: invalid value "10.0.0.0/33" (allowed: an IPv4 CIDR such as 10.40.0.0/16)',
    ],
    [
      { alertEmail: 'nobody' },
      'setting jenkinsGpu.alertEmail: invalid value "nobody" (allowed: an e-mail address)',
    ],
    [
      { resultsLocation: 'ftp://x' },
      'setting jenkinsGpu.resultsLocation: invalid value "ftp://x" (allowed: a gs:// or s3:// location: a bucket of 3 to 63 lower-case letters, digits and . _ -, then path segments of letters, digits and . _ = + -)',
    ],
    [
      { instanceType: 't3.large' },
      /^setting jenkinsGpu\.instanceType: unknown setting \(allowed: .*controllerInstanceType/,
    ],
  ])('rejects %j', (raw, message) => {
    expect(() => resolveSettings(raw)).toThrow(SettingsError);
    expect(() => resolveSettings(raw)).toThrow(message);
  });

  it('rejects a bad CIDR inside allowedCidrs, naming the item', () => {
    expect(() =>
      resolveSettings({ accessMode: 'alb', allowedCidrs: ['203.0.113.0/24', '300.1.1.1/32'] }),
    ).toThrow(
      'setting jenkinsGpu.allowedCidrs: invalid value "300.1.1.1/32" (allowed: IPv4 CIDRs such as 203.0.113.0/24)',
    );
  });

  it('requires allowed CIDRs and a certificate for the load balancer', () => {
    expect(() => resolveSettings({ accessMode: 'alb' })).toThrow(
      "setting jenkinsGpu.allowedCidrs: required with accessMode 'alb'",
    );
    expect(() => resolveSettings({ accessMode: 'alb', allowedCidrs: '198.51.100.0/24' })).toThrow(
      "setting jenkinsGpu.certificateArn: required with accessMode 'alb'",
    );
  });

  it('refuses load-balancer settings in ssm mode instead of silently ignoring them', () => {
    expect(() => resolveSettings({ allowedCidrs: ['198.51.100.0/24'] })).toThrow(
      "setting jenkinsGpu.accessMode: allowedCidrs and certificateArn need accessMode 'alb'",
    );
  });

  it('accepts a complete load-balancer configuration, lists given as comma-separated strings', () => {
    const arn = 'arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100';
    expect(() =>
      resolveSettings({ accessMode: 'alb', allowedCidrs: '198.51.100.0/24', certificateArn: arn }),
    ).toThrow(
      "setting jenkinsGpu.region: must be set to the certificate's region with accessMode 'alb' (got null, certificate is in us-east-1",
    );
    const s = resolveSettings({
      accessMode: 'alb',
      region: 'us-east-1',
      allowedCidrs: '198.51.100.0/24, 203.0.113.7/32',
      certificateArn: arn,
    });
    expect(s).toMatchObject({
      accessMode: 'alb',
      allowedCidrs: ['198.51.100.0/24', '203.0.113.7/32'],
      certificateArn: arn,
    });
  });

  it('types the access mode so that alb always carries its CIDRs and certificate, and ssm neither', () => {
    const arn = 'arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100';
    // Checked by tsc --noEmit (npm run build, in .ci/run; the tests load TypeScript without type checking): each line below
    // is an error the type must report.
    // @ts-expect-error an alb access without its certificate is not an AccessSettings
    const albWithoutCertificate: AccessSettings = { accessMode: 'alb', allowedCidrs: ['198.51.100.0/24'] };
    // @ts-expect-error ssm opens no port, so it has no CIDRs
    const ssmWithCidrs: AccessSettings = { accessMode: 'ssm', allowedCidrs: ['198.51.100.0/24'] };
    const alb: AccessSettings = { accessMode: 'alb', allowedCidrs: ['198.51.100.0/24'], certificateArn: arn };
    expect([albWithoutCertificate, ssmWithCidrs, alb].map((a) => a.accessMode)).toEqual([
      'alb',
      'ssm',
      'alb',
    ]);
    expect(resolveSettings({})).not.toHaveProperty('certificateArn');
    expect(resolveSettings({})).not.toHaveProperty('allowedCidrs');
  });

  it.each([
    [{ accessMode: 'https', region: 'nope' }, 'setting jenkinsGpu.accessMode: invalid value "https"'],
    [{ accessMode: 'x', allowedCidrs: ['bad'] }, 'setting jenkinsGpu.accessMode: invalid value "x"'],
    [{ allowedCidrs: ['bad'], alertEmail: 'bad' }, 'setting jenkinsGpu.allowedCidrs: invalid value "bad"'],
    [
      { certificateArn: 'bad', jenkinsUrl: 'ftp://x' },
      'setting jenkinsGpu.certificateArn: invalid value "bad"',
    ],
    [
      { certificateArn: 'bad', vpcId: 'vpc-0123456789abcdef0' },
      'setting jenkinsGpu.certificateArn: invalid value "bad"',
    ],
  ])('reports the first of several mistakes in the settings order: %j', (raw, message) => {
    expect(() => resolveSettings(raw)).toThrow(message);
  });

  it('needs subnets and one zone per subnet with an existing VPC', () => {
    expect(() => resolveSettings({ vpcId: 'vpc-0123456789abcdef0' })).toThrow(
      'setting jenkinsGpu.subnetIds: required with vpcId',
    );
    expect(() =>
      resolveSettings({
        vpcId: 'vpc-0123456789abcdef0',
        subnetIds: ['subnet-0123456789abcdef0'],
        availabilityZones: [],
      }),
    ).toThrow(
      'setting jenkinsGpu.availabilityZones: must list one zone per subnet id (got 0 zones for 1 subnets)',
    );
    expect(() => resolveSettings({ subnetIds: ['subnet-0123456789abcdef0'] })).toThrow(
      'setting jenkinsGpu.subnetIds: only allowed together with vpcId',
    );
  });

  it('needs an alert e-mail for a budget', () => {
    expect(() => resolveSettings({ monthlyBudgetUsd: 500 })).toThrow(
      'setting jenkinsGpu.monthlyBudgetUsd: needs alertEmail',
    );
    expect(resolveSettings({ monthlyBudgetUsd: '500', alertEmail: 'ml@example.com' }).monthlyBudgetUsd).toBe(
      500,
    );
  });
});

describe('settingsFromContext', () => {
  it('applies jenkinsGpu.<key> overrides over the jenkinsGpu object', () => {
    const context: Record<string, unknown> = {
      jenkinsGpu: { controllerInstanceType: 't3.large', jenkinsHomeSizeGiB: 100 },
      'jenkinsGpu.controllerInstanceType': 'm7i.xlarge',
    };
    const s = settingsFromContext(context);
    expect(s.controllerInstanceType).toBe('m7i.xlarge');
    expect(s.jenkinsHomeSizeGiB).toBe(100);
  });

  it('rejects a jenkinsGpu context that is not an object', () => {
    expect(() => settingsFromContext({ jenkinsGpu: 'big' })).toThrow(
      'setting jenkinsGpu: must be an object of settings (got "big")',
    );
  });
});

const ALL_SETTINGS =
  'accessMode, account, alertEmail, allowedCidrs, availabilityZones, certificateArn, controllerAmiParameter, ' +
  'controllerInstanceType, drainTimeoutMinutes, hourlyBurnAlarmUsd, jenkinsHomeAvailabilityZone, jenkinsHomeSizeGiB, jenkinsUrl, monthlyBudgetUsd, region, ' +
  'resultsLocation, safeRestartMaxWaitMinutes, snapshotRetentionDays, stackName, subnetIds, vpcCidr, vpcId, workerAmiId, workerAmiParameter';

describe('a misspelt setting is an error wherever it is written', () => {
  it('on the command line (-c jenkinsGpu.<key>=…), with a did-you-mean', () => {
    expect(() => settingsFromContext({ 'jenkinsGpu.controlerInstanceType': 'm7i.large' })).toThrow(
      new SettingsError(
        `setting jenkinsGpu.controlerInstanceType: unknown setting (did you mean 'controllerInstanceType'?) (allowed: ${ALL_SETTINGS})`,
      ),
    );
  });

  it('in the app: createApp reads the whole context, not only the keys it knows', () => {
    expect(() => createApp({ context: { 'jenkinsGpu.controlerInstanceType': 'm7i.large' } })).toThrow(
      /^setting jenkinsGpu\.controlerInstanceType: unknown setting \(did you mean 'controllerInstanceType'\?\)/,
    );
  });

  it('in cdk.json (the jenkinsGpu object)', () => {
    expect(() => settingsFromContext({ jenkinsGpu: { snapshotRetentionDay: 7 } })).toThrow(
      new SettingsError(
        `setting jenkinsGpu.snapshotRetentionDay: unknown setting (did you mean 'snapshotRetentionDays'?) (allowed: ${ALL_SETTINGS})`,
      ),
    );
  });

  it('leaves other context alone (CDK feature flags, jenkinsGpu:bundleDir)', () => {
    expect(
      settingsFromContext({ '@aws-cdk/core:newStyleStackSynthesis': true, 'jenkinsGpu:bundleDir': '/tmp/x' }),
    ).toEqual(DEFAULT_SETTINGS);
  });
});

describe('values checked against what AWS and the stack accept', () => {
  it.each([
    [
      { controllerInstanceType: 't3.larg' },
      'setting jenkinsGpu.controllerInstanceType: invalid value "t3.larg" (allowed: an EC2 instance type listed in data/ec2-instance-types.json (did you mean \'t3.large\'?); add a new type there)',
    ],
    [
      { controllerInstanceType: 't4g.large' },
      'setting jenkinsGpu.controllerInstanceType: invalid value "t4g.large" (allowed: an x86_64 instance type, because controllerAmiParameter names an x86_64 image (/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64); set both to the same architecture)',
    ],
    [
      { vpcCidr: '10.40.0.0/24' },
      'setting jenkinsGpu.vpcCidr: invalid value "10.40.0.0/24" (allowed: an IPv4 CIDR from /16 to /19: the network creates 2 public /20 subnets, one per availability zone, and AWS allows no VPC larger than /16)',
    ],
    [
      { vpcCidr: '10.0.0.0/8' },
      'setting jenkinsGpu.vpcCidr: invalid value "10.0.0.0/8" (allowed: an IPv4 CIDR from /16 to /19: the network creates 2 public /20 subnets, one per availability zone, and AWS allows no VPC larger than /16)',
    ],
    [
      { vpcCidr: '10.40.1.0/16' },
      'setting jenkinsGpu.vpcCidr: invalid value "10.40.1.0/16" (allowed: the block\'s network address, 10.40.0.0/16: with host bits set the subnets would fall outside the VPC)',
    ],
    [
      { snapshotRetentionDays: 1001 },
      'setting jenkinsGpu.snapshotRetentionDays: invalid value 1001 (allowed: an integer from 1 to 1000)',
    ],
    [
      { region: 'us-east-9' },
      'setting jenkinsGpu.region: invalid value "us-east-9" (allowed: an AWS region name such as us-east-1 (did you mean \'us-east-1\'?))',
    ],
    [
      {
        vpcId: 'vpc-0123456789abcdef0',
        subnetIds: 'subnet-0123456789abcdef0,subnet-0123456789abcdef0',
        availabilityZones: 'us-east-1a,us-east-1b',
      },
      'setting jenkinsGpu.subnetIds: lists a subnet twice (got subnet-0123456789abcdef0, subnet-0123456789abcdef0)',
    ],
    [
      {
        region: 'eu-west-1',
        vpcId: 'vpc-0123456789abcdef0',
        subnetIds: 'subnet-0123456789abcdef0',
        availabilityZones: 'us-east-1a',
      },
      'setting jenkinsGpu.availabilityZones: us-east-1a is not a zone of region eu-west-1 (allowed: zones such as eu-west-1a)',
    ],
    [
      {
        accessMode: 'alb',
        region: 'us-east-1',
        allowedCidrs: '198.51.100.0/24',
        certificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100',
        vpcId: 'vpc-0123456789abcdef0',
        subnetIds: 'subnet-0123456789abcdef0',
        availabilityZones: 'us-east-1a',
      },
      "setting jenkinsGpu.subnetIds: accessMode 'alb' needs subnets in at least two availability zones (an application load balancer spans two; got us-east-1a)",
    ],
  ])('rejects %j', (raw, message) => {
    expect(() => resolveSettings(raw)).toThrow(new SettingsError(message));
  });

  it('accepts the bounds themselves and a Graviton controller with an arm64 image', () => {
    expect(resolveSettings({ vpcCidr: '10.40.32.0/19', snapshotRetentionDays: '1000' })).toMatchObject({
      vpcCidr: '10.40.32.0/19',
      snapshotRetentionDays: 1000,
    });
    const arm = '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64';
    expect(
      resolveSettings({ controllerInstanceType: 't4g.large', controllerAmiParameter: arm })
        .controllerInstanceType,
    ).toBe('t4g.large');
  });
});

describe('settings and the constructs read one bound', () => {
  const controllerWith = (snapshotRetentionDays: number) => {
    const stack = new Stack(new App(), 'S');
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      maxAzs: 1,
      natGateways: 0,
      subnetConfiguration: [{ name: 'p', subnetType: ec2.SubnetType.PUBLIC }],
    });
    return () =>
      new JenkinsController(stack, 'Controller', {
        vpc,
        subnet: vpc.publicSubnets[0],
        configParameterName: '/x',
        snapshotRetentionDays,
      });
  };

  it('snapshotRetentionDays: DLM keeps at most 1000, settings and JenkinsController both stop there', () => {
    expect(SNAPSHOT_RETENTION_DAYS).toEqual({ min: 1, max: 1000, default: 14 });
    expect(resolveSettings({ snapshotRetentionDays: 1000 }).snapshotRetentionDays).toBe(1000);
    expect(controllerWith(1000)).not.toThrow();
    expect(controllerWith(1001)).toThrow(
      'JenkinsController: snapshotRetentionDays must be an integer from 1 to 1000 (got 1001)',
    );
  });

  it('defaults: a JenkinsController given no sizes gets what the settings default to', () => {
    const stack = new Stack(new App(), 'S');
    const vpc = new ec2.Vpc(stack, 'Vpc', {
      maxAzs: 1,
      natGateways: 0,
      subnetConfiguration: [{ name: 'p', subnetType: ec2.SubnetType.PUBLIC }],
    });
    new JenkinsController(stack, 'Controller', {
      vpc,
      subnet: vpc.publicSubnets[0],
      configParameterName: '/x',
    });
    const template = Template.fromStack(stack);
    expect(DEFAULT_SETTINGS).toMatchObject({
      controllerInstanceType: 't3.large',
      jenkinsHomeSizeGiB: 50,
      snapshotRetentionDays: 14,
    });
    template.hasResourceProperties('AWS::EC2::Volume', { Size: DEFAULT_SETTINGS.jenkinsHomeSizeGiB });
    template.hasResourceProperties('AWS::DLM::LifecyclePolicy', {
      PolicyDetails: Match.objectLike({
        Schedules: [Match.objectLike({ RetainRule: { Count: DEFAULT_SETTINGS.snapshotRetentionDays } })],
      }),
    });
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        InstanceType: DEFAULT_SETTINGS.controllerInstanceType,
        ImageId: `resolve:ssm:${DEFAULT_SETTINGS.controllerAmiParameter}`,
      }),
    });
  });

  it('vpcCidr: the Network construct refuses what settings refuse, with the same reason', () => {
    const network = (vpcCidr: string) => () => new Network(new Stack(new App(), 'S'), 'Network', { vpcCidr });
    expect(network('10.40.32.0/19')).not.toThrow();
    expect(network('10.40.0.0/24')).toThrow(
      'Network: vpcCidr "10.40.0.0/24" is not allowed (allowed: an IPv4 CIDR from /16 to /19: the network creates 2 public /20 subnets, one per availability zone, and AWS allows no VPC larger than /16)',
    );
    expect(() => resolveSettings({ vpcCidr: '10.40.0.0/24' })).toThrow(
      '(allowed: an IPv4 CIDR from /16 to /19: the network creates 2',
    );
  });
});
