import { CfnOutput, Fn, Stack, StackProps, Tags } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import * as path from 'path';

import { buildBundle, BuiltBundle } from './bundle/build-bundle';
import { WORKER_PAYLOAD_SCRIPT, WorkerPayload } from './bundle/worker-payload';
import { loadValidatedCasc, SynthCasc } from './casc/synth-check';
import { ArtifactMirror } from './constructs/artifact-mirror';
import { ControllerConfig } from './constructs/controller-config';
import {
  ControllerDrain,
  controllerReplacementDigest,
  controllerReplacementNotice,
} from './constructs/controller-drain';
import { ControllerObservability } from './constructs/controller-observability';
import { CostGuard } from './constructs/cost-guard';
import { FleetTeardown } from './constructs/fleet-teardown';
import { GpuWorkerFleet } from './constructs/gpu-worker-fleet';
import { JenkinsController } from './constructs/jenkins-controller';
import { JenkinsCredentials } from './constructs/jenkins-credentials';
import { Network } from './constructs/network';
import { ShellSessionLogging } from './constructs/session-logging';
import { WebAccess } from './constructs/web-access';
import { WorkerBootPayload } from './constructs/worker-boot-payload';
import { configParameterName, JENKINS_PORT, STACK_OUTPUTS, STACK_TAG_KEY } from './contracts';
import { terminationHoldMinutes } from './controller-replacement';
import { reaperMaxRunningHours } from './cost/job-timeout';
import { UserInputError } from './errors';
import { AlbAccessSettings, DeploymentSettings } from './settings/settings';

export interface JenkinsGpuStackProps extends StackProps {
  /** Validated deployment settings (lib/settings). */
  readonly settings: DeploymentSettings;
  /**
   * Repository root holding `casc/`, `jobs/` and `assets/`.
   * @default the directory above lib/
   */
  readonly repoRoot?: string;
}

/**
 * The whole deployment. It only wires the constructs: casc/ is validated and bundled first (bad YAML fails
 * synth with the validator's messages), then network, credentials, controller, worker fleet, config
 * delivery, optional HTTPS access and the cost guard.
 */
export class JenkinsGpuStack extends Stack {
  /** The casc validator's one-line summary of the fleet (caps, idle stop, worst-case $/hour). */
  public readonly cascSummary: string;

  constructor(scope: Construct, id: string, props: JenkinsGpuStackProps) {
    super(scope, id, props);
    const settings = props.settings;
    const repoRoot = props.repoRoot ?? path.resolve(__dirname, '..');
    const stackName = this.stackName;

    const { casc, bundle, workerPayload } = loadFleetConfig(repoRoot, settings);
    this.cascSummary = casc.summary;

    const network = this.createNetwork(settings);
    const credentials = new JenkinsCredentials(this, 'Credentials', { stackName });
    const fleetTagValue = stackName;
    const workerAmiId = this.workerAmiId(settings);
    const costGuard = this.createCostGuard(settings, casc, fleetTagValue, workerAmiId);
    const controller = this.createController(settings, network, costGuard.alarmTopic);
    credentials.grantRead(controller.role);
    new ControllerObservability(this, 'Observability', {
      instanceRole: controller.role,
      alarmTopic: costGuard.alarmTopic,
    });
    const shellSessions = new ShellSessionLogging(this, 'ShellSessions', { instanceRole: controller.role });
    const artifactMirror = new ArtifactMirror(this, 'ArtifactMirror', { controllerRole: controller.role });
    const fleet = this.createWorkerFleet(settings, {
      casc,
      network,
      controller,
      credentials,
      costGuard,
      fleetTagValue,
    });
    this.addReplacementAndTeardown(settings, { controller, network, fleet, costGuard, fleetTagValue });
    const workerBoot = new WorkerBootPayload(this, 'WorkerBoot', {
      payload: workerPayload,
      readers: [fleet.role],
    });
    const web =
      settings.accessMode === 'alb' ? this.createWebAccess(settings, network, controller) : undefined;
    const jenkinsUrl =
      settings.jenkinsUrl ??
      (web ? `https://${web.loadBalancer.loadBalancerDnsName}/` : `http://localhost:${JENKINS_PORT}/`);
    this.addControllerConfig(settings, {
      controller,
      bundle,
      artifactMirror,
      credentials,
      network,
      fleet,
      workerBoot,
      costGuard,
      jenkinsUrl,
      workerAmiId,
      fleetTagValue,
    });

    Tags.of(this).add(STACK_TAG_KEY, stackName);
    this.addOutputs({ settings, controller, credentials, costGuard, fleetTagValue, jenkinsUrl, workerAmiId });
    new CfnOutput(this, STACK_OUTPUTS.shellSessionDocument, {
      description:
        'A logged shell on the controller: aws ssm start-session --document-name <this> --target <instance id> (docs/security.md)',
      value: shellSessions.documentName,
    });
  }

  /** A new VPC, or the existing one the settings name. */
  private createNetwork(settings: DeploymentSettings): Network {
    return new Network(this, 'Network', {
      vpcCidr: settings.vpcCidr,
      existingVpc: settings.vpcId
        ? {
            vpcId: settings.vpcId,
            availabilityZones: settings.availabilityZones,
            subnetIds: settings.subnetIds,
          }
        : undefined,
    });
  }

  /** The explicit worker AMI, else the public SSM parameter's value (a deploy-time token). */
  private workerAmiId(settings: DeploymentSettings): string {
    return (
      settings.workerAmiId ??
      ssm.StringParameter.valueForTypedStringParameterV2(
        this,
        settings.workerAmiParameter,
        ssm.ParameterValueType.AWS_EC2_IMAGE_ID,
      )
    );
  }

  /** The cost guard, with the fleet's cap and the reaper's hard lifetime (lib/cost/job-timeout.ts). */
  private createCostGuard(
    settings: DeploymentSettings,
    casc: SynthCasc,
    fleetTagValue: string,
    workerAmiId: string,
  ): CostGuard {
    return new CostGuard(this, 'CostGuard', {
      fleetTagValue,
      cloudInstanceCap: casc.cloudInstanceCap,
      maxRunningHours: reaperMaxRunningHours(casc.maxIdleMinutes),
      currentAmiIds: [workerAmiId],
      alertEmail: settings.alertEmail,
      hourlyBurnThresholdUsd: settings.hourlyBurnAlarmUsd,
      monthlyBudgetUsd: settings.monthlyBudgetUsd,
    });
  }

  private createController(
    settings: DeploymentSettings,
    network: Network,
    alarmTopic: sns.ITopic,
  ): JenkinsController {
    return new JenkinsController(this, 'Controller', {
      vpc: network.vpc,
      subnet: network.controllerSubnet,
      configParameterName: configParameterName(this.stackName),
      instanceType: new ec2.InstanceType(settings.controllerInstanceType),
      homeVolumeSizeGiB: settings.jenkinsHomeSizeGiB,
      snapshotRetentionDays: settings.snapshotRetentionDays,
      amiParameterName: settings.controllerAmiParameter,
      notificationTopic: alarmTopic,
      terminationHoldMinutes: terminationHoldMinutes(settings.drainTimeoutMinutes),
    });
  }

  /** The workers' role, profile and security group, and the controller's EC2-plugin permissions. */
  private createWorkerFleet(
    settings: DeploymentSettings,
    o: {
      casc: SynthCasc;
      network: Network;
      controller: JenkinsController;
      credentials: JenkinsCredentials;
      costGuard: CostGuard;
      fleetTagValue: string;
    },
  ): GpuWorkerFleet {
    return new GpuWorkerFleet(this, 'Workers', {
      vpc: o.network.vpc,
      subnets: o.network.vpc.publicSubnets,
      controllerSecurityGroup: o.controller.securityGroup,
      controllerRole: o.controller.role,
      fleetTagValue: o.fleetTagValue,
      launchScope: o.casc.launchScope,
      keyPairName: o.credentials.keyPairName,
      explicitAmiId: settings.workerAmiId,
      resultsBucketName:
        settings.resultsLocation.scheme === 's3' ? settings.resultsLocation.bucket : undefined,
      alarmTopic: o.costGuard.alarmTopic,
    });
  }

  /** The drain of a replaced controller (when enabled) and the teardown of the workers on delete. */
  private addReplacementAndTeardown(
    settings: DeploymentSettings,
    o: {
      controller: JenkinsController;
      network: Network;
      fleet: GpuWorkerFleet;
      costGuard: CostGuard;
      fleetTagValue: string;
    },
  ): void {
    if (settings.drainTimeoutMinutes > 0) {
      new ControllerDrain(this, 'Drain', {
        controller: o.controller,
        drainMinutes: settings.drainTimeoutMinutes,
        alertTopic: o.costGuard.alarmTopic,
      });
    }
    // Deleted after the controller (nothing launches workers any more), before the network they use.
    new FleetTeardown(this, 'FleetTeardown', {
      fleetTagValue: o.fleetTagValue,
      usedByWorkers: [o.network, o.fleet],
      deletedFirst: [o.controller.autoScalingGroup],
    });
  }

  private createWebAccess(
    access: AlbAccessSettings,
    network: Network,
    controller: JenkinsController,
  ): WebAccess {
    return new WebAccess(this, 'WebAccess', {
      vpc: network.vpc,
      subnets: network.vpc.publicSubnets,
      autoScalingGroup: controller.autoScalingGroup,
      controllerSecurityGroup: controller.securityGroup,
      controllerPort: controller.port,
      allowedCidrs: access.allowedCidrs,
      certificateArn: access.certificateArn,
    });
  }

  /** The config bundle and the JCasC variables: every value the YAML's `${VARS}` need. */
  private addControllerConfig(
    settings: DeploymentSettings,
    o: {
      controller: JenkinsController;
      bundle: BuiltBundle;
      artifactMirror: ArtifactMirror;
      credentials: JenkinsCredentials;
      network: Network;
      fleet: GpuWorkerFleet;
      workerBoot: WorkerBootPayload;
      costGuard: CostGuard;
      jenkinsUrl: string;
      workerAmiId: string;
      fleetTagValue: string;
    },
  ): void {
    new ControllerConfig(this, 'Config', {
      controller: o.controller,
      bundle: o.bundle,
      artifactMirror: o.artifactMirror.location,
      safeRestartMaxWaitMinutes: settings.safeRestartMaxWaitMinutes,
      variables: {
        JENKINS_URL: o.jenkinsUrl,
        JENKINS_ADMIN_EMAIL: settings.alertEmail ?? 'jenkins@localhost',
        AWS_REGION: this.region,
        STACK_NAME: this.stackName,
        CREDENTIALS_SECRET_PREFIX: o.credentials.secretPrefix,
        WORKER_AMI_ID: o.workerAmiId,
        WORKER_SUBNET_IDS: o.network.vpc.publicSubnets.map((s) => s.subnetId).join(' '),
        WORKER_SECURITY_GROUP_ID: o.fleet.securityGroup.securityGroupId,
        WORKER_INSTANCE_PROFILE_ARN: o.fleet.instanceProfile.instanceProfileArn,
        FLEET_TAG_VALUE: o.fleetTagValue,
        RESULTS_LOCATION: settings.resultsLocation.uri,
        WORKER_PAYLOAD_S3_URI: o.workerBoot.s3Uri,
      },
      secretVariables: { ADMIN_PASSWORD: o.credentials.adminPasswordSecret },
      reloadTokenSecret: o.credentials.reloadTokenSecret,
      alertTopic: o.costGuard.alarmTopic,
    });
  }

  /**
   * The region's first two zones as CloudFormation resolves them (`Fn::GetAZs`), the same as in an
   * environment-agnostic stack, also when `account` and `region` are pinned: there the default looks the
   * zones up in the account, an AWS call that `cdk synth` must not make (it runs offline).
   */
  override get availabilityZones(): string[] {
    return [0, 1].map((i) => Fn.select(i, Fn.getAzs()));
  }

  private addOutputs(o: {
    settings: DeploymentSettings;
    controller: JenkinsController;
    credentials: JenkinsCredentials;
    fleetTagValue: string;
    jenkinsUrl: string;
    costGuard: CostGuard;
    workerAmiId: string;
  }): void {
    const asgName = o.controller.autoScalingGroup.autoScalingGroupName;
    new CfnOutput(this, STACK_OUTPUTS.jenkinsUrl, { value: o.jenkinsUrl, description: 'Open Jenkins here' });
    if (o.settings.accessMode === 'ssm') {
      new CfnOutput(this, STACK_OUTPUTS.openUiCommand, {
        description: `Port-forward the UI to http://localhost:${JENKINS_PORT}/ through SSM (no inbound port is open)`,
        value:
          `aws ssm start-session --document-name AWS-StartPortForwardingSession --parameters portNumber=${JENKINS_PORT},localPortNumber=${JENKINS_PORT} --target ` +
          `$(aws autoscaling describe-auto-scaling-groups --auto-scaling-group-names ${asgName} --query 'AutoScalingGroups[0].Instances[0].InstanceId' --output text)`,
      });
    }
    new CfnOutput(this, STACK_OUTPUTS.controllerAutoScalingGroup, { value: asgName });
    new CfnOutput(this, STACK_OUTPUTS.controllerReplacement, {
      value: controllerReplacementDigest(o.controller),
      description: controllerReplacementNotice(o.settings.drainTimeoutMinutes),
    });
    new CfnOutput(this, STACK_OUTPUTS.adminPasswordSecret, {
      description:
        'User admin; read the password with: aws secretsmanager get-secret-value --secret-id <this> --query SecretString --output text',
      value: o.credentials.adminPasswordSecret.secretArn,
    });
    new CfnOutput(this, STACK_OUTPUTS.credentialsToFill, {
      description: 'Credentials that still hold placeholders',
      value: `npm run credentials -- status --stack ${this.stackName}`,
    });
    new CfnOutput(this, STACK_OUTPUTS.credentialsSecretPrefix, { value: o.credentials.secretPrefix });
    new CfnOutput(this, STACK_OUTPUTS.jenkinsHomeAvailabilityZone, {
      description:
        'Zone of the JENKINS_HOME volume: record it as setting jenkinsHomeAvailabilityZone, so a change that would move it fails synth',
      value: o.controller.homeVolume.availabilityZone,
    });
    new CfnOutput(this, STACK_OUTPUTS.fleetTagValue, { value: o.fleetTagValue });
    new CfnOutput(this, STACK_OUTPUTS.workerAmiIds, { value: o.workerAmiId });
    new CfnOutput(this, STACK_OUTPUTS.reaperMaxRunningHours, { value: String(o.costGuard.maxRunningHours) });
    new CfnOutput(this, STACK_OUTPUTS.reaperBusyGraceMinutes, {
      value: String(o.costGuard.busyGraceMinutes),
    });
    new CfnOutput(this, STACK_OUTPUTS.reaperMaxBusyHours, { value: String(o.costGuard.maxBusyHours) });
    new CfnOutput(this, STACK_OUTPUTS.reaperMaxStoppedDays, { value: String(o.costGuard.maxStoppedDays) });
    new CfnOutput(this, STACK_OUTPUTS.jenkinsHomeVolume, {
      description: 'Retained on cdk destroy, with its daily snapshots',
      value: o.controller.homeVolume.volumeId,
    });
  }
}

/**
 * casc/ validated (bad YAML fails synth with the validator's messages) and bundled; a repository without
 * the worker payload script fails too.
 */
function loadFleetConfig(
  repoRoot: string,
  settings: DeploymentSettings,
): { casc: SynthCasc; bundle: BuiltBundle; workerPayload: WorkerPayload } {
  const casc = loadValidatedCasc(repoRoot, { hourlyBurnAlarmUsd: settings.hourlyBurnAlarmUsd });
  // The Documents the validation loaded: casc/ is read once per synth.
  const bundle = buildBundle({ repoRoot, casc: casc.sources });
  if (!bundle.workerPayload) {
    throw new UserInputError(
      `${WORKER_PAYLOAD_SCRIPT} is missing: GPU workers have no boot payload to fetch`,
    );
  }
  return { casc, bundle, workerPayload: bundle.workerPayload };
}
