import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

import {
  BUSY_AT_TAG_KEY,
  BUSY_SIGNAL_FAILURES_METRIC,
  FLEET_TAG_KEY,
  NEVER_FROM_JENKINS_TAG_KEYS,
  RESERVED_TAG_PREFIX,
  TAG_VALUE_PATTERN,
  WORKER_METRIC_NAMESPACE,
  WORKER_PROFILE_DIMENSION,
} from '../contracts';
import { UserInputError } from '../errors';
import { acknowledgeFinding, acknowledgeFindings, Finding } from '../nag/acknowledge';
import { wildcardResourceId } from '../nag/finding-id';

/** What the casc templates launch; the controller's RunInstances permission is limited to it. */
export interface WorkerLaunchScope {
  /** Instance types the casc templates launch (derived from the YAML at synth). */
  readonly instanceTypes: string[];
  /** Whether any template requests spot capacity. */
  readonly usesSpot: boolean;
  /**
   * Largest size and the types of the EBS volumes the templates' customDeviceMapping asks for; RunInstances
   * is bound to them. @default - volumes are only required to be encrypted
   */
  readonly volumes?: { readonly maxSizeGiB: number; readonly types: string[] };
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
   * @default - Amazon-owned images
   */
  readonly explicitAmiId?: string;
  /** S3 bucket the workers may read and write (`s3://` results). @default - no S3 access */
  readonly resultsBucketName?: string;
  /**
   * Topic told when workers cannot write their busy tag (the BusySignalFailures alarm).
   * @default - the alarm is created without an action
   */
  readonly alarmTopic?: sns.ITopic;
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
  /** Alarm: a worker's watchdog failed to write its busy tag several times in 15 minutes. */
  public readonly busySignalAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: GpuWorkerFleetProps) {
    super(scope, id);
    if (props.launchScope.instanceTypes.length === 0) {
      throw new UserInputError(
        'GpuWorkerFleet: launchScope.instanceTypes must name at least one instance type (got none)',
      );
    }
    if (props.subnets.length === 0) {
      throw new UserInputError('GpuWorkerFleet: subnets must contain at least one subnet (got none)');
    }
    if (!TAG_VALUE_PATTERN.test(props.fleetTagValue) && !props.fleetTagValue.includes('${Token')) {
      throw new UserInputError(
        `GpuWorkerFleet: fleetTagValue must be a valid tag value (got ${JSON.stringify(props.fleetTagValue)})`,
      );
    }

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: `GPU training workers (EC2 plugin agents): may only tag themselves with ${BUSY_AT_TAG_KEY} (and use the results bucket if configured)`,
    });
    this.grantBusySignal(props.fleetTagValue);
    this.grantRunReport();
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
    this.busySignalAlarm = this.createBusySignalAlarm(props.alarmTopic);
    this.acknowledgeNagFindings(props);
  }

  /**
   * The wildcards the EC2 plugin and the workers need, each scoped as far as IAM allows (see
   * grantPluginPermissions). The ids are rendered from the same ARNs the statements use.
   */
  private acknowledgeNagFindings(props: GpuWorkerFleetProps): void {
    this.acknowledgeControllerFindings(props);
    this.acknowledgeWorkerFindings(props);
  }

  /** The controller role's wildcards: Describe*, and the resources RunInstances creates. */
  private acknowledgeControllerFindings(props: GpuWorkerFleetProps): void {
    const controllerFindings: Finding[] = [
      {
        id: wildcardResourceId(this, '*'),
        reason: 'EC2 Describe* calls of the EC2 plugin have no resource-level permissions',
      },
      {
        id: this.ec2WildcardId('instance'),
        reason:
          'RunInstances creates instances unknown in advance (conditioned on ec2:InstanceType from the casc YAML, the fleet tag in the request and IMDSv2); start/stop/terminate/tag need the aws:ResourceTag fleet condition on instance/*',
      },
      {
        id: this.ec2WildcardId('volume'),
        reason:
          "Root volumes of new workers do not exist before RunInstances (bound to the casc mapping's size and types, encrypted); tagging them is limited to launch time with this fleet's tag or to volumes with the fleet tag",
      },
      {
        id: this.ec2WildcardId('network-interface'),
        reason:
          "Network interfaces of new workers do not exist before RunInstances; limited by ec2:Vpc and ec2:Subnet to this VPC's worker subnets",
      },
    ];
    if (props.launchScope.usesSpot) {
      controllerFindings.push({
        id: this.ec2WildcardId('spot-instances-request'),
        reason:
          'RunInstances with spot market options creates a spot request unknown in advance, which CancelSpotInstanceRequests then names; spot requests carry no fleet tag to condition on',
      });
    }
    if (!props.explicitAmiId) {
      controllerFindings.push({
        id: this.ec2WildcardId('image', ''),
        reason: 'Deep Learning AMI ids change with each release: images are limited to ec2:Owner amazon',
      });
    }
    acknowledgeFindings(props.controllerRole, ...controllerFindings);
  }

  /** The worker role's wildcards: metrics and tag reads, tagging itself, the results bucket. */
  private acknowledgeWorkerFindings(props: GpuWorkerFleetProps): void {
    acknowledgeFinding(
      this.role,
      wildcardResourceId(this, '*'),
      `cloudwatch:PutMetricData has no resource-level permissions; limited by cloudwatch:namespace to ${WORKER_METRIC_NAMESPACE}. ec2:DescribeTags has none either (read-only: the worker reads its own fleet and template tags for its boot and cost metrics)`,
    );
    acknowledgeFinding(
      this.role,
      this.ec2WildcardId('instance'),
      `A worker's instance id is unknown at deploy time; CreateTags is limited to the calling instance (ec2:SourceInstanceARN equals the target's ec2:InstanceID), to this fleet's instances and to the ${BUSY_AT_TAG_KEY} key`,
    );
    if (props.resultsBucketName) {
      acknowledgeFinding(
        this.role,
        wildcardResourceId(this, `arn:${Stack.of(this).partition}:s3:::${props.resultsBucketName}/*`),
        `Training runs read their data from and write their results to the configured s3:// results bucket (${props.resultsBucketName}) under keys chosen per run (RESULTS_DIR/PROBLEM/MODEL-BUILD_NUMBER)`,
      );
    }
  }

  /**
   * The watchdog marks its own instance busy while a build runs, so the reaper lets long runs finish, and
   * reports a failure to do so as a metric (lib/contracts.ts).
   *
   * "Only its own instance" with documented keys: `ec2:SourceInstanceARN` is the ARN of the instance whose
   * instance-profile credentials sign the request (IAM User Guide, "AWS global condition context keys",
   * and "IAM policy elements: Variables and tags", which lists it among the values a policy may use), and
   * `ec2:InstanceID` is the id of the instance the request acts on (Service Authorization Reference for
   * EC2, CreateTags, resource type instance). Policy variables may be used in ARN-operator condition values
   * (same page, "Condition element"), so the condition compares the caller with the target. TagKeys: only
   * the busy-at key (never the fleet tag, which would put another instance in the controller's reach).
   */
  private grantBusySignal(fleetTagValue: string): void {
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'TagSelfBusy',
        actions: ['ec2:CreateTags'],
        resources: [this.ec2Arn('instance', '*')],
        conditions: {
          ArnEquals: { 'ec2:SourceInstanceARN': this.ec2Arn('instance', '${ec2:InstanceID}') },
          StringEquals: { [`aws:ResourceTag/${FLEET_TAG_KEY}`]: fleetTagValue },
          'ForAllValues:StringEquals': { 'aws:TagKeys': [BUSY_AT_TAG_KEY] },
        },
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReportBusySignalFailures',
        // PutMetricData has no resource-level permissions; the namespace condition is its only scope.
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': WORKER_METRIC_NAMESPACE } },
      }),
    );
  }

  /**
   * The boot milestones and the per-build run report (assets/worker/milestone.sh, run-report.sh) send
   * their metrics (the namespace statement above) with the worker's fleet and template tags as dimensions.
   * The EC2 plugin launches workers without instance tags in IMDS (its templates have no
   * InstanceMetadataTags setting), so the worker reads its own tags with DescribeTags, which supports no
   * resource-level permissions or condition keys (Service Authorization Reference for EC2): a build on a
   * worker can read the account's EC2 tags, nothing more.
   */
  private grantRunReport(): void {
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadOwnTagsForMetrics',
        actions: ['ec2:DescribeTags'],
        resources: ['*'],
      }),
    );
  }

  /**
   * The watchdog sends one BusySignalFailures data point per refused or failed create-tags, and retries
   * every minute while a build runs. SampleCount, not Sum: a build holding the worker's credentials could
   * send negative values to cancel a Sum, but cannot take samples away. Three in 15 minutes: one throttled
   * call does not page, a refusal that lasts does (long before the reaper's hard lifetime).
   */
  private createBusySignalAlarm(topic: sns.ITopic | undefined): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, 'BusySignalAlarm', {
      alarmDescription: `GPU workers cannot write their ${BUSY_AT_TAG_KEY} tag: the reaper will stop their builds at the hard lifetime (see the worker's journal, jenkins-gpu-idle-watchdog)`,
      metric: new cloudwatch.Metric({
        namespace: WORKER_METRIC_NAMESPACE,
        metricName: BUSY_SIGNAL_FAILURES_METRIC,
        dimensionsMap: { [WORKER_PROFILE_DIMENSION]: this.instanceProfile.instanceProfileName },
        statistic: cloudwatch.Stats.SAMPLE_COUNT,
        period: Duration.minutes(15),
      }),
      threshold: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (topic) alarm.addAlarmAction(new cwActions.SnsAction(topic));
    return alarm;
  }

  /**
   * The EC2 plugin's permissions on the controller role, one named group per concern: describe, launch,
   * tag and manage this fleet, never the reserved tags, cancel its spot requests, pass the worker role.
   */
  private grantPluginPermissions(props: GpuWorkerFleetProps): void {
    const add = (statement: iam.PolicyStatement) => props.controllerRole.addToPrincipalPolicy(statement);
    this.grantDescribe(add);
    this.grantLaunch(props, add);
    this.grantFleetTagging(props.fleetTagValue, add);
    this.denyReservedTags(add);
    if (props.launchScope.usesSpot) {
      add(
        new iam.PolicyStatement({
          sid: 'Ec2PluginCancelSpot',
          // Spot requests carry no fleet tag (the plugin's RunInstances spot path tags the instance, not the
          // request), so the resource type is as far as this can be scoped.
          actions: ['ec2:CancelSpotInstanceRequests'],
          resources: [this.ec2Arn('spot-instances-request', '*')],
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

  private grantDescribe(add: (s: iam.PolicyStatement) => void): void {
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
  }

  /**
   * Tags at launch (TagOnLaunch) and on this fleet's instances and volumes afterwards (ManageFleet,
   * TagFleetVolumes). No CreateTags with only an aws:RequestTag condition: it would let the controller put
   * the fleet tag on any instance and so bring it under ManageFleet.
   */
  private grantFleetTagging(fleetTagValue: string, add: (s: iam.PolicyStatement) => void): void {
    const arn = (resource: string, name: string) => this.ec2Arn(resource, name);
    const fleetCondition = { StringEquals: { [`aws:ResourceTag/${FLEET_TAG_KEY}`]: fleetTagValue } };
    add(
      new iam.PolicyStatement({
        sid: 'Ec2PluginTagOnLaunch',
        actions: ['ec2:CreateTags'],
        resources: [arn('instance', '*'), arn('volume', '*'), arn('network-interface', '*')],
        // The plugin tags instance, volume and interface in the RunInstances request (SlaveTemplate.java
        // makeRunInstancesRequestAndFilters at 2059.v05f9d511d7e5), each with this fleet's tag.
        conditions: {
          StringEquals: {
            'ec2:CreateAction': 'RunInstances',
            [`aws:RequestTag/${FLEET_TAG_KEY}`]: fleetTagValue,
          },
        },
      }),
    );
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
  }

  /**
   * RunInstances, authorized by EC2 once per resource (Service Authorization Reference, RunInstances):
   * the instance (types from the YAML, this fleet's tag, IMDSv2 required), the image, the YAML's subnets,
   * the worker security group and key pair, interfaces in this VPC's subnets, and volumes as large and of
   * the types the YAML's customDeviceMapping asks for, encrypted.
   */
  private grantLaunch(props: GpuWorkerFleetProps, add: (s: iam.PolicyStatement) => void): void {
    this.grantLaunchInstance(props, add);
    this.grantLaunchAttachments(props, add);
  }

  /** The instance itself and its image. */
  private grantLaunchInstance(props: GpuWorkerFleetProps, add: (s: iam.PolicyStatement) => void): void {
    const arn = (resource: string, name: string, account?: string) => this.ec2Arn(resource, name, account);
    add(
      new iam.PolicyStatement({
        sid: 'Ec2PluginLaunchInstanceTypes',
        actions: ['ec2:RunInstances'],
        resources: [arn('instance', '*')],
        // The plugin tags at launch (TagSpecifications): an instance without this fleet's tag cannot start,
        // so every GPU instance the controller launches is one the reaper and the fleet IAM can see.
        conditions: {
          StringEquals: {
            'ec2:InstanceType': [...props.launchScope.instanceTypes].sort(),
            [`aws:RequestTag/${FLEET_TAG_KEY}`]: props.fleetTagValue,
            'ec2:MetadataHttpTokens': 'required',
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
  }

  /** What the instance is launched with: subnets, security group, key pair, interfaces and volumes. */
  private grantLaunchAttachments(props: GpuWorkerFleetProps, add: (s: iam.PolicyStatement) => void): void {
    const arn = (resource: string, name: string) => this.ec2Arn(resource, name);
    const subnetArns = props.subnets.map((s) => arn('subnet', s.subnetId));
    add(
      new iam.PolicyStatement({
        sid: 'Ec2PluginLaunchNetwork',
        actions: ['ec2:RunInstances'],
        resources: [
          ...subnetArns,
          arn('security-group', this.securityGroup.securityGroupId),
          arn('key-pair', props.keyPairName),
          ...(props.launchScope.usesSpot ? [arn('spot-instances-request', '*')] : []),
        ],
      }),
    );
    add(
      new iam.PolicyStatement({
        sid: 'Ec2PluginLaunchInterfaces',
        actions: ['ec2:RunInstances'],
        resources: [arn('network-interface', '*')],
        conditions: { ArnEquals: { 'ec2:Vpc': arn('vpc', props.vpc.vpcId), 'ec2:Subnet': subnetArns } },
      }),
    );
    const volumes = props.launchScope.volumes;
    add(
      new iam.PolicyStatement({
        sid: 'Ec2PluginLaunchVolumes',
        actions: ['ec2:RunInstances'],
        resources: [arn('volume', '*')],
        conditions: {
          Bool: { 'ec2:Encrypted': 'true' },
          ...(volumes
            ? {
                NumericLessThanEquals: { 'ec2:VolumeSize': volumes.maxSizeGiB },
                StringEquals: { 'ec2:VolumeType': volumes.types },
              }
            : {}),
        },
      }),
    );
  }

  /**
   * The reserved `jenkins-gpu:` tags decide what the reaper and the fleet IAM act on. Jenkins may write the
   * fleet and template tags at launch and nothing reserved afterwards, so a compromised Jenkins cannot
   * bring an instance into the fleet, hide a worker from the reaper (delete or change its fleet tag),
   * disguise it as the controller (role tag) or keep it "busy" (busy-at tag). The plugin writes reserved
   * tags after launch only when an admin reconfigures a node (EC2AbstractSlave.reconfigure clears and
   * re-pushes the template tags); that edit now fails instead of moving a worker.
   */
  private denyReservedTags(add: (s: iam.PolicyStatement) => void): void {
    const anyEc2Resource = '*';
    const reservedKey = { 'ForAnyValue:StringLike': { 'aws:TagKeys': [`${RESERVED_TAG_PREFIX}*`] } };
    add(
      new iam.PolicyStatement({
        sid: 'DenyReservedTagsAfterLaunch',
        effect: iam.Effect.DENY,
        actions: ['ec2:CreateTags'],
        resources: [anyEc2Resource],
        conditions: {
          ...reservedKey,
          // Every CreateTags outside a RunInstances request has no ec2:CreateAction, and a negated
          // operator matches a missing key, so this denies all of them.
          StringNotEquals: { 'ec2:CreateAction': 'RunInstances' },
        },
      }),
    );
    add(
      new iam.PolicyStatement({
        sid: 'DenyReservedTagDeletion',
        effect: iam.Effect.DENY,
        actions: ['ec2:DeleteTags'],
        resources: [anyEc2Resource],
        conditions: reservedKey,
      }),
    );
    add(
      new iam.PolicyStatement({
        sid: 'DenyReservedTagsAtLaunch',
        effect: iam.Effect.DENY,
        actions: ['ec2:CreateTags', 'ec2:RunInstances'],
        resources: [anyEc2Resource],
        conditions: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': [...NEVER_FROM_JENKINS_TAG_KEYS] } },
      }),
    );
  }

  private ec2Arn(resource: string, name: string, account?: string): string {
    return Stack.of(this).formatArn({
      service: 'ec2',
      resource,
      resourceName: name,
      ...(account !== undefined ? { account } : {}),
    });
  }

  /** The cdk-nag finding id of a wildcard on `resource/*` (the ARN the statements above use). */
  private ec2WildcardId(resource: string, account?: string): string {
    return wildcardResourceId(this, this.ec2Arn(resource, '*', account));
  }
}
