/**
 * Scheduled reaper (cost guard layer 3): stops GPU workers running past their hard lifetime unless their
 * watchdog reports a running build (spot workers are terminated instead: EC2 cannot stop them), and
 * terminates workers stopped for too long or built from an AMI no template uses, even when Jenkins is down.
 * Decisions come from `lib/cost/decide.ts` (shared with `npm run workers -- reap --dry-run`).
 *
 * Logs are one JSON object per line; the summary line is CloudWatch Embedded Metric Format, so the
 * metrics need no cloudwatch:PutMetricData permission. Must not import aws-cdk-lib.
 */
import { EC2Client, EC2ClientConfig } from '@aws-sdk/client-ec2';

import {
  BUSY_AT_TAG_KEY,
  COST_METRIC_NAMESPACE,
  COST_METRICS,
  FLEET_DIMENSION,
  REAPER_ENV,
  TEMPLATE_TAG_KEY,
} from '../../lib/contracts';
import { decide, DEFAULT_MAX_BUSY_HOURS, policyProblems, ReaperPolicy } from '../../lib/cost/decide';
import {
  ActionOutcome,
  applyDecisions,
  describeFleetInstances,
  Ec2Sender,
} from '../../lib/cost/fleet-instances';

export interface ReaperConfig extends ReaperPolicy {
  readonly dryRun: boolean;
}

/**
 * Reads the reaper's configuration from its environment and checks it with the policy check CostGuard uses
 * at synth (`policyProblems`); throws one message naming every problem by its variable.
 */
export function readReaperConfig(env: NodeJS.ProcessEnv): ReaperConfig {
  const raw = (field: keyof ReaperPolicy) => (env[REAPER_ENV[field]] ?? '').trim();
  const numberOf = (field: keyof ReaperPolicy) => (raw(field) === '' ? NaN : Number(raw(field)));
  const config: ReaperConfig = {
    fleetTagValue: raw('fleetTagValue'),
    maxRunningHours: numberOf('maxRunningHours'),
    busyGraceMinutes: numberOf('busyGraceMinutes'),
    // Optional: functions deployed before this limit existed have no such variable.
    maxBusyHours:
      env[REAPER_ENV.maxBusyHours] === undefined ? DEFAULT_MAX_BUSY_HOURS : numberOf('maxBusyHours'),
    maxStoppedDays: numberOf('maxStoppedDays'),
    currentAmiIds: raw('currentAmiIds')
      .split(',')
      .map((id) => id.trim())
      .filter((id) => id !== ''),
    dryRun: (env[REAPER_ENV.dryRun] ?? '').trim().toLowerCase() === 'true',
  };
  const problems = policyProblems(config, {
    name: (field) => REAPER_ENV[field],
    shown: (field) => `'${raw(field)}'`,
  });
  if (problems.length > 0) throw new Error(`Reaper configuration: ${problems.join('; ')}`);
  return config;
}

/**
 * EC2 client for the reaper. The standard retry mode retries throttling (`RequestLimitExceeded`) with
 * backoff; 8 attempts ride out a burst of DescribeInstances from the EC2 plugin on the same account.
 * `overrides` lets tests inject a zero-backoff retry strategy and a fake HTTP handler.
 */
export function createReaperEc2Client(overrides: EC2ClientConfig = {}): EC2Client {
  return new EC2Client({ maxAttempts: 8, retryMode: 'standard', ...overrides });
}

export interface ReaperReport {
  readonly fleet: string;
  readonly dryRun: boolean;
  readonly runningWorkers: number;
  readonly estimatedHourlyCostUsd: number;
  readonly actions: readonly ActionOutcome[];
  readonly failures: number;
}

export interface ReaperDeps {
  readonly ec2: Ec2Sender;
  readonly config: ReaperConfig;
  readonly now: () => Date;
  /** Receives one JSON line per call. */
  readonly log: (line: string) => void;
}

export async function runReaper({ ec2, config, now, log }: ReaperDeps): Promise<ReaperReport> {
  const clock = now();
  const instances = await describeFleetInstances(ec2, config.fleetTagValue);
  const { decisions, summary } = decide(instances, config, clock);
  logDecisions(decisions, instances, config, log);

  const actions = config.dryRun ? [] : await applyDecisions(ec2, decisions);
  for (const outcome of actions) {
    log(
      JSON.stringify({
        level: outcome.error ? 'error' : 'info',
        msg: 'action',
        fleet: config.fleetTagValue,
        ...outcome,
      }),
    );
  }
  const failures = actions.filter((a) => a.error !== undefined).length;
  log(summaryLine(clock, config, summary, failures));

  return {
    fleet: config.fleetTagValue,
    dryRun: config.dryRun,
    runningWorkers: summary.runningWorkers,
    estimatedHourlyCostUsd: summary.estimatedHourlyCostUsd,
    actions,
    failures,
  };
}

type Decided = ReturnType<typeof decide>;

/** One line per decision, with the facts it was taken on. */
function logDecisions(
  decisions: Decided['decisions'],
  instances: Awaited<ReturnType<typeof describeFleetInstances>>,
  config: ReaperConfig,
  log: (line: string) => void,
): void {
  const facts = new Map(instances.map((i) => [i.instanceId, i]));
  for (const decision of decisions) {
    const instance = facts.get(decision.instanceId);
    log(
      JSON.stringify({
        level: 'info',
        msg: 'decision',
        fleet: config.fleetTagValue,
        dryRun: config.dryRun,
        ...decision,
        state: instance?.state,
        instanceType: instance?.instanceType,
        lifecycle: instance?.instanceLifecycle ?? 'on-demand',
        busyAt: instance?.tags[BUSY_AT_TAG_KEY],
        template: instance?.tags[TEMPLATE_TAG_KEY],
      }),
    );
  }
}

/** The summary as an Embedded Metric Format line: CloudWatch turns its fields into the fleet's metrics. */
function summaryLine(
  clock: Date,
  config: ReaperConfig,
  summary: Decided['summary'],
  failures: number,
): string {
  return JSON.stringify({
    _aws: {
      Timestamp: clock.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: COST_METRIC_NAMESPACE,
          Dimensions: [[FLEET_DIMENSION]],
          Metrics: [
            { Name: COST_METRICS.runningWorkers, Unit: 'Count' },
            { Name: COST_METRICS.estimatedHourlyCost, Unit: 'None' },
            { Name: COST_METRICS.reaperActionFailures, Unit: 'Count' },
          ],
        },
      ],
    },
    [FLEET_DIMENSION]: config.fleetTagValue,
    [COST_METRICS.runningWorkers]: summary.runningWorkers,
    [COST_METRICS.estimatedHourlyCost]: summary.estimatedHourlyCostUsd,
    [COST_METRICS.reaperActionFailures]: failures,
    UnpricedWorkers: summary.unpricedWorkers,
    msg: 'summary',
    dryRun: config.dryRun,
  });
}

let sharedClient: EC2Client | undefined;

/**
 * EventBridge entry point. Every instance is handled before a failure is reported; the invocation then
 * fails so the function's Errors metric (alarmed by CostGuard) shows it.
 */
export async function handler(): Promise<ReaperReport> {
  const config = readReaperConfig(process.env);
  sharedClient ??= createReaperEc2Client();
  const report = await runReaper({
    ec2: sharedClient,
    config,
    now: () => new Date(),
    log: (line) => process.stdout.write(`${line}\n`),
  });
  if (report.failures > 0) {
    throw new Error(
      `Reaper: ${report.failures} of ${report.actions.length} action(s) failed (see the log lines above)`,
    );
  }
  return report;
}
