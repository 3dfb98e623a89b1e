/**
 * The reaper's decisions, used by both the scheduled Lambda (`lambda/reaper`) and the `workers` CLI so that
 * `npm run workers -- reap --dry-run` shows exactly what the Lambda would do.
 * Pure: no AWS SDK, no aws-cdk-lib, no clock (the caller passes `now`).
 *
 * Boundaries: a limit is a maximum that is still allowed, so an instance exactly at a limit is kept and
 * only one strictly past it (by 1 ms) is acted on. The same holds for the busy grace: a `busy-at` tag
 * exactly `busyGraceMinutes` old still keeps a worker, 1 ms older does not.
 *
 * Running workers past the hard lifetime: kept while busy (see `BUSY_AT_TAG_KEY`), otherwise stopped, or
 * terminated when they are spot instances (EC2 refuses to stop one-time spot instances).
 */
import {
  BUSY_AT_TAG_KEY,
  BUSY_TAG_INTERVAL_MINUTES,
  CONTROLLER_ROLE,
  FLEET_TAG_KEY,
  MAX_JOB_TIMEOUT_HOURS,
  ROLE_TAG_KEY,
} from '../contracts';
import { hourlyPrice, PRICE_TABLE, PriceTable } from './prices';

/** Default of `ReaperPolicy.busyGraceMinutes` (and of the CostGuard prop). */
export const DEFAULT_BUSY_GRACE_MINUTES = 20;
/**
 * Default of `ReaperPolicy.maxBusyHours`: the pipeline's longest TIMEOUT_HOURS (72) plus a day of margin
 * for setup and back-to-back builds. A hung build on a live-but-hung controller keeps the busy tag fresh;
 * this bounds it.
 */
export const DEFAULT_MAX_BUSY_HOURS = MAX_JOB_TIMEOUT_HOURS + 24;
/** Default of `ReaperPolicy.maxStoppedDays` (the CostGuard prop). */
export const DEFAULT_MAX_STOPPED_DAYS = 7;

/** What the reaper knows about one EC2 instance (mapped from DescribeInstances). */
export interface InstanceFacts {
  readonly instanceId: string;
  /** EC2 state name: pending, running, stopping, stopped, shutting-down, terminated. */
  readonly state: string;
  readonly instanceType?: string;
  /** EC2 `LaunchTime`: EC2 resets it on every start, so it is the time of the last start. */
  readonly launchTime?: Date;
  /** EC2 `StateTransitionReason`, e.g. `User initiated (2026-07-20 10:30:00 GMT)`: holds the stop time. */
  readonly stateTransitionReason?: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly imageId?: string;
  /** EC2 `InstanceLifecycle`: `spot` for spot instances, absent for on-demand ones. */
  readonly instanceLifecycle?: string;
}

export interface ReaperPolicy {
  /** Only instances whose `jenkins-gpu:fleet` tag equals this value are ever acted on. */
  readonly fleetTagValue: string;
  /** Hard lifetime of a running worker since its last start: job timeout + idle minutes + margin. */
  readonly maxRunningHours: number;
  /**
   * A running worker past its hard lifetime is kept while its `jenkins-gpu:busy-at` tag is at most this many
   * minutes old (a build is running; the pipeline timeout bounds it). Must exceed the watchdog's 5-minute
   * tag interval, with room for a missed tag.
   */
  readonly busyGraceMinutes: number;
  /** Absolute limit: past this many hours since the last start a worker is stopped even when busy. */
  readonly maxBusyHours: number;
  /** A worker stopped for longer than this is terminated (its EBS volume keeps billing). */
  readonly maxStoppedDays: number;
  /** AMI ids the templates launch now; a stopped worker from another AMI is never reused. Empty: rule off. */
  readonly currentAmiIds: readonly string[];
}

export type ReaperAction = 'keep' | 'stop' | 'terminate';

export interface ReaperDecision {
  readonly instanceId: string;
  readonly action: ReaperAction;
  readonly reason: string;
}

export interface FleetSummary {
  /** Fleet workers in `pending` or `running` (the states that bill compute), before this run's actions. */
  readonly runningWorkers: number;
  /** Sum of the on-demand $/hour of those workers whose type has a known price. */
  readonly estimatedHourlyCostUsd: number;
  /** Running workers whose type the price table does not list (not in the estimate). */
  readonly unpricedWorkers: number;
}

export interface ReaperResult {
  readonly decisions: readonly ReaperDecision[];
  readonly summary: FleetSummary;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

export function decide(
  instances: readonly InstanceFacts[],
  policy: ReaperPolicy,
  now: Date,
  prices: PriceTable = PRICE_TABLE,
): ReaperResult {
  const problems = policyProblems(policy);
  if (problems.length > 0) throw new Error(`Invalid reaper policy: ${problems.join('; ')}`);
  const decisions = instances.map((instance) => decideOne(instance, policy, now));
  return { decisions, summary: summarizeFleet(instances, policy.fleetTagValue, prices) };
}

/** Running workers of one fleet (as observed, before any action) and their estimated on-demand $/hour. */
export function summarizeFleet(
  instances: readonly InstanceFacts[],
  fleetTagValue: string,
  prices: PriceTable = PRICE_TABLE,
): FleetSummary {
  const running = instances.filter((i) => isFleetWorker(i, { fleetTagValue }) && isBillingCompute(i.state));
  let estimatedHourlyCostUsd = 0;
  let unpricedWorkers = 0;
  for (const instance of running) {
    const price = hourlyPrice(instance.instanceType, prices);
    if (price === undefined) unpricedWorkers += 1;
    else estimatedHourlyCostUsd += price;
  }
  return {
    runningWorkers: running.length,
    estimatedHourlyCostUsd: Math.round(estimatedHourlyCostUsd * 1000) / 1000,
    unpricedWorkers,
  };
}

/**
 * Least `ReaperPolicy.busyGraceMinutes`: twice the watchdog's `busy-at` tag interval, so one missed refresh
 * does not stop a training run.
 */
const MIN_BUSY_GRACE_MINUTES = 2 * BUSY_TAG_INTERVAL_MINUTES;

/** How a problem names a policy field and shows its value: the Lambda names its environment variables. */
export interface PolicyLabels {
  readonly name: (field: keyof ReaperPolicy) => string;
  readonly shown: (field: keyof ReaperPolicy) => string;
}

/**
 * Why a reaper policy is unusable (empty when fine): the one check of the policy, used by the CostGuard
 * construct at synth, the reaper Lambda on its environment, `decide` and the `workers` CLI's flags.
 * `currentAmiIds` may hold deploy-time tokens here; the construct checks the literal ones.
 */
export function policyProblems(
  policy: ReaperPolicy,
  labels: PolicyLabels = { name: (field) => field, shown: (field) => String(policy[field]) },
): string[] {
  const { name, shown } = labels;
  const problems: string[] = [];
  if (policy.fleetTagValue.trim() === '') problems.push(`${name('fleetTagValue')} must not be empty`);
  if (!(Number.isFinite(policy.maxRunningHours) && policy.maxRunningHours > 0)) {
    problems.push(`${name('maxRunningHours')} must be a positive number (got ${shown('maxRunningHours')})`);
  }
  if (!(Number.isFinite(policy.busyGraceMinutes) && policy.busyGraceMinutes >= MIN_BUSY_GRACE_MINUTES)) {
    problems.push(
      `${name('busyGraceMinutes')} must be a number of at least ${MIN_BUSY_GRACE_MINUTES}, twice the watchdog's ${BUSY_TAG_INTERVAL_MINUTES}-minute tag interval (got ${shown('busyGraceMinutes')})`,
    );
  }
  // Compared only with a valid maxRunningHours (NaN compares false), which is reported on its own.
  if (!(Number.isFinite(policy.maxBusyHours) && !(policy.maxBusyHours < policy.maxRunningHours))) {
    problems.push(
      `${name('maxBusyHours')} must be a number of at least ${name('maxRunningHours')} (${policy.maxRunningHours}) (got ${shown('maxBusyHours')})`,
    );
  }
  if (!(Number.isInteger(policy.maxStoppedDays) && policy.maxStoppedDays > 0)) {
    problems.push(`${name('maxStoppedDays')} must be a positive integer (got ${shown('maxStoppedDays')})`);
  }
  return problems;
}

export function decideOne(instance: InstanceFacts, policy: ReaperPolicy, now: Date): ReaperDecision {
  const keep = (reason: string): ReaperDecision => ({
    instanceId: instance.instanceId,
    action: 'keep',
    reason,
  });
  const act = (action: ReaperAction, reason: string): ReaperDecision => ({
    instanceId: instance.instanceId,
    action,
    reason,
  });

  const fleet = instance.tags[FLEET_TAG_KEY];
  if (fleet === undefined) return keep(`no ${FLEET_TAG_KEY} tag: not a worker of this fleet`);
  if (fleet !== policy.fleetTagValue) return keep(`${FLEET_TAG_KEY}=${fleet} is another fleet`);
  if (instance.tags[ROLE_TAG_KEY] === CONTROLLER_ROLE) return keep('the Jenkins controller is never reaped');

  switch (instance.state) {
    case 'pending':
    case 'running':
      return decideRunning(instance, policy, now, keep, act);
    case 'stopped':
      return decideStopped(instance, policy, now, keep, act);
    default:
      return keep(`state ${instance.state}: nothing to do`);
  }
}

type Keep = (reason: string) => ReaperDecision;
type Act = (action: ReaperAction, reason: string) => ReaperDecision;

function decideRunning(instance: InstanceFacts, policy: ReaperPolicy, now: Date, keep: Keep, act: Act) {
  const startedMs = instance.launchTime?.getTime();
  if (startedMs === undefined || Number.isNaN(startedMs))
    return keep(`${instance.state} with no launch time`);
  const upMs = now.getTime() - startedMs;
  const limitMs = policy.maxRunningHours * HOUR_MS;
  const upText = `${instance.state} for ${formatHours(upMs)}`;
  if (upMs <= limitMs) return keep(`${upText}, within ${policy.maxRunningHours} h`);
  const pastText = `${upText}, past the hard lifetime of ${policy.maxRunningHours} h`;

  // The watchdog tags its instance while a build runs: the pipeline timeout bounds such a worker, and the
  // tag ages past the grace once the agent or the build is gone. A time further ahead than the grace is
  // not trusted (a wrong clock must not keep a worker forever).
  const raw = instance.tags[BUSY_AT_TAG_KEY];
  const busyAt = parseBusyAt(raw);
  const graceMs = policy.busyGraceMinutes * MINUTE_MS;
  const grace = `${policy.busyGraceMinutes} min`;
  let busyText: string;
  if (raw === undefined) busyText = `no ${BUSY_AT_TAG_KEY} tag`;
  else if (busyAt === undefined) busyText = `${BUSY_AT_TAG_KEY}=${JSON.stringify(raw)} is not a UTC time`;
  else {
    const ageMs = now.getTime() - busyAt.getTime();
    const tagText = `${BUSY_AT_TAG_KEY}=${raw}`;
    const busyLimitMs = policy.maxBusyHours * HOUR_MS;
    if (Math.abs(ageMs) <= graceMs && upMs > busyLimitMs) {
      busyText = `${tagText} is recent, but the busy limit of ${policy.maxBusyHours} h is exceeded`;
    } else if (Math.abs(ageMs) <= graceMs) {
      const when = ageMs >= 0 ? `${formatMinutes(ageMs)} ago` : `${formatMinutes(-ageMs)} ahead`;
      return keep(
        `${pastText}, but busy: build running, the pipeline timeout bounds it (${tagText}, ${when}, within ${grace})`,
      );
    } else
      busyText =
        ageMs > 0
          ? `${tagText} is ${formatMinutes(ageMs)} old, more than ${grace}`
          : `${tagText} is ${formatMinutes(-ageMs)} ahead, more than ${grace}: not trusted`;
  }
  // AWS rejects StopInstances for spot instances (the plugin's spot workers are one-time requests).
  if (instance.instanceLifecycle === 'spot') {
    return act('terminate', `${pastText} (${busyText}); spot instance: cannot be stopped, terminating`);
  }
  return act('stop', `${pastText} (${busyText})`);
}

const BUSY_AT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?Z$/;

/**
 * The time in a `jenkins-gpu:busy-at` tag: UTC ISO-8601 with a `Z`, whole seconds or milliseconds
 * (`2026-11-29T19:20:00Z`). Anything else, impossible dates included, is `undefined`: counts as no tag.
 */
export function parseBusyAt(value: string | undefined): Date | undefined {
  const match = value ? BUSY_AT.exec(value.trim()) : null;
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number);
  const millis = match[7] ? Number(match[7].padEnd(3, '0')) : 0;
  return utcDate(year, month, day, hour, minute, second, millis);
}

function decideStopped(instance: InstanceFacts, policy: ReaperPolicy, now: Date, keep: Keep, act: Act) {
  // A stopped worker from an old AMI is never restarted by the plugin (the AMI is part of the match), so it
  // only costs EBS: terminate it whatever its stop time.
  if (
    policy.currentAmiIds.length > 0 &&
    instance.imageId &&
    !policy.currentAmiIds.includes(instance.imageId)
  ) {
    return act('terminate', `stopped, built from ${instance.imageId} which no template uses any more`);
  }
  const stoppedAt = parseStopTime(instance.stateTransitionReason);
  if (!stoppedAt) {
    return keep(
      `stopped, stop time unknown (state transition reason: ${JSON.stringify(instance.stateTransitionReason ?? '')})`,
    );
  }
  const stoppedMs = now.getTime() - stoppedAt.getTime();
  const limitMs = policy.maxStoppedDays * DAY_MS;
  const stoppedText = `stopped for ${formatDays(stoppedMs)} (since ${stoppedAt.toISOString()})`;
  if (stoppedMs > limitMs) return act('terminate', `${stoppedText}, longer than ${policy.maxStoppedDays} d`);
  return keep(`${stoppedText}, within ${policy.maxStoppedDays} d`);
}

const STOP_TIME = /\((\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT\)/;

/**
 * The stop time EC2 writes into `StateTransitionReason` (`User initiated (YYYY-MM-DD HH:MM:SS GMT)`, also
 * after an instance-initiated shutdown). Returns `undefined` for anything else, including impossible
 * dates such as month 13: the reaper never guesses a stop time.
 */
export function parseStopTime(reason: string | undefined): Date | undefined {
  const match = reason ? STOP_TIME.exec(reason) : null;
  if (!match) return undefined;
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number);
  return utcDate(year, month, day, hour, minute, second, 0);
}

/** The UTC date of these fields, or `undefined` when they do not name a real time (month 13, 30 February). */
function utcDate(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  millis: number,
): Date | undefined {
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second, millis));
  const roundTrips =
    date.getUTCFullYear() === year &&
    date.getUTCMonth() === month - 1 &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hour &&
    date.getUTCMinutes() === minute &&
    date.getUTCSeconds() === second;
  return roundTrips ? date : undefined;
}

export function isFleetWorker(instance: InstanceFacts, policy: Pick<ReaperPolicy, 'fleetTagValue'>): boolean {
  return (
    instance.tags[FLEET_TAG_KEY] === policy.fleetTagValue && instance.tags[ROLE_TAG_KEY] !== CONTROLLER_ROLE
  );
}

export function isBillingCompute(state: string): boolean {
  return state === 'pending' || state === 'running';
}

function formatHours(ms: number): string {
  return `${(ms / HOUR_MS).toFixed(2)} h`;
}

function formatMinutes(ms: number): string {
  return `${(ms / MINUTE_MS).toFixed(2)} min`;
}

function formatDays(ms: number): string {
  return `${(ms / DAY_MS).toFixed(2)} d`;
}
