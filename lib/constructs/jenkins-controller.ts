import { Aws, CfnResource, Duration, RemovalPolicy, Size, Stack, Tags, Token } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as dlm from 'aws-cdk-lib/aws-dlm';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import * as fs from 'fs';
import * as path from 'path';

import {
  CONTROLLER_ROLE,
  HOME_VOLUME_TAG_KEY,
  JENKINS_PORT,
  ROLE_TAG_KEY,
  selfReplacementsParameterName,
} from '../contracts';
import { DEFAULT_CONTROLLER_BOOT_MINUTES, MAX_ROLLING_UPDATE_PAUSE_MINUTES } from '../controller-replacement';
import { requireIntegerProp } from '../errors';
import { acknowledgeFinding, acknowledgeFindings } from '../nag/acknowledge';
import { awsManagedPolicyId, cfnRuleId, nagRuleId, wildcardResourceId } from '../nag/finding-id';

/** Repository root, for assets. */
const ROOT = path.resolve(__dirname, '..', '..');

export interface JenkinsControllerProps {
  readonly vpc: ec2.IVpc;
  /** The controller's subnet; its zone is the zone of the JENKINS_HOME volume. */
  readonly subnet: ec2.ISubnet;
  /** Name of the SSM parameter that points at the active config bundle (read at every boot). */
  readonly configParameterName: string;
  /** EC2 instance type. @default - `t3.large` (`CONTROLLER_DEFAULTS`) */
  readonly instanceType?: ec2.InstanceType;
  /** JENKINS_HOME volume size in GiB (gp3, encrypted). @default 50 */
  readonly homeVolumeSizeGiB?: number;
  /** Days of daily JENKINS_HOME snapshots to keep. @default 14 */
  readonly snapshotRetentionDays?: number;
  /**
   * SSM parameter with the AMI id, resolved by EC2 at each launch (not by CloudFormation), so a newer AMI
   * never changes the launch template: a replaced instance simply boots the latest image.
   * @default '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64'
   */
  readonly amiParameterName?: string;
  /** Root volume size in GiB. @default 30 */
  readonly rootVolumeSizeGiB?: number;
  /** Give the instance a public IPv4 address for outbound access (public subnets without NAT). @default true */
  readonly associatePublicIp?: boolean;
  /** SNS topic told about every launch, termination and failure of the controller instance. @default - no notifications */
  readonly notificationTopic?: sns.ITopic;
  /** Minutes CloudFormation waits for the controller to report healthy after a launch. @default 30 */
  readonly bootTimeoutMinutes?: number;
  /**
   * Minutes a terminating controller may keep JENKINS_HOME (a drain's lifecycle hook): the replacement is
   * launched meanwhile and waits for the volume, so a rolling update waits this much longer for its signal.
   * @default 0 (no drain)
   */
  readonly terminationHoldMinutes?: number;
}

/**
 * The Jenkins controller: an Auto Scaling group of exactly one instance in one zone, JENKINS_HOME on its own
 * encrypted gp3 volume (retained, snapshotted daily) that every replacement instance re-attaches, IMDSv2,
 * an encrypted root, no inbound rule, SSM for access. Its user data depends only on the controller scripts,
 * never on casc/ or jobs/: the config bundle is found at boot through `configParameterName`.
 */
export class JenkinsController extends Construct {
  public readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  public readonly securityGroup: ec2.SecurityGroup;
  public readonly role: iam.Role;
  public readonly homeVolume: ec2.Volume;
  public readonly launchTemplate: ec2.LaunchTemplate;
  /** Port Jenkins listens on (HTTP, reached through SSM port forwarding or the load balancer). */
  public readonly port = JENKINS_PORT;
  /** Minutes a terminating instance may keep JENKINS_HOME, included in the rolling update's wait. */
  public readonly terminationHoldMinutes: number;
  /**
   * SSM parameter counting the controller's consecutive self-replacements after failed boots
   * (assets/controller/self-heal.sh): `/<stack>/controller/self-replacements`, written by the instance.
   */
  public readonly selfReplacementsParameter: ssm.StringParameter;

  constructor(scope: Construct, id: string, props: JenkinsControllerProps) {
    super(scope, id);
    const sizes = controllerSizes(props);
    this.terminationHoldMinutes = sizes.terminationHoldMinutes;

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description:
        'Jenkins controller: no inbound rule (SSM port forwarding), outbound for updates and AWS APIs',
      allowAllOutbound: true,
    });

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'Jenkins controller instance role',
    });
    this.grantSsmAgent();

    this.homeVolume = this.createHomeVolume(props.subnet, sizes.homeSize, sizes.retentionDays);
    const scripts = this.createScriptsAsset();
    this.launchTemplate = this.createLaunchTemplate(props, sizes.rootSize);
    this.autoScalingGroup = this.createAutoScalingGroup(props, sizes.bootTimeout, sizes.replacementWait);
    this.addUserData(scripts, props.configParameterName);
    this.selfReplacementsParameter = this.createSelfReplacementsParameter();
    this.grantBootPermissions();
    this.grantSelfHeal();
    this.acknowledgeNagFindings(!props.notificationTopic);
  }

  /** JENKINS_HOME: its own encrypted gp3 volume in the subnet's zone, retained, snapshotted daily. */
  private createHomeVolume(subnet: ec2.ISubnet, sizeGiB: number, retentionDays: number): ec2.Volume {
    const stackName = Stack.of(this).stackName;
    const volume = new ec2.Volume(this, 'JenkinsHome', {
      availabilityZone: subnet.availabilityZone,
      size: Size.gibibytes(sizeGiB),
      volumeType: ec2.EbsDeviceVolumeType.GP3,
      encrypted: true,
      removalPolicy: RemovalPolicy.RETAIN,
      volumeName: `${stackName}-jenkins-home`,
    });
    Tags.of(volume).add(ROLE_TAG_KEY, CONTROLLER_ROLE);
    Tags.of(volume).add(HOME_VOLUME_TAG_KEY, stackName);
    this.addDailySnapshots(stackName, retentionDays);
    return volume;
  }

  /** assets/controller as an S3 asset, which the user data downloads at every boot. */
  private createScriptsAsset(): s3assets.Asset {
    const scripts = new s3assets.Asset(this, 'Scripts', { path: path.join(ROOT, 'assets', 'controller') });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadControllerScripts',
        actions: ['s3:GetObject'],
        resources: [`arn:${Stack.of(this).partition}:s3:::${scripts.s3BucketName}/${scripts.s3ObjectKey}`],
      }),
    );
    return scripts;
  }

  /** IMDSv2, an encrypted root, the AMI resolved by EC2 at launch; the user data is added once the group exists. */
  private createLaunchTemplate(props: JenkinsControllerProps, rootSize: number): ec2.LaunchTemplate {
    return new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      instanceType: props.instanceType ?? new ec2.InstanceType(CONTROLLER_DEFAULTS.instanceType),
      machineImage: ec2.MachineImage.resolveSsmParameterAtLaunch(
        props.amiParameterName ?? CONTROLLER_DEFAULTS.amiParameterName,
        { os: ec2.OperatingSystemType.LINUX },
      ),
      role: this.role,
      securityGroup: this.securityGroup,
      requireImdsv2: true,
      httpPutResponseHopLimit: 1,
      // Public subnets without NAT: a public address gives outbound access; no inbound rule exists.
      associatePublicIpAddress: props.associatePublicIp ?? true,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: ec2.BlockDeviceVolume.ebs(rootSize, {
            encrypted: true,
            volumeType: ec2.EbsDeviceVolumeType.GP3,
            deleteOnTermination: true,
          }),
        },
      ],
      userData: ec2.UserData.forLinux(),
    });
  }

  /** Exactly one instance in the controller's subnet, replaced old-first, healthy when it signals. */
  private createAutoScalingGroup(
    props: JenkinsControllerProps,
    bootTimeout: number,
    replacementWait: number,
  ): autoscaling.AutoScalingGroup {
    const group = new autoscaling.AutoScalingGroup(this, 'Asg', {
      vpc: props.vpc,
      vpcSubnets: { subnets: [props.subnet] },
      launchTemplate: this.launchTemplate,
      minCapacity: 1,
      maxCapacity: 1,
      // Never two controllers on one JENKINS_HOME: the old instance is terminated before the new one starts.
      updatePolicy: autoscaling.UpdatePolicy.rollingUpdate({
        maxBatchSize: 1,
        minInstancesInService: 0,
        waitOnResourceSignals: true,
        pauseTime: Duration.minutes(replacementWait),
      }),
      signals: autoscaling.Signals.waitForMinCapacity({ timeout: Duration.minutes(bootTimeout) }),
      healthChecks: autoscaling.HealthChecks.ec2({ gracePeriod: Duration.minutes(bootTimeout) }),
      // A replaced controller means a lost instance: tell the operators.
      notifications: props.notificationTopic ? [{ topic: props.notificationTopic }] : undefined,
    });
    Tags.of(group).add(ROLE_TAG_KEY, CONTROLLER_ROLE, {
      applyToLaunchedInstances: true,
    });
    Tags.of(group).add('Name', `${Stack.of(this).stackName}-jenkins-controller`, {
      applyToLaunchedInstances: true,
    });
    return group;
  }

  /** The boot parameters (the group's logical id is the resource the boot signals) and controller.sh. */
  private addUserData(scripts: s3assets.Asset, configParameterName: string): void {
    const signalResource = (this.autoScalingGroup.node.defaultChild as CfnResource).logicalId;
    this.launchTemplate.userData!.addCommands(
      ...renderUserData({
        SCRIPTS_S3_URL: scripts.s3ObjectUrl,
        CONFIG_PARAMETER: configParameterName,
        VOLUME_ID: this.homeVolume.volumeId,
        STACK_NAME: Aws.STACK_NAME,
        REGION: Aws.REGION,
        SIGNAL_RESOURCE: signalResource,
      }),
    );
  }

  private createSelfReplacementsParameter(): ssm.StringParameter {
    const parameter = new ssm.StringParameter(this, 'SelfReplacements', {
      // The name self-heal.sh derives from --stack-name.
      parameterName: selfReplacementsParameterName(Stack.of(this).stackName),
      description:
        'Consecutive self-replacements of the Jenkins controller after failed boots (written by the instance; 0 after a healthy boot)',
      stringValue: '0',
    });
    // The first boot reads it (a healthy boot resets it).
    this.autoScalingGroup.node.addDependency(parameter);
    return parameter;
  }

  /** cdk-nag and CloudFormation rule findings that are by design, acknowledged with the reason. */
  private acknowledgeNagFindings(withoutNotifications: boolean): void {
    acknowledgeFindings(
      this.role,
      {
        id: wildcardResourceId(this, '*'),
        reason: 'ec2:DescribeVolumes (waiting for JENKINS_HOME to attach) has no resource-level permissions',
      },
      {
        id: wildcardResourceId(this, '*'),
        reason:
          'The SSM agent channels (ssmmessages:* for Session Manager, ec2messages:* for Run Command) have no resource-level permissions',
      },
      {
        // The ARN of the AttachJenkinsHomeToController statement (grantBootPermissions).
        id: wildcardResourceId(
          this,
          Stack.of(this).formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' }),
        ),
        reason: `AttachVolume needs the instance too, unknown until the Auto Scaling group launches it; limited to instances tagged ${ROLE_TAG_KEY}=${CONTROLLER_ROLE}`,
      },
      {
        id: wildcardResourceId(
          this,
          Stack.of(this).formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' }),
        ),
        reason:
          'ssm:UpdateInstanceInformation (the SSM agent registering its instance) names the instance, unknown until the Auto Scaling group launches it',
      },
    );
    acknowledgeFinding(
      this.node.findChild('SnapshotRole'),
      awsManagedPolicyId(this, 'service-role/AWSDataLifecycleManagerServiceRole'),
      'The AWS-maintained service role Data Lifecycle Manager needs to snapshot JENKINS_HOME',
    );
    if (withoutNotifications) {
      acknowledgeFinding(
        this.autoScalingGroup,
        nagRuleId('AS3'),
        'No notification topic was given; CloudFormation signals report failed launches of the single controller',
      );
    }
    // An EBS volume attaches only in its own zone. In an existing VPC the subnet's zone is the literal the
    // user named (setting availabilityZones); a new VPC's zones are Fn::GetAZs tokens, never flagged.
    if (!Token.isUnresolved(this.homeVolume.availabilityZone)) {
      acknowledgeFinding(
        this.homeVolume,
        cfnRuleId('W3010'),
        `JENKINS_HOME must be in the zone of the controller's subnet, which is given as ${this.homeVolume.availabilityZone}`,
      );
    }
  }

  private addDailySnapshots(stackName: string, retentionDays: number): void {
    const dlmRole = new iam.Role(this, 'SnapshotRole', {
      assumedBy: new iam.ServicePrincipal('dlm.amazonaws.com'),
      description: 'Data Lifecycle Manager: daily JENKINS_HOME snapshots',
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSDataLifecycleManagerServiceRole'),
      ],
    });
    const policy = new dlm.CfnLifecyclePolicy(this, 'DailySnapshots', {
      description: `Daily JENKINS_HOME snapshots of ${stackName}`.slice(0, 500),
      state: 'ENABLED',
      executionRoleArn: dlmRole.roleArn,
      policyDetails: {
        policyType: 'EBS_SNAPSHOT_MANAGEMENT',
        resourceTypes: ['VOLUME'],
        targetTags: [{ key: HOME_VOLUME_TAG_KEY, value: stackName }],
        schedules: [
          {
            name: 'daily',
            copyTags: true,
            createRule: { interval: 24, intervalUnit: 'HOURS', times: ['03:00'] },
            retainRule: { count: retentionDays },
          },
        ],
      },
    });
    this.boundSnapshotRole(dlmRole, stackName, policy.ref);
  }

  /**
   * The AWS managed service role lets DLM snapshot and delete snapshots of any volume (its text is AWS's;
   * replacing it risks backups that silently stop when DLM needs one more call). Explicit denies bound it
   * to this stack: snapshots only of the JENKINS_HOME volume, deletions only of this policy's snapshots
   * (DLM tags each with aws:dlm:lifecycle-policy-id, Amazon EBS User Guide, "Amazon Data Lifecycle Manager
   * tags").
   */
  private boundSnapshotRole(role: iam.Role, stackName: string, policyId: string): void {
    const arn = (resource: string) =>
      Stack.of(this).formatArn({ service: 'ec2', resource, resourceName: '*' });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DenySnapshotsOfOtherVolumes',
        effect: iam.Effect.DENY,
        actions: ['ec2:CreateSnapshot', 'ec2:CreateSnapshots'],
        resources: [arn('volume'), arn('instance')],
        conditions: { StringNotEquals: { [`aws:ResourceTag/${HOME_VOLUME_TAG_KEY}`]: stackName } },
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DenyDeletingOtherSnapshots',
        effect: iam.Effect.DENY,
        actions: ['ec2:DeleteSnapshot'],
        resources: ['*'],
        conditions: { StringNotEquals: { 'aws:ResourceTag/aws:dlm:lifecycle-policy-id': policyId } },
      }),
    );
  }

  /**
   * What the SSM agent needs for Session Manager (the port forward, the default way in) and Run Command
   * (the deploy-time config apply), instead of AmazonSSMManagedInstanceCore, which also reads every SSM
   * parameter of the region (ssm:GetParameter(s) on *) and writes inventory and patch data this stack never
   * uses. From the Systems Manager User Guide, "Step 2: Verify or add instance permissions for Session
   * Manager" (ssm:UpdateInstanceInformation and the ssmmessages channel), plus the ec2messages channel that
   * Run Command uses. The stack's own parameter is granted by ControllerConfig.
   */
  private grantSsmAgent(): void {
    const stack = Stack.of(this);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SsmAgentRegister',
        actions: ['ssm:UpdateInstanceInformation'],
        resources: [stack.formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' })],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SessionManagerChannel',
        actions: [
          'ssmmessages:CreateControlChannel',
          'ssmmessages:CreateDataChannel',
          'ssmmessages:OpenControlChannel',
          'ssmmessages:OpenDataChannel',
        ],
        resources: ['*'],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'RunCommandChannel',
        actions: [
          'ec2messages:AcknowledgeMessage',
          'ec2messages:DeleteMessage',
          'ec2messages:FailMessage',
          'ec2messages:GetEndpoint',
          'ec2messages:GetMessages',
          'ec2messages:SendReply',
        ],
        resources: ['*'],
      }),
    );
  }

  /**
   * A failed boot outside a CloudFormation operation (self-heal.sh): count it in its own parameter, then
   * mark the instance Unhealthy for its group. Publishing to the alarm topic is granted with the topic
   * (ControllerConfig). SetInstanceHealth is scoped to the group's ARN (Service Authorization Reference,
   * Amazon EC2 Auto Scaling: resource type autoScalingGroup); the `*` stands for the group's uuid. A policy
   * of its own: the launch template waits for the role's default policy, which must not wait for the group.
   */
  private grantSelfHeal(): void {
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'CountSelfReplacements',
        actions: ['ssm:GetParameter', 'ssm:PutParameter'],
        resources: [this.selfReplacementsParameter.parameterArn],
      }),
    );
    const policy = new iam.Policy(this, 'SelfHealPolicy', {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({
          sid: 'MarkOwnInstanceUnhealthy',
          actions: ['autoscaling:SetInstanceHealth'],
          resources: [
            `arn:${Aws.PARTITION}:autoscaling:${Aws.REGION}:${Aws.ACCOUNT_ID}:autoScalingGroup:*:autoScalingGroupName/${this.autoScalingGroup.autoScalingGroupName}`,
          ],
        }),
      ],
    });
    const asgLogicalId = Stack.of(this).getLogicalId(
      this.autoScalingGroup.node.defaultChild as autoscaling.CfnAutoScalingGroup,
    );
    acknowledgeFinding(
      policy,
      `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:autoscaling:<AWS::Region>:<AWS::AccountId>:autoScalingGroup:*:autoScalingGroupName/<${asgLogicalId}>]`,
      'SetInstanceHealth on the controller Auto Scaling group only; the * stands for the group ARN uuid',
    );
  }

  /** Reading the config parameter is granted by ControllerConfig, which owns it. */
  private grantBootPermissions(): void {
    const stack = Stack.of(this);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'AttachJenkinsHome',
        actions: ['ec2:AttachVolume'],
        resources: [
          stack.formatArn({ service: 'ec2', resource: 'volume', resourceName: this.homeVolume.volumeId }),
        ],
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'AttachJenkinsHomeToController',
        actions: ['ec2:AttachVolume'],
        resources: [stack.formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' })],
        conditions: {
          StringEquals: { [`aws:ResourceTag/${ROLE_TAG_KEY}`]: CONTROLLER_ROLE },
        },
      }),
    );
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WaitForVolume',
        actions: ['ec2:DescribeVolumes'],
        resources: ['*'],
      }),
    );
    // cloudformation:SignalResource is granted by the Auto Scaling group's `signals` (CDK adds it).
  }
}

/**
 * The controller's defaults (with those of the sizes below, kept next to their bounds): the props and the
 * deployment settings (lib/settings) both read them, so a default never differs between
 * `new JenkinsController(...)` and `cdk deploy`.
 */
export const CONTROLLER_DEFAULTS = {
  instanceType: 't3.large',
  /** Amazon Linux 2023, x86_64: the bootstrap scripts use dnf and its package names. */
  amiParameterName: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
  rootVolumeSizeGiB: 30,
} as const;
/** JENKINS_HOME size in GiB: at least 20 for Jenkins and plugins, at most gp3's 16 TiB. Settings read it too. */
export const HOME_VOLUME_SIZE_GIB = { min: 20, max: 16384, default: 50 } as const;
/**
 * Daily snapshots kept: DLM's RetainRule count is 1 to 1000 (DLM API reference, RetainRule: "up to a
 * maximum of 1000"), one snapshot a day. Settings read it too, so both always agree.
 */
export const SNAPSHOT_RETENTION_DAYS = { min: 1, max: 1000, default: 14 } as const;

/** The props' sizes and waits with their defaults, each checked against its bounds. */
function controllerSizes(props: JenkinsControllerProps) {
  const homeSize = props.homeVolumeSizeGiB ?? HOME_VOLUME_SIZE_GIB.default;
  const retentionDays = props.snapshotRetentionDays ?? SNAPSHOT_RETENTION_DAYS.default;
  const rootSize = props.rootVolumeSizeGiB ?? CONTROLLER_DEFAULTS.rootVolumeSizeGiB;
  const bootTimeout = props.bootTimeoutMinutes ?? DEFAULT_CONTROLLER_BOOT_MINUTES;
  const terminationHoldMinutes = props.terminationHoldMinutes ?? 0;
  const replacementWait = bootTimeout + terminationHoldMinutes;
  requireInteger('homeVolumeSizeGiB', homeSize, HOME_VOLUME_SIZE_GIB.min, HOME_VOLUME_SIZE_GIB.max);
  requireInteger(
    'snapshotRetentionDays',
    retentionDays,
    SNAPSHOT_RETENTION_DAYS.min,
    SNAPSHOT_RETENTION_DAYS.max,
  );
  requireInteger('rootVolumeSizeGiB', rootSize, 20, 1024);
  requireInteger('bootTimeoutMinutes', bootTimeout, 10, 120);
  requireInteger(
    'bootTimeoutMinutes + terminationHoldMinutes',
    replacementWait,
    10,
    MAX_ROLLING_UPDATE_PAUSE_MINUTES,
  );
  return { homeSize, retentionDays, rootSize, bootTimeout, terminationHoldMinutes, replacementWait };
}

function requireInteger(prop: string, value: number, min: number, max: number): void {
  requireIntegerProp('JenkinsController', prop, value, { min, max });
}

/**
 * The user data: `NAME='value'` lines for the parameters, then `assets/user-data/controller.sh` (its
 * shebang dropped: UserData.forLinux() writes one). Values are tokens or fixed names, never secrets.
 */
function renderUserData(params: Record<string, string>): string[] {
  const script = fs.readFileSync(path.join(ROOT, 'assets', 'user-data', 'controller.sh'), 'utf8');
  const body = script
    .replace(/^#!.*\n/, '')
    .trimEnd()
    .split('\n');
  const preamble = Object.entries(params).map(([name, value]) => `${name}='${value}'`);
  return [...preamble, ...body];
}
