import { Match, Template } from 'aws-cdk-lib/assertions';

import { Network } from '../../lib/constructs/network';
import { testStack } from '../helpers';

describe('Network', () => {
  it('creates public subnets only, no NAT gateway, an S3 gateway endpoint and flow logs', () => {
    const stack = testStack();
    new Network(stack, 'Network');
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.40.0.0/16' });
    t.resourceCountIs('AWS::EC2::NatGateway', 0);
    t.resourceCountIs('AWS::EC2::Subnet', 2);
    t.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: true });
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['.s3'])]) }),
    });
    t.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'REJECT' });
  });

  it('uses an existing VPC by ids without any lookup', () => {
    const stack = testStack();
    const network = new Network(stack, 'Network', {
      existingVpc: {
        vpcId: 'vpc-0123456789abcdef0',
        availabilityZones: ['us-east-1a', 'us-east-1b'],
        subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
      },
    });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::EC2::VPC', 0);
    expect(network.controllerSubnet.subnetId).toBe('subnet-0123456789abcdef0');
    expect(network.vpc.publicSubnets.map((s) => s.subnetId)).toEqual([
      'subnet-0123456789abcdef0',
      'subnet-0123456789abcdef1',
    ]);
  });

  it('rejects a mismatched existing VPC and a bad zone count', () => {
    expect(
      () =>
        new Network(testStack(), 'Network', {
          existingVpc: { vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['us-east-1a'], subnetIds: [] },
        }),
    ).toThrow('Network: existingVpc needs one availability zone per subnet id (got 1 zones, 0 subnets)');
    expect(() => new Network(testStack(), 'Network', { maxAzs: 0 })).toThrow(
      'Network: maxAzs must be an integer from 1 to 6 (got 0)',
    );
  });
});
