import { Construct } from 'constructs';
import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { BUSY_AT_TAG_KEY, FLEET_TAG_KEY } from '../fleet-tags';
import { acknowledgeFinding, acknowledgeFindings, Finding } from '../nag/acknowledge';
import { wildcardResourceId } from '../nag/finding-id';

/** Tag key every worker of this stack carries (value: `fleetTagValue`); IAM and the reaper key on it. */

export interface WorkerLaunchScope {
  /** Instance types the casc templates launch (derived from the YAML at synth). */
  readonly instanceTypes: string[];
  /** Whether any template requests spot capacity. */
  readonly usesSpot: boolean;
}

export interface GpuWorkerFleetProps {
  readonly vpc: ec2.IVpc;
  /** Subnets the workers launch in. */
  readonly subnets: ec2.ISubnet[];
  /** The controller's security group: the only source allowed to reach workers (SSH). */
  readonly controllerSecurityGroup: ec2.ISecurityGroup;
  /** The controller's role, which gets the EC2 plugin's permissions. */
  readonly controllerRole: iam.IRole;
  /** Value of the `jenkins-gpu:fleet` tag on this stack's workers. */
  readonly fleetTagValue: string;
  /** What the casc YAML launches; RunInstances is limited to it. */
  readonly launchScope: WorkerLaunchScope;
  /** Name of the EC2 key pair whose private key Jenkins holds as the `worker-ssh-key` credential. */
  readonly keyPairName: string;
  /**
   * AMI the templates use, when it is an explicit id. RunInstances is then limited to that image;
   * otherwise to images owned by Amazon (the Deep Learning AMIs).
   * @default undefined (Amazon-owned images)
   */
  readonly explicitAmiId?: string;
  /** S3 bucket the workers may read and write (`s3://` results). @default undefined (no S3 access) */
  readonly resultsBucketName?: string;
}

/**
 * The AWS side of the GPU worker cloud: the workers' role (it may only tag its own instance with
 * `jenkins-gpu:busy-at`), instance profile and security group (SSH only from the controller), and the
 * controller's EC2-plugin permissions scoped to this fleet: PassRole only for the worker role,
 * start/stop/terminate/tag only on instances with this fleet's tag, RunInstances only for the instance
 * types, AMI source and subnets the YAML uses and only with this fleet's tag in the request.
 */
export class GpuWorkerFleet extends Construct {
  public readonly role: iam.Role;
  public readonly instanceProfile: iam.InstanceProfile;
  public readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: GpuWorkerFleetProps) {
    super(scope, id);
    if (props.launchScope.instanceTypes.length === 0) {
      throw new Error(
        'GpuWorkerFleet: launchScope.instanceTypes must name at least one instance type (got none)',
      );
    }
    if (props.subnets.length === 0) {
      throw new Error('GpuWorkerFleet: subnets must contain at least one subnet (got none)');
    }
    if (
      !/^[A-Za-z0-9_.:/=+@-]{1,256}$/.test(props.fleetTagValue) &&
      !props.fleetTagValue.includes('${Token')
    ) {
      throw new Error(
        `GpuWorkerFleet: fleetTagValue must be a valid tag value (got ${JSON.stringify(props.fleetTagValue)})`,
      );
    }

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `GPU training workers (EC2 plugin agents): may only tag themselves with ${BUSY_AT_TAG_KEY} (and use the results bucket if configured)`,
    });
    // The watchdog marks its own instance busy while a build runs, so the reaper lets long runs finish.
    // aws:ARN = ec2:SourceInstanceARN: only the instance whose role credentials sign the call; TagKeys: only
    // the busy-at key (not the fleet tag, which would put another instance in the controller's reach).
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'TagSelfBusy',
        actions: ['ec2:CreateTags'],
        resources: [Stack.of(this).formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' })],
        conditions: {
          StringEquals: { 'aws:ARN': '${ec2:SourceInstanceARN}' },
          'ForAllValues:StringEquals': { 'aws:TagKeys': [BUSY_AT_TAG_KEY] },
        },
      }),
    );
    if (props.resultsBucketName) {
      const bucketArn = `arn:${Stack.of(this).partition}:s3:::${props.resultsBucketName}`;
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({ sid: 'ListResults', actions: ['s3:ListBucket'], resources: [bucketArn] }),
      );
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ReadWriteResults',
          actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
          resources: [`${bucketArn}/*`],
        }),
      );
    }
    this.instanceProfile = new iam.InstanceProfile(this, 'InstanceProfile', { role: this.role });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'GPU workers: SSH only from the Jenkins controller',
      allowAllOutbound: true,
    });
    this.securityGroup.addIngressRule(
      props.controllerSecurityGroup,
      ec2.Port.tcp(22),
      'SSH from the Jenkins controller',
    );

    this.grantPluginPermissions(props);
    this.acknowledgeNagFindings(props);
  }

  /**
   * The wildcards the EC2 plugin and the workers need, each scoped as far as IAM allows (see
   * grantPluginPermissions). The ids are rendered from the same ARNs the statements use.
   */
  private acknowledgeNagFindings(props: GpuWorkerFleetProps): void {
    const stack = Stack.of(this);
    const ec2Wildcard = (resource: string, account?: string) =>
      wildcardResourceId(
        this,
        stack.formatArn({
          service: 'ec2',
          resource,
          resourceName: '*',
          ...(account !== undefined ? { account } : {}),
        }),
      );
    const controllerFindings: Finding[] = [
      {
        id: wildcardResourceId(this, '*'),
        reason: props.launchScope.usesSpot
          ? 'EC2 Describe* calls of the EC2 plugin and CancelSpotInstanceRequests have no resource-level permissions'
          : 'EC2 Describe* calls of the EC2 plugin have no resource-level permissions',
      },
      {
        id: ec2Wildcard('instance'),
        reason:
          'RunInstances creates instances unknown in advance (conditioned on ec2:InstanceType from the casc YAML and on the fleet tag in the request); start/stop/terminate/tag need the aws:ResourceTag fleet condition on instance/*',
      },
      {
        id: ec2Wildcard('volume'),
        reason:
          'Root volumes of new workers do not exist before RunInstances; tagging them is limited to launch time or to volumes with the fleet tag',
      },
      {
        id: ec2Wildcard('network-interface'),
        reason: 'Network interfaces of new workers do not exist before RunInstances',
      },
      {
        id: ec2Wildcard('spot-instances-request'),
        reason: 'Spot requests are created at launch; tagging limited to launch time',
      },
    ];
    if (!props.explicitAmiId) {
      controllerFindings.push({
        id: ec2Wildcard('image', ''),
        reason: 'Deep Learning AMI ids change with each release: images are limited to ec2:Owner amazon',
      });
    }
    acknowledgeFindings(props.controllerRole, ...controllerFindings);
    acknowledgeFinding(
      this.role,
      ec2Wildcard('instance'),
      `A worker's instance id is unknown at deploy time; CreateTags is limited to the calling instance (aws:ARN = ec2:SourceInstanceARN) and to the ${BUSY_AT_TAG_KEY} key`,
    );
    if (props.resultsBucketName) {
      acknowledgeFinding(
        this.role,
        wildcardResourceId(this, `arn:${stack.partition}:s3:::${props.resultsBucketName}/*`),
        `Training runs read their data from and write their results to the configured s3:// results bucket (${props.resultsBucketName}) under keys chosen per run (RESULTS_DIR/PROBLEM/MODEL-BUILD_NUMBER)`,
      );
    }
  }

  private grantPluginPermissions(props: GpuWorkerFleetProps): void {
    const stack = Stack.of(this);
    const arn = (resource: string, name: string, account?: string) =>
      stack.formatArn({
        service: 'ec2',
        resource,
        resourceName: name,
        ...(account !== undefined ? { account } : {}),
      });
    const fleetCondition = { StringEquals: { [`aws:ResourceTag/${FLEET_TAG_KEY}`]: props.fleetTagValue } };
    const add = (statement: iam.PolicyStatement) => props.controllerRole.addToPrincipalPolicy(statement);

    add(
      new iam.PolicyStatement({
        sid: 'Ec2PluginDescribe',
        // Describe calls cannot be scoped to resources.
        actions: [
          'ec2:DescribeInstances',
          'ec2:DescribeInstanceTypes',
          'ec2:DescribeImages',
          'ec2:DescribeKeyPairs',
          'ec2:DescribeRegions',
          'ec2:DescribeAvailabilityZones',
          'ec2:DescribeSecurityGroups',
          'ec2:DescribeSubnets',
          'ec2:DescribeSpotInstanceRequests',
          'ec2:DescribeSpotPriceHistory',
        ],
        resources: ['*'],
      }),
    );
    add(
      new iam.PolicyStatement({
        sid: 'Ec2PluginLaunchInstanceTypes',
        actions: props.launchScope.usesSpot
          ? ['ec2:RunInstances', 'ec2:RequestSpotInstances']
          : ['ec2:RunInstances'],
        resources: [arn('instance', '*')],
        // The plugin tags at launch (TagSpecifications): an instance without this fleet's tag cannot start,
        // so every GPU instance the controller launches is one the reaper and the fleet IAM can see.
        conditions: {
          StringEquals: {
            'ec2:InstanceType': [...props.launchScope.instanceTypes].sort(),
            [`aws:RequestTag/${FLEET_TAG_KEY}`]: props.fleetTagValue,
          },
        },
      }),
    );
    add(
      new iam.PolicyStatement({
        sid: 'Ec2PluginLaunchImage',
        actions: ['ec2:RunInstances'],
        ...(props.explicitAmiId
          ? { resources: [arn('image', props.explicitAmiId, '')] }
          : { resources: [arn('image', '*', '')], conditions: { StringEquals: { 'ec2:Owner': 'amazon' } } }),
      }),
    );
    add(
      new iam.PolicyStatement({
        sid: 'Ec2PluginLaunchNetworkAndStorage',
        actions: ['ec2:RunInstances'],
        resources: [
          ...props.subnets.map((s) => arn('subnet', s.subnetId)),
          arn('security-group', this.securityGroup.securityGroupId),
          arn('key-pair', props.keyPairName),
          arn('network-interface', '*'),
          arn('volume', '*'),
          ...(props.launchScope.usesSpot ? [arn('spot-instances-request', '*')] : []),
        ],
      }),
    );
    add(
      new iam.PolicyStatement({
        sid: 'Ec2PluginTagOnLaunch',
        actions: ['ec2:CreateTags'],
        resources: [
          arn('instance', '*'),
          arn('volume', '*'),
          arn('network-interface', '*'),
          arn('spot-instances-request', '*'),
        ],
        conditions: { StringEquals: { 'ec2:CreateAction': ['RunInstances', 'RequestSpotInstances'] } },
      }),
    );
    // No CreateTags with only an aws:RequestTag condition: it would let the controller put the fleet tag on
    // any instance and so bring it under ManageFleet. Tags at launch: TagOnLaunch; later: ManageFleet.
    add(
      new iam.PolicyStatement({
        sid: 'Ec2PluginManageFleet',
        actions: [
          'ec2:StartInstances',
          'ec2:StopInstances',
          'ec2:TerminateInstances',
          'ec2:CreateTags',
          'ec2:DeleteTags',
          'ec2:GetConsoleOutput',
        ],
        resources: [arn('instance', '*')],
        conditions: fleetCondition,
      }),
    );
    add(
      new iam.PolicyStatement({
        sid: 'Ec2PluginTagFleetVolumes',
        // The plugin re-tags a node's instance and its attached volumes when the node is reconfigured; the
        // volumes carry the fleet tag from launch.
        actions: ['ec2:CreateTags', 'ec2:DeleteTags'],
        resources: [arn('volume', '*')],
        conditions: fleetCondition,
      }),
    );
    if (props.launchScope.usesSpot) {
      add(
        new iam.PolicyStatement({
          sid: 'Ec2PluginCancelSpot',
          // Spot requests carry no fleet tag before they are fulfilled; the action cannot be scoped further.
          actions: ['ec2:CancelSpotInstanceRequests'],
          resources: ['*'],
        }),
      );
    }
    add(
      new iam.PolicyStatement({
        sid: 'Ec2PluginPassWorkerRole',
        actions: ['iam:PassRole'],
        resources: [this.role.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      }),
    );
  }
}
