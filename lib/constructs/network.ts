import { Construct } from 'constructs';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { RemovalPolicy } from 'aws-cdk-lib';
import { acknowledgeFinding } from '../nag/acknowledge';

export interface NetworkProps {
  /** CIDR of the new VPC. Ignored with `existingVpc`. @default '10.40.0.0/16' */
  readonly vpcCidr?: string;
  /** Number of availability zones of the new VPC (workers spread over them). @default 2 */
  readonly maxAzs?: number;
  /**
   * Use this existing VPC instead of creating one: ids only, no lookup, so synth stays offline.
   * @default undefined (a new VPC with public subnets, no NAT gateway, an S3 gateway endpoint)
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
    const maxAzs = props.maxAzs ?? 2;
    if (!Number.isInteger(maxAzs) || maxAzs < 1 || maxAzs > 6) {
      throw new Error(`Network: maxAzs must be an integer from 1 to 6 (got ${maxAzs})`);
    }

    if (props.existingVpc) {
      const { vpcId, availabilityZones, subnetIds } = props.existingVpc;
      if (subnetIds.length === 0 || subnetIds.length !== availabilityZones.length) {
        throw new Error(
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
        ipAddresses: ec2.IpAddresses.cidr(props.vpcCidr ?? '10.40.0.0/16'),
        maxAzs,
        natGateways: 0,
        subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 20 }],
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
    }
    this.workerSubnets = { subnets: this.vpc.publicSubnets };
    this.controllerSubnet = this.vpc.publicSubnets[0];
  }
}
