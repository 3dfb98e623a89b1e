import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';

import { GpuWorkerFleet, GpuWorkerFleetProps } from '../../lib/constructs/gpu-worker-fleet';
import { Network } from '../../lib/constructs/network';
import { testStack } from '../helpers';

function buildFleet(overrides: Partial<GpuWorkerFleetProps> = {}) {
  const stack = testStack();
  const network = new Network(stack, 'Network');
  const controllerSg = new ec2.SecurityGroup(stack, 'ControllerSg', { vpc: network.vpc });
  const controllerRole = new iam.Role(stack, 'ControllerRole', {
    assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
  });
  const construct = new GpuWorkerFleet(stack, 'Workers', {
    vpc: network.vpc,
    subnets: network.vpc.publicSubnets,
    controllerSecurityGroup: controllerSg,
    controllerRole,
    fleetTagValue: 'TestStack',
    launchScope: { instanceTypes: ['g4dn.xlarge'], usesSpot: false },
    keyPairName: 'TestStack-workers',
    ...overrides,
  });
  const t = Template.fromStack(stack);
  const statements = (
    Object.values(t.findResources('AWS::IAM::Policy')) as {
      Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } };
    }[]
  ).flatMap((p) => p.Properties.PolicyDocument.Statement);
  const sid = (name: string) => statements.find((s) => s.Sid === name);
  return { construct, t, sid, statements };
}

let defaultFleet: ReturnType<typeof buildFleet> | undefined;
/** The fleet with `overrides`; with the defaults, built once for the tests that only read it. */
function fleet(overrides: Partial<GpuWorkerFleetProps> = {}) {
  if (Object.keys(overrides).length > 0) return buildFleet(overrides);
  return (defaultFleet ??= buildFleet());
}

describe('GpuWorkerFleet', () => {
  it('accepts SSH on the workers only from the controller security group', () => {
    const { t } = fleet();
    t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      IpProtocol: 'tcp',
      FromPort: 22,
      ToPort: 22,
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ControllerSg'), 'GroupId'] },
    });
    t.resourceCountIs('AWS::EC2::SecurityGroupIngress', 1);
  });

  it('lets a worker only tag itself with busy-at and report a failure to, plus the results bucket when one is configured', () => {
    const { t, statements } = fleet();
    const workerPolicies = Object.values(
      t.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^WorkersRole') }] },
      }),
    ) as { Properties: { PolicyDocument: { Statement: unknown[] } } }[];
    expect(workerPolicies).toHaveLength(1);
    const instanceArn = (name: string) => ({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':ec2:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          `:instance/${name}`,
        ],
      ],
    });
    expect(workerPolicies[0].Properties.PolicyDocument.Statement).toEqual([
      {
        Sid: 'TagSelfBusy',
        Effect: 'Allow',
        Action: 'ec2:CreateTags',
        Resource: instanceArn('*'),
        // Documented keys only (no aws:ARN): the caller's instance equals the target instance.
        Condition: {
          ArnEquals: { 'ec2:SourceInstanceARN': instanceArn('${ec2:InstanceID}') },
          StringEquals: { 'aws:ResourceTag/jenkins-gpu:fleet': 'TestStack' },
          'ForAllValues:StringEquals': { 'aws:TagKeys': ['jenkins-gpu:busy-at'] },
        },
      },
      {
        Sid: 'ReportBusySignalFailures',
        Effect: 'Allow',
        Action: 'cloudwatch:PutMetricData',
        Resource: '*',
        Condition: { StringEquals: { 'cloudwatch:namespace': 'JenkinsGpu/Workers' } },
      },
      // Its own fleet and template tags, the dimensions of the milestone and run-report metrics.
      { Sid: 'ReadOwnTagsForMetrics', Effect: 'Allow', Action: 'ec2:DescribeTags', Resource: '*' },
    ]);
    expect(JSON.stringify(t.toJSON())).not.toContain('aws:ARN');
    expect(statements.some((s) => String(s.Sid).includes('Results'))).toBe(false);
    t.hasResourceProperties('AWS::IAM::Role', {
      Description: Match.stringLikeRegexp('may only tag themselves with jenkins-gpu:busy-at'),
    });

    const withBucket = fleet({ resultsBucketName: 'ml-results' });
    expect(withBucket.sid('ReadWriteResults')).toMatchObject({
      Action: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
    });
    expect(withBucket.sid('TagSelfBusy')).toBeDefined();
    withBucket.t.resourceCountIs('AWS::IAM::InstanceProfile', 1);
  });

  it('limits RunInstances to the instance types the YAML uses, IMDSv2 and the fleet tag, and follows a change', () => {
    expect(fleet().sid('Ec2PluginLaunchInstanceTypes')).toMatchObject({
      Action: 'ec2:RunInstances',
      Condition: {
        StringEquals: {
          'ec2:InstanceType': ['g4dn.xlarge'],
          'aws:RequestTag/jenkins-gpu:fleet': 'TestStack',
          'ec2:MetadataHttpTokens': 'required',
        },
      },
    });
    const bigger = fleet({ launchScope: { instanceTypes: ['g6e.xlarge', 'g5.2xlarge'], usesSpot: true } });
    // Spot goes through RunInstances with market options (useBidPrice false, required by the casc rule spot-no-bid-price).
    expect(bigger.sid('Ec2PluginLaunchInstanceTypes')).toMatchObject({
      Action: 'ec2:RunInstances',
      Condition: { StringEquals: { 'ec2:InstanceType': ['g5.2xlarge', 'g6e.xlarge'] } },
    });
    expect(JSON.stringify(bigger.statements)).not.toContain('ec2:RequestSpotInstances');
    expect(JSON.stringify(bigger.sid('Ec2PluginCancelSpot')!.Resource)).toContain(
      ':spot-instances-request/*',
    );
    expect(fleet().sid('Ec2PluginCancelSpot')).toBeUndefined();
  });

  it('limits images to Amazon-owned ones, or to the explicit AMI', () => {
    expect(fleet().sid('Ec2PluginLaunchImage')).toMatchObject({
      Condition: { StringEquals: { 'ec2:Owner': 'amazon' } },
    });
    const pinned = fleet({ explicitAmiId: 'ami-0123456789abcdef0' }).sid('Ec2PluginLaunchImage');
    expect(JSON.stringify(pinned)).toContain('image/ami-0123456789abcdef0');
    expect(pinned!.Condition).toBeUndefined();
  });

  it('limits launches to the fleet subnets, its security group and key pair, interfaces to this VPC', () => {
    const resources = JSON.stringify(fleet().sid('Ec2PluginLaunchNetwork')!.Resource);
    expect(resources).toContain(':subnet/');
    expect(resources).toContain(':security-group/');
    expect(resources).toContain(':key-pair/TestStack-workers');
    expect(resources).not.toContain('"*"');
    const interfaces = fleet().sid('Ec2PluginLaunchInterfaces')!;
    expect(JSON.stringify(interfaces.Resource)).toContain(':network-interface/*');
    const condition = JSON.stringify(interfaces.Condition);
    expect(condition).toMatch(/"ec2:Vpc":\{"Fn::Join":.*:vpc\/",\{"Ref":"NetworkVpc/);
    expect(condition).toMatch(/"ec2:Subnet":\[.*:subnet\/.*:subnet\//);
  });

  it('bounds launched volumes to the casc mapping: encrypted, no larger, of its types', () => {
    expect(fleet().sid('Ec2PluginLaunchVolumes')!.Condition).toEqual({ Bool: { 'ec2:Encrypted': 'true' } });
    const bounded = fleet({
      launchScope: {
        instanceTypes: ['g4dn.xlarge'],
        usesSpot: false,
        volumes: { maxSizeGiB: 200, types: ['gp3'] },
      },
    }).sid('Ec2PluginLaunchVolumes')!;
    expect(bounded.Condition).toEqual({
      Bool: { 'ec2:Encrypted': 'true' },
      NumericLessThanEquals: { 'ec2:VolumeSize': 200 },
      StringEquals: { 'ec2:VolumeType': ['gp3'] },
    });
  });

  it('starts, stops and terminates only instances with this fleet tag', () => {
    const manage = fleet().sid('Ec2PluginManageFleet')!;
    expect(manage.Action).toEqual(
      expect.arrayContaining(['ec2:StartInstances', 'ec2:StopInstances', 'ec2:TerminateInstances']),
    );
    expect(manage.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/jenkins-gpu:fleet': 'TestStack' } });
    expect(JSON.stringify(manage.Resource)).toContain(':instance/*');
  });

  it('launches GPU instances only with the fleet tag in the request (the plugin tags at launch)', () => {
    const { statements } = fleet({ launchScope: { instanceTypes: ['g4dn.xlarge'], usesSpot: true } });
    const launchesInstances = statements.filter(
      (s) =>
        s.Effect === 'Allow' &&
        [s.Action].flat().some((a) => a === 'ec2:RunInstances') &&
        JSON.stringify(s.Resource).includes(':instance/'),
    );
    expect(launchesInstances.map((s) => s.Sid)).toEqual(['Ec2PluginLaunchInstanceTypes']);
    expect(launchesInstances[0].Condition).toMatchObject({
      StringEquals: { 'aws:RequestTag/jenkins-gpu:fleet': 'TestStack' },
    });
  });

  it('tags instances and volumes only at launch with the fleet tag or when they already carry it', () => {
    const { sid, statements } = fleet({ launchScope: { instanceTypes: ['g4dn.xlarge'], usesSpot: true } });
    expect(sid('Ec2PluginTagFleet')).toBeUndefined();
    const controllerTagging = statements.filter(
      (s) => s.Effect === 'Allow' && [s.Action].flat().includes('ec2:CreateTags') && s.Sid !== 'TagSelfBusy',
    );
    expect(controllerTagging.map((s) => [s.Sid, s.Condition])).toEqual([
      [
        'Ec2PluginTagOnLaunch',
        {
          StringEquals: {
            'ec2:CreateAction': 'RunInstances',
            'aws:RequestTag/jenkins-gpu:fleet': 'TestStack',
          },
        },
      ],
      ['Ec2PluginManageFleet', { StringEquals: { 'aws:ResourceTag/jenkins-gpu:fleet': 'TestStack' } }],
      ['Ec2PluginTagFleetVolumes', { StringEquals: { 'aws:ResourceTag/jenkins-gpu:fleet': 'TestStack' } }],
    ]);
    // The plugin re-tags a reconfigured node's volumes: allowed on fleet-tagged volumes only.
    expect(JSON.stringify(sid('Ec2PluginTagFleetVolumes')!.Resource)).toContain(':volume/*');
  });

  it('denies the controller every reserved jenkins-gpu: tag after launch and all but fleet and template at launch', () => {
    const { sid } = fleet();
    expect(sid('DenyReservedTagsAfterLaunch')).toEqual({
      Sid: 'DenyReservedTagsAfterLaunch',
      Effect: 'Deny',
      Action: 'ec2:CreateTags',
      Resource: '*',
      Condition: {
        'ForAnyValue:StringLike': { 'aws:TagKeys': ['jenkins-gpu:*'] },
        StringNotEquals: { 'ec2:CreateAction': 'RunInstances' },
      },
    });
    expect(sid('DenyReservedTagDeletion')).toMatchObject({
      Effect: 'Deny',
      Action: 'ec2:DeleteTags',
      Condition: { 'ForAnyValue:StringLike': { 'aws:TagKeys': ['jenkins-gpu:*'] } },
    });
    expect(sid('DenyReservedTagsAtLaunch')).toMatchObject({
      Effect: 'Deny',
      Action: ['ec2:CreateTags', 'ec2:RunInstances'],
      Condition: {
        'ForAnyValue:StringEquals': {
          'aws:TagKeys': ['jenkins-gpu:busy-at', 'jenkins-gpu:role', 'jenkins-gpu:stack', 'jenkins-gpu:home'],
        },
      },
    });
  });

  it('alarms when workers cannot write their busy tag, on the topic given', () => {
    const { t } = fleet();
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'JenkinsGpu/Workers',
      MetricName: 'BusySignalFailures',
      Dimensions: [
        { Name: 'WorkerInstanceProfile', Value: { Ref: Match.stringLikeRegexp('^WorkersInstanceProfile') } },
      ],
      Statistic: 'SampleCount',
      Period: 900,
      Threshold: 3,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    expect(
      Object.values(t.findResources('AWS::CloudWatch::Alarm'))[0].Properties.AlarmActions,
    ).toBeUndefined();
    const stack = testStack('WithTopic');
    const network = new Network(stack, 'Network');
    const topic = new sns.Topic(stack, 'Topic');
    new GpuWorkerFleet(stack, 'Workers', {
      vpc: network.vpc,
      subnets: network.vpc.publicSubnets,
      controllerSecurityGroup: new ec2.SecurityGroup(stack, 'Sg', { vpc: network.vpc }),
      controllerRole: new iam.Role(stack, 'R', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') }),
      fleetTagValue: 'WithTopic',
      launchScope: { instanceTypes: ['g4dn.xlarge'], usesSpot: false },
      keyPairName: 'k',
      alarmTopic: topic,
    });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'BusySignalFailures',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^Topic') }],
    });
  });

  it('passes only the worker role, only to EC2', () => {
    const pass = fleet().sid('Ec2PluginPassWorkerRole')!;
    expect(pass.Action).toBe('iam:PassRole');
    expect(pass.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^WorkersRole/), 'Arn'] });
    expect(pass.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } });
  });

  it.each([
    [
      { launchScope: { instanceTypes: [], usesSpot: false } },
      'GpuWorkerFleet: launchScope.instanceTypes must name at least one instance type (got none)',
    ],
    [{ subnets: [] }, 'GpuWorkerFleet: subnets must contain at least one subnet (got none)'],
    [
      { fleetTagValue: 'bad value!' },
      'GpuWorkerFleet: fleetTagValue must be a valid tag value (got "bad value!")',
    ],
  ])('rejects %j', (props, message) => {
    expect(() => fleet(props as Partial<GpuWorkerFleetProps>)).toThrow(message);
  });
});
