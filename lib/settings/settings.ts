import { DEFAULT_HOURLY_BURN_ALARM_USD } from '../casc/fleet-arithmetic';
import {
  CONTROLLER_DEFAULTS,
  HOME_VOLUME_SIZE_GIB,
  SNAPSHOT_RETENTION_DAYS,
} from '../constructs/jenkins-controller';
import { DEFAULT_VPC_CIDR } from '../constructs/network';
import { DEFAULT_STACK_NAME, SAFE_RESTART_MAX_WAIT_MINUTES } from '../contracts';
import { DEFAULT_DRAIN_MINUTES } from '../controller-replacement';
import { UserInputError } from '../errors';
import type { ResultsLocation } from './results-location';

/**
 * Deployment settings: everything that differs between one user's deployment and another's, typed, with
 * defaults, validated with messages that name the setting, the value and what is allowed.
 *
 * Settings come from the CDK context key `jenkinsGpu` (in `cdk.json` or `cdk.context.json`) and can be
 * overridden one at a time on the command line: `npx cdk deploy -c jenkinsGpu.controllerInstanceType=m7i.large`.
 */

/**
 * How users reach the UI (setting `accessMode`): the settings each mode needs travel with it, so `alb` always
 * has its certificate. @default - `ssm`
 */
export type AccessSettings = SsmAccessSettings | AlbAccessSettings;

/** Port forward through SSM Session Manager: no inbound port, nothing else to set. */
export interface SsmAccessSettings {
  readonly accessMode: 'ssm';
}

/** An internet-facing HTTPS load balancer (lib/constructs/web-access.ts). */
export interface AlbAccessSettings {
  readonly accessMode: 'alb';
  /** IPv4 CIDRs allowed to reach HTTPS, at least one. */
  readonly allowedCidrs: string[];
  /** ACM certificate ARN for the HTTPS listener, in the stack's region. */
  readonly certificateArn: string;
}

/** Every setting, typed: the common ones and those of the access mode. */
export type DeploymentSettings = CommonSettings & AccessSettings;

/** The settings every deployment has, whatever its access mode. */
export interface CommonSettings {
  /** CloudFormation stack name. @default 'JenkinsGpuTraining' */
  readonly stackName: string;
  /** AWS account id; leave unset for an environment-agnostic stack. @default - environment-agnostic (the CLI profile's account) */
  readonly account?: string;
  /** AWS region; leave unset for an environment-agnostic stack. @default - environment-agnostic (the CLI profile's region) */
  readonly region?: string;
  /** CIDR of the new VPC, /16 to /19 for its two public /20 subnets (ignored with `vpcId`). @default '10.40.0.0/16' */
  readonly vpcCidr: string;
  /** Use an existing VPC instead of creating one. @default - a new VPC */
  readonly vpcId?: string;
  /** Availability zones of the existing VPC's subnets, same order as `subnetIds`. @default [] */
  readonly availabilityZones: string[];
  /** Subnets (with a route to the internet or NAT) for the controller and workers, with `vpcId`. @default [] */
  readonly subnetIds: string[];
  /** Controller instance type, listed in data/ec2-instance-types.json, of the AMI's architecture. @default 't3.large' */
  readonly controllerInstanceType: string;
  /** Size of the JENKINS_HOME EBS volume in GiB. @default 50 */
  readonly jenkinsHomeSizeGiB: number;
  /**
   * The zone the JENKINS_HOME volume lives in: the stack output `STACK_OUTPUTS.jenkinsHomeAvailabilityZone`
   * (lib/contracts.ts) after the first deploy. Recorded here, a settings change that would put the controller
   * (and so a new, empty volume) in another zone fails synth instead of starting an empty Jenkins.
   * @default - not checked
   */
  readonly jenkinsHomeAvailabilityZone?: string;
  /** Days to keep daily JENKINS_HOME snapshots, 1 to 1000 (DLM's retain count limit). @default 14 */
  readonly snapshotRetentionDays: number;
  /**
   * Minutes running builds get when a deploy replaces the controller: Jenkins quiets down, the old instance
   * terminates once no build runs or this time is over; 0 replaces it without waiting. At most 25: drain and
   * the new controller's boot share the hour CloudFormation waits (lib/controller-replacement.ts).
   * @default 20
   */
  readonly drainTimeoutMinutes: number;
  /**
   * Minutes a core or plugin upgrade waits for running builds before it restarts Jenkins anyway, 5 to 1440.
   * Jenkins starts no new build while it waits; the wait and its end are announced on the alarm topic.
   * @default 60
   */
  readonly safeRestartMaxWaitMinutes: number;
  /**
   * The URL Jenkins links to (its root URL) and the output `JenkinsUrl` show, with either access mode.
   * @default - `https://<load balancer DNS name>/` with `alb`, `http://localhost:8080/` with `ssm`
   */
  readonly jenkinsUrl?: string;
  /** E-mail address for alarms and budget alerts. @default - no e-mail subscription */
  readonly alertEmail?: string;
  /** SSM parameter holding the controller AMI id, resolved by EC2 at each launch. @default - Amazon Linux 2023, x86_64 (`CONTROLLER_DEFAULTS`) */
  readonly controllerAmiParameter: string;
  /** Public SSM parameter of the GPU worker AMI (Deep Learning AMI). @default - the Ubuntu 22.04 OSS Nvidia driver DLAMI */
  readonly workerAmiParameter: string;
  /** Explicit worker AMI id; overrides `workerAmiParameter`. @default - the AMI `workerAmiParameter` names */
  readonly workerAmiId?: string;
  /** Default data/results location offered by the training job. @default - gs://my-training-bucket */
  readonly resultsLocation: ResultsLocation;
  /** Monthly AWS Budget in USD with e-mail alerts (needs `alertEmail`). @default - no budget */
  readonly monthlyBudgetUsd?: number;
  /** Alarm when the estimated GPU burn rate exceeds this many USD per hour. @default 10 */
  readonly hourlyBurnAlarmUsd: number;
}

export const DEFAULT_SETTINGS: DeploymentSettings = {
  stackName: DEFAULT_STACK_NAME,
  vpcCidr: DEFAULT_VPC_CIDR,
  availabilityZones: [],
  subnetIds: [],
  controllerInstanceType: CONTROLLER_DEFAULTS.instanceType,
  jenkinsHomeSizeGiB: HOME_VOLUME_SIZE_GIB.default,
  snapshotRetentionDays: SNAPSHOT_RETENTION_DAYS.default,
  drainTimeoutMinutes: DEFAULT_DRAIN_MINUTES,
  safeRestartMaxWaitMinutes: SAFE_RESTART_MAX_WAIT_MINUTES.default,
  accessMode: 'ssm',
  controllerAmiParameter: CONTROLLER_DEFAULTS.amiParameterName,
  workerAmiParameter:
    '/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id',
  resultsLocation: { uri: 'gs://my-training-bucket', scheme: 'gs', bucket: 'my-training-bucket' },
  hourlyBurnAlarmUsd: DEFAULT_HOURLY_BURN_ALARM_USD,
};

/** A user mistake in the settings: shown as one line, no stack trace. */
export class SettingsError extends UserInputError {}
