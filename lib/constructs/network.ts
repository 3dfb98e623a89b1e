import { CfnResource, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

import { requireIntegerProp, UserInputError } from '../errors';
import { acknowledgeFinding } from '../nag/acknowledge';
import { parseIpv4Cidr } from '../settings/cidr';
import { LAMBDA_ARCHITECTURE, LAMBDA_LOG_RETENTION } from './lambda-defaults';

export const DEFAULT_VPC_CIDR = '10.40.0.0/16';
const DEFAULT_MAX_AZS = 2;
/** One public subnet of this size (a /20: 4,096 addresses) per availability zone. */
const PUBLIC_SUBNET_CIDR_MASK = 20;
/** The largest VPC AWS allows is a /16 (Amazon VPC User Guide, "VPC CIDR blocks": /16 to /28). */
const LARGEST_VPC_PREFIX = 16;

/**
 * Why a new VPC's CIDR cannot hold the network's subnets, as the "allowed" text of a message, or
 * undefined when it can. Settings use it too: one rule for both.
 */
export function vpcCidrProblem(cidr: string, maxAzs: number = DEFAULT_MAX_AZS): string | undefined {
  const block = parseIpv4Cidr(cidr);
  if (!block) return 'an IPv4 CIDR such as 10.40.0.0/16';
  const { octets, prefix } = block;
  const longest = PUBLIC_SUBNET_CIDR_MASK - Math.ceil(Math.log2(maxAzs));
  if (prefix < LARGEST_VPC_PREFIX || prefix > longest) {
    return (
      `an IPv4 CIDR from /${LARGEST_VPC_PREFIX} to /${longest}: the network creates ${maxAzs} public /${PUBLIC_SUBNET_CIDR_MASK} ` +
      `subnet${maxAzs === 1 ? '' : 's'}, one per availability zone, and AWS allows no VPC larger than /${LARGEST_VPC_PREFIX}`
    );
  }
  const address = octets.reduce((a, o) => a * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  const network = address - (address % size);
  if (network !== address) {
    const base = [24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256).join('.');
    return `the block's network address, ${base}/${prefix}: with host bits set the subnets would fall outside the VPC`;
  }
  return undefined;
}

export interface NetworkProps {
  /** CIDR of the new VPC, /16 to /19 for 2 zones (vpcCidrProblem). Ignored with `existingVpc`. @default '10.40.0.0/16' */
  readonly vpcCidr?: string;
  /** Number of availability zones of the new VPC (workers spread over them). @default 2 */
  readonly maxAzs?: number;
  /**
   * Use this existing VPC instead of creating one: ids only, no lookup, so synth stays offline.
   * @default - a new VPC with public subnets, no NAT gateway, an S3 gateway endpoint
   */
  readonly existingVpc?: {
    readonly vpcId: string;
    readonly availabilityZones: string[];
    /** Subnets with a route to the internet (public, or private with NAT). */
    readonly subnetIds: string[];
  };
  /** Days to keep VPC flow logs (rejected traffic only). New VPC only. @default 30 */
  readonly flowLogRetentionDays?: logs.RetentionDays;
}

/**
 * The network: by default a new VPC with public subnets only (no NAT gateway: it would cost more per month
 * than the controller), an S3 gateway endpoint (bundles, pip caches and results without internet
 * transfer) and flow logs of rejected traffic. Nothing is reachable from outside: security groups decide.
 */
export class Network extends Construct {
  public readonly vpc: ec2.IVpc;
  /** Subnets for GPU workers (all zones). */
  public readonly workerSubnets: ec2.SubnetSelection;
  /** The single subnet (one AZ) of the controller: JENKINS_HOME's EBS volume lives in that zone. */
  public readonly controllerSubnet: ec2.ISubnet;

  constructor(scope: Construct, id: string, props: NetworkProps = {}) {
    super(scope, id);
    const maxAzs = requireIntegerProp('Network', 'maxAzs', props.maxAzs ?? DEFAULT_MAX_AZS, {
      min: 1,
      max: 6,
    });
    const cidrProblem = props.existingVpc
      ? undefined
      : vpcCidrProblem(props.vpcCidr ?? DEFAULT_VPC_CIDR, maxAzs);
    if (cidrProblem) {
      throw new UserInputError(
        `Network: vpcCidr ${JSON.stringify(props.vpcCidr)} is not allowed (allowed: ${cidrProblem})`,
      );
    }

    if (props.existingVpc) {
      const { vpcId, availabilityZones, subnetIds } = props.existingVpc;
      if (subnetIds.length === 0 || subnetIds.length !== availabilityZones.length) {
        throw new UserInputError(
          `Network: existingVpc needs one availability zone per subnet id (got ${availabilityZones.length} zones, ${subnetIds.length} subnets)`,
        );
      }
      this.vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
        vpcId,
        availabilityZones,
        publicSubnetIds: subnetIds,
      });
      acknowledgeFinding(
        this.vpc,
        // aws-ec2 warns for every subnet imported without its route table id (aws-cdk-lib 2.276.0 vpc.js).
        '@aws-cdk/aws-ec2:noSubnetRouteTableId',
        'Nothing in this stack reads the route tables of an existing VPC (no gateway endpoint or route is added to it)',
      );
    } else {
      const vpc = new ec2.Vpc(this, 'Vpc', {
        ipAddresses: ec2.IpAddresses.cidr(props.vpcCidr ?? DEFAULT_VPC_CIDR),
        maxAzs,
        natGateways: 0,
        subnetConfiguration: [
          { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: PUBLIC_SUBNET_CIDR_MASK },
        ],
        gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
        restrictDefaultSecurityGroup: true,
      });
      const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
        retention: props.flowLogRetentionDays ?? logs.RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      vpc.addFlowLog('RejectedTraffic', {
        destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
        trafficType: ec2.FlowLogTrafficType.REJECT,
      });
      this.vpc = vpc;
      scopeDefaultSgProviderLogs(this);
    }
    this.workerSubnets = { subnets: this.vpc.publicSubnets };
    this.controllerSubnet = this.vpc.publicSubnets[0];
  }
}

/**
 * `restrictDefaultSecurityGroup` adds a stack-wide custom resource provider (aws-cdk-lib 2.276.0
 * aws-ec2/lib/restrict-default-security-group: `Custom::VpcRestrictDefaultSGCustomResourceProvider`, a
 * Lambda function and a role with AWSLambdaBasicExecutionRole, i.e. log writes to every log group). Give
 * its function a log group of its own and its role write access to that group only, and the architecture
 * and log retention of every function of the stack (lambda-defaults.ts).
 */
function scopeDefaultSgProviderLogs(scope: Construct): void {
  const stack = Stack.of(scope);
  const provider = stack.node.tryFindChild('Custom::VpcRestrictDefaultSGCustomResourceProvider');
  if (!provider) return;
  const role = provider.node.findChild('Role') as CfnResource;
  const handler = provider.node.findChild('Handler') as CfnResource;
  const logGroup = new logs.LogGroup(scope, 'RestrictDefaultSgLogs', {
    retention: LAMBDA_LOG_RETENTION,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  handler.addPropertyOverride('LoggingConfig', { LogGroup: logGroup.logGroupName });
  handler.addPropertyOverride('Architectures', [LAMBDA_ARCHITECTURE.name]);
  handler.node.addDependency(logGroup);
  role.addPropertyDeletionOverride('ManagedPolicyArns');
  role.addPropertyOverride('Policies.1', {
    PolicyName: 'WriteOwnLogs',
    PolicyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: logGroup.logGroupArn,
        },
      ],
    },
  });
}
