import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { GpuWorkerFleet, GpuWorkerFleetProps } from '../../lib/constructs/gpu-worker-fleet';
import { Network } from '../../lib/constructs/network';
import { testStack } from '../helpers';

function fleet(overrides: Partial<GpuWorkerFleetProps> = {}) {
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

  it('gives the worker role no permissions unless a results bucket is configured', () => {
    const { statements } = fleet();
    expect(statements.some((s) => String(s.Sid).includes('Results'))).toBe(false);
    const withBucket = fleet({ resultsBucketName: 'ml-results' });
    expect(withBucket.sid('ReadWriteResults')).toMatchObject({
      Action: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
    });
    withBucket.t.resourceCountIs('AWS::IAM::InstanceProfile', 1);
  });

  it('limits RunInstances to the instance types the YAML uses, and follows a change', () => {
    expect(fleet().sid('Ec2PluginLaunchInstanceTypes')).toMatchObject({
      Action: 'ec2:RunInstances',
      Condition: { StringEquals: { 'ec2:InstanceType': ['g4dn.xlarge'] } },
    });
    const bigger = fleet({ launchScope: { instanceTypes: ['g6e.xlarge', 'g5.2xlarge'], usesSpot: true } });
    expect(bigger.sid('Ec2PluginLaunchInstanceTypes')).toMatchObject({
      Action: ['ec2:RunInstances', 'ec2:RequestSpotInstances'],
      Condition: { StringEquals: { 'ec2:InstanceType': ['g5.2xlarge', 'g6e.xlarge'] } },
    });
    expect(bigger.sid('Ec2PluginCancelSpot')).toBeDefined();
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

  it('limits launches to the fleet subnets, its security group and key pair', () => {
    const resources = JSON.stringify(fleet().sid('Ec2PluginLaunchNetworkAndStorage')!.Resource);
    expect(resources).toContain(':subnet/');
    expect(resources).toContain(':security-group/');
    expect(resources).toContain(':key-pair/TestStack-workers');
    expect(resources).not.toContain('"*"');
  });

  it('starts, stops and terminates only instances with this fleet tag', () => {
    const manage = fleet().sid('Ec2PluginManageFleet')!;
    expect(manage.Action).toEqual(
      expect.arrayContaining(['ec2:StartInstances', 'ec2:StopInstances', 'ec2:TerminateInstances']),
    );
    expect(manage.Condition).toEqual({ StringEquals: { 'aws:ResourceTag/jenkins-gpu:fleet': 'TestStack' } });
    expect(JSON.stringify(manage.Resource)).toContain(':instance/*');
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
