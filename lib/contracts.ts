/**
 * Every value that crosses a boundary between the stack, the Lambdas, the CLIs and the files the
 * instances run (assets/, casc/, jobs/), defined once. Plain constants with no imports, so the Lambda
 * bundles (which must not pull in aws-cdk-lib) and the pure modules can share them.
 * test/contracts/boundary-literals.test.ts finds any spelling in assets/, casc/ and jobs/ that this
 * module does not hold.
 */

// ---- Tags (docs/architecture.md, "Worker tags and the cost guard") ------------------------------------
// Set by the EC2 plugin at launch, the idle watchdog and the controller's Auto Scaling group; read by the
// controller's IAM conditions, the casc rules, the reaper and `npm run workers`.

/** The namespace of every tag key below: reserved, so IAM can refuse them to anyone but their writer. */
export const RESERVED_TAG_PREFIX = 'jenkins-gpu:';
export const FLEET_TAG_KEY = 'jenkins-gpu:fleet';
export const TEMPLATE_TAG_KEY = 'jenkins-gpu:template';
/** Written by the idle watchdog while a build runs: a UTC ISO-8601 time such as `2026-11-29T19:20:00Z`. */
export const BUSY_AT_TAG_KEY = 'jenkins-gpu:busy-at';
export const ROLE_TAG_KEY = 'jenkins-gpu:role';
/** `ROLE_TAG_KEY` value of the controller instance and its JENKINS_HOME volume: never reaped. */
export const CONTROLLER_ROLE = 'controller';
/** On every resource of a stack (and its credential secrets), value: the stack name. */
export const STACK_TAG_KEY = 'jenkins-gpu:stack';
/** Selects the JENKINS_HOME volume for the daily snapshot policy (value: the stack name). */
export const HOME_VOLUME_TAG_KEY = 'jenkins-gpu:home';
/** The reserved keys the EC2 plugin writes, at launch only (the casc templates' `tags`). */
export const LAUNCH_TAG_KEYS: readonly string[] = [FLEET_TAG_KEY, TEMPLATE_TAG_KEY];
/** Reserved keys nobody may write through the controller's role, not even at launch. */
export const NEVER_FROM_JENKINS_TAG_KEYS: readonly string[] = [
  BUSY_AT_TAG_KEY,
  ROLE_TAG_KEY,
  STACK_TAG_KEY,
  HOME_VOLUME_TAG_KEY,
];
/** Every reserved tag key: the launch keys and the ones Jenkins never writes. */
export const RESERVED_TAG_KEYS: readonly string[] = [...LAUNCH_TAG_KEYS, ...NEVER_FROM_JENKINS_TAG_KEYS];

// ---- Metrics ------------------------------------------------------------------------------------------

/**
 * What GPU workers send (assets/worker/idle-watchdog.sh, milestone.sh, run-report.sh). A namespace of its
 * own, so a build on a worker (which holds the worker's credentials) cannot write the reaper's or the
 * controller's metrics.
 */
export const WORKER_METRIC_NAMESPACE = 'JenkinsGpu/Workers';
/**
 * The idle watchdog's failure to write its busy tag (`report_busy_signal_failure`): without the tag the
 * reaper stops a long training run at the hard lifetime, so a failure must reach the alarm topic.
 */
export const BUSY_SIGNAL_FAILURES_METRIC = 'BusySignalFailures';
/** Dimension of BusySignalFailures: the worker instance profile's name (IMDS `iam/info`). */
export const WORKER_PROFILE_DIMENSION = 'WorkerInstanceProfile';
/** Boot milestones (assets/worker/milestone.sh): seconds from the instance's last start to each one. */
export const MILESTONE_METRIC = 'MilestoneSeconds';
export const MILESTONE_DIMENSION = 'Milestone';
/** Per build (assets/worker/run-report.sh): the GPU seconds and on-demand dollars it accounts for. */
export const GPU_SECONDS_METRIC = 'GpuSeconds';
export const COST_USD_METRIC = 'CostUsd';
/**
 * Dimension of the milestone, run and reaper metrics: the worker's jenkins-gpu:fleet tag value.
 */
export const FLEET_DIMENSION = 'Fleet';
/** Dimension of the milestone and run metrics: the worker's jenkins-gpu:template tag value. */
export const TEMPLATE_DIMENSION = 'Template';

/** The reaper's Embedded Metric Format metrics (lambda/reaper), dimension {@link FLEET_DIMENSION}. */
export const COST_METRIC_NAMESPACE = 'JenkinsGpu';
export const COST_METRICS = {
  runningWorkers: 'RunningWorkers',
  estimatedHourlyCost: 'EstimatedHourlyCost',
  reaperActionFailures: 'ReaperActionFailures',
} as const;

/**
 * What assets/controller/controller-metrics.sh sends every minute. A namespace of its own: the workers'
 * credentials (WORKER_METRIC_NAMESPACE) cannot write it.
 */
export const CONTROLLER_METRIC_NAMESPACE = 'JenkinsGpu/Controller';
/** The one dimension of every controller metric: the stack, so a replaced instance continues the series. */
export const CONTROLLER_STACK_DIMENSION = 'StackName';
export const CONTROLLER_METRICS = {
  /** 1 when /login answers 200, else 0 (a steady 503 after a failed boot is down). */
  jenkinsUp: 'JenkinsUp',
  /** Starts of jenkins.service since the previous sample (systemd's NRestarts and InvocationID). */
  jenkinsRestarts: 'JenkinsRestarts',
  jenkinsHomeDiskUsed: 'JenkinsHomeDiskUsedPercent',
  rootDiskUsed: 'RootDiskUsedPercent',
  /** Buildable queue items waiting longer than QUEUE_STUCK_MINUTES while no executor is busy. */
  queueStuckItems: 'QueueStuckItems',
} as const;

/** Each metric namespace of the project with the metric and dimension names it holds. */
export const METRIC_CONTRACTS: Readonly<
  Record<string, { readonly metrics: readonly string[]; readonly dimensions: readonly string[] }>
> = {
  [WORKER_METRIC_NAMESPACE]: {
    metrics: [BUSY_SIGNAL_FAILURES_METRIC, MILESTONE_METRIC, GPU_SECONDS_METRIC, COST_USD_METRIC],
    dimensions: [WORKER_PROFILE_DIMENSION, FLEET_DIMENSION, TEMPLATE_DIMENSION, MILESTONE_DIMENSION],
  },
  [COST_METRIC_NAMESPACE]: { metrics: Object.values(COST_METRICS), dimensions: [FLEET_DIMENSION] },
  [CONTROLLER_METRIC_NAMESPACE]: {
    metrics: Object.values(CONTROLLER_METRICS),
    dimensions: [CONTROLLER_STACK_DIMENSION],
  },
};

// ---- Stack outputs (lib/jenkins-gpu-stack.ts; read by `npm run workers` and `npm run credentials`) ----

export const STACK_OUTPUTS = {
  jenkinsUrl: 'JenkinsUrl',
  /** `ssm` access mode only. */
  openUiCommand: 'OpenUiCommand',
  controllerAutoScalingGroup: 'ControllerAutoScalingGroup',
  controllerReplacement: 'ControllerReplacement',
  adminPasswordSecret: 'AdminPasswordSecret',
  credentialsToFill: 'CredentialsToFill',
  credentialsSecretPrefix: 'CredentialsSecretPrefix',
  jenkinsHomeAvailabilityZone: 'JenkinsHomeAvailabilityZone',
  fleetTagValue: 'FleetTagValue',
  workerAmiIds: 'WorkerAmiIds',
  reaperMaxRunningHours: 'ReaperMaxRunningHours',
  reaperBusyGraceMinutes: 'ReaperBusyGraceMinutes',
  reaperMaxBusyHours: 'ReaperMaxBusyHours',
  reaperMaxStoppedDays: 'ReaperMaxStoppedDays',
  jenkinsHomeVolume: 'JenkinsHomeVolume',
  shellSessionDocument: 'ShellSessionDocument',
} as const;
export type StackOutputName = (typeof STACK_OUTPUTS)[keyof typeof STACK_OUTPUTS];

// ---- The reaper's environment (lib/constructs/cost-guard.ts sets it, lambda/reaper reads it) -----------

export const REAPER_ENV = {
  fleetTagValue: 'FLEET_TAG_VALUE',
  maxRunningHours: 'MAX_RUNNING_HOURS',
  busyGraceMinutes: 'BUSY_GRACE_MINUTES',
  /** Optional: functions deployed before this limit existed have no such variable. */
  maxBusyHours: 'MAX_BUSY_HOURS',
  maxStoppedDays: 'MAX_STOPPED_DAYS',
  currentAmiIds: 'CURRENT_AMI_IDS',
  dryRun: 'DRY_RUN',
} as const;
export type ReaperEnvName = (typeof REAPER_ENV)[keyof typeof REAPER_ENV];

// ---- The controller ------------------------------------------------------------------------------------

/**
 * The port Jenkins listens on (HTTP): assets/controller/jenkins-start.sh `--httpPort`, lib.sh's local
 * URL, the SSM port forward and the load balancer's target.
 */
export const JENKINS_PORT = 8080;

/**
 * The SSM parameter the controller reads its config bundle's location from (`bootstrap.sh
 * --config-parameter`), written by ControllerConfig and read by `npm run casc-diff`.
 */
export function configParameterName(stackName: string): string {
  return `/${stackName}/controller/config`;
}

/**
 * Where the controller's scripts live: assets/user-data/controller.sh unpacks them there, the systemd units
 * start them from there and the Lambdas run them there by SSM Run Command.
 */
export const CONTROLLER_BIN_DIR = '/opt/jenkins-gpu/bin';

/**
 * The active config release on the controller (a symlink assets/controller/lib.sh moves): jenkins.service
 * points JCasC at its casc/, and casc/jobs.yaml and jobs/seed.groovy read the job files under its jobs/.
 */
export const CONTROLLER_RELEASE_DIR = '/opt/jenkins-gpu/config/current';

/**
 * The SSM parameter counting the controller's consecutive self-replacements after failed boots: created by
 * JenkinsController, written by assets/controller/self-heal.sh.
 */
export function selfReplacementsParameterName(stackName: string): string {
  return `/${stackName}/controller/self-replacements`;
}

/**
 * The first segment of the controller's log groups, `/jenkins-gpu/<stack>/<log>`: ControllerObservability
 * creates them, assets/controller/observability-setup.sh points the CloudWatch agent at them.
 */
export const CONTROLLER_LOG_GROUP_PREFIX = '/jenkins-gpu';

/**
 * Minutes a buildable item may wait with every executor idle before it counts as stuck: the alarm's text
 * says it, assets/controller/controller-metrics.sh counts with it (`QUEUE_STUCK_MINUTES`).
 */
export const QUEUE_STUCK_MINUTES = 60;

/**
 * Minutes a core or plugin upgrade waits for running builds before it restarts Jenkins anyway: the setting
 * `safeRestartMaxWaitMinutes` (its bounds and default) reaches assets/controller/apply-config.sh through the
 * config parameter, and the script's own default (`DEFAULT_SAFE_RESTART_MAX_WAIT_MINUTES`) is this default.
 */
export const SAFE_RESTART_MAX_WAIT_MINUTES = { min: 5, max: 1440, default: 60 } as const;

/**
 * The JSON of the config parameter: ControllerConfig writes it, assets/controller/lib.sh, apply-config.sh
 * and self-heal.sh read it with jq (`config_get`). No secret values: secrets are ARNs.
 */
export interface ControllerConfigDocument {
  /** Where the config bundle is, and its digest. */
  readonly bundle: { readonly bucket: string; readonly key: string; readonly digest: string };
  /** The plain JCasC `${VARS}`. */
  readonly vars: Readonly<Record<string, string>>;
  /** Secret JCasC `${VARS}`: name → Secrets Manager ARN. */
  readonly secrets: Readonly<Record<string, string>>;
  readonly reloadTokenSecret: string;
  readonly safeRestartMaxWaitMinutes: number;
  readonly alertTopicArn?: string;
  readonly artifactMirror?: { readonly bucket: string; readonly prefix: string };
}

/**
 * Each field of {@link ControllerConfigDocument} with the fields of its object value (maps have none), for
 * the boundary test, which holds the scripts' jq paths to them.
 */
export const CONTROLLER_CONFIG_FIELDS = {
  bundle: ['bucket', 'key', 'digest'],
  vars: [],
  secrets: [],
  reloadTokenSecret: [],
  safeRestartMaxWaitMinutes: [],
  alertTopicArn: [],
  artifactMirror: ['bucket', 'prefix'],
} as const satisfies {
  readonly [
    K in keyof Required<ControllerConfigDocument>
  ]: readonly (Required<ControllerConfigDocument>[K] extends {
    readonly bucket: string;
  }
    ? keyof Required<ControllerConfigDocument>[K]
    : never)[];
};

/** The CloudFormation stack name when the settings name none; the CLIs' `--stack` default. */
export const DEFAULT_STACK_NAME = 'JenkinsGpuTraining';

// ---- The training job (jobs/train.Jenkinsfile validates TIMEOUT_HOURS, jobs/seed.groovy sets it) -------

/** The shortest TIMEOUT_HOURS the training job accepts. */
export const MIN_JOB_TIMEOUT_HOURS = 1;
/** Default TIMEOUT_HOURS of the training job. */
export const DEFAULT_JOB_TIMEOUT_HOURS = 5;
/** The longest TIMEOUT_HOURS the training job accepts. */
export const MAX_JOB_TIMEOUT_HOURS = 72;

// ---- Apply on deploy (lib/constructs/controller-config.ts sets it, lambda/apply-config reads it) --------

/**
 * Minutes a deploy waits for the controller to apply a bundle (ControllerConfig's `applyTimeoutMinutes`,
 * the apply provider's totalTimeout), its bounds and default; the handler derives the bounds of the command
 * budget it accepts from the same numbers.
 */
export const APPLY_TIMEOUT_MINUTES = { min: 5, max: 110, default: 30 } as const;

/**
 * The apply command's whole budget (the custom resource's `TimeoutSeconds`): a minute short of the
 * provider's timeout, so the handler's own message, not the framework's timeout, reaches CloudFormation.
 */
export function applyCommandTimeoutSeconds(applyTimeoutMinutes: number): number {
  return applyTimeoutMinutes * 60 - 60;
}

/**
 * The SSM document the apply and drain Lambdas run their command on the controller with; the IAM grants of
 * both allow only this document.
 */
export const SSM_SHELL_DOCUMENT = 'AWS-RunShellScript';

/**
 * assets/controller/apply-config.sh's exit code (EX_TEMPFAIL) for "the controller is still booting: the boot
 * applies the parameter": the apply Lambda counts it as applied, not as a failed deploy.
 */
export const APPLY_EXIT_BOOTING = 75;

// ---- The controller drain (lib/constructs/controller-drain.ts sets it, lambda/controller-drain reads it) -

export const DRAIN_ENV = {
  /** Minutes the drain waits for running builds, 1 to MAX_DRAIN_MINUTES (lib/controller-replacement.ts). */
  drainMinutes: 'DRAIN_MINUTES',
  alertTopicArn: 'ALERT_TOPIC_ARN',
} as const;

// ---- GPU workers ----------------------------------------------------------------------------------------

/**
 * The marker of a finished worker setup: assets/worker/setup.sh writes it, the templates' initScript waits
 * for it before the agent starts (casc rule `init-waits-for-boot`), the milestone units check it.
 */
export const WORKER_BOOT_COMPLETE_FILE = '/var/lib/jenkins-gpu/boot-complete';
/** Where a failed worker setup writes its reason: the shipped templates' initScript prints it. */
export const WORKER_BOOT_FAILED_FILE = '/var/lib/jenkins-gpu/boot-failed';

/**
 * The worker's login user, the Deep Learning AMI's (Ubuntu): the templates' `remoteAdmin`, the user the
 * EC2 plugin connects as. assets/worker/setup.sh gives it the agent's directory and builds run as it.
 */
export const WORKER_LOGIN_USER = 'ubuntu';

/**
 * The agent's directory on a worker, the templates' `remoteFS`: assets/worker/setup.sh creates it for
 * WORKER_LOGIN_USER, and the idle watchdog reads the builds' durable-task logs under it (payload.sh writes
 * it into the watchdog's environment), so a build in another directory would look idle.
 */
export const WORKER_REMOTE_FS = '/home/ubuntu/jenkins';

/**
 * Minutes between two writes of the `busy-at` tag by assets/worker/idle-watchdog.sh
 * (`BUSY_TAG_INTERVAL_MINUTES`). The reaper's busy grace must be at least twice this (lib/cost/decide.ts).
 */
export const BUSY_TAG_INTERVAL_MINUTES = 5;

/**
 * What a tag value may be (EC2 "Tag restrictions": up to 256 characters; letters, digits, spaces and
 * `_ . : / = + - @`), without spaces: the fleet tag value, checked by GpuWorkerFleet and the teardown.
 */
export const TAG_VALUE_PATTERN = /^[A-Za-z0-9_.:/=+@-]{1,256}$/;

// ---- Custom resource properties (a construct sets them, its Lambda reads them) -------------------------

/** Custom::JenkinsConfigApply (ControllerConfig → lambda/apply-config). */
export interface ApplyConfigResourceProperties {
  readonly AutoScalingGroupName: string;
  readonly Digest: string;
  /**
   * The config parameter's name and value. The handler reads neither (the controller reads the parameter
   * itself); they are here so that a change of either is an Update that re-applies the bundle.
   */
  readonly ParameterName: string;
  readonly ParameterValue: string;
  /** The whole budget of the command: delivery plus execution (applyCommandTimeoutSeconds). */
  readonly TimeoutSeconds?: string | number;
}

/** The fleet teardown's resource (FleetTeardown → lambda/fleet-teardown). */
export interface FleetTeardownResourceProperties {
  readonly FleetTagValue: string;
}

/** The worker key pair (JenkinsCredentials → lambda/worker-key-pair). */
export interface WorkerKeyPairResourceProperties {
  readonly KeyName: string;
  readonly SecretArn: string;
  /** Value of STACK_TAG_KEY on the key pair. */
  readonly StackTag?: string;
}

/** A binary credential's placeholder (JenkinsCredentials → lambda/file-credential-placeholder). */
export interface CredentialPlaceholderResourceProperties {
  readonly SecretArn: string;
  /** `jenkins:credentials:type` of the secret; must be one read from SecretBinary. */
  readonly CredentialType: string;
  /** The placeholder text (not secret); stored as its UTF-8 bytes. */
  readonly Placeholder: string;
}
