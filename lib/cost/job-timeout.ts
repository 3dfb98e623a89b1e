/**
 * The training job's timeout bounds (jobs/train.Jenkinsfile validates TIMEOUT_HOURS against them and
 * jobs/seed.groovy sets the default; test/cost/job-timeout.test.ts checks both files), and the limits of
 * the cost guard derived from them. The bounds themselves are boundary values, defined in lib/contracts.ts.
 */
import { DEFAULT_JOB_TIMEOUT_HOURS, MAX_JOB_TIMEOUT_HOURS } from '../contracts';

/**
 * Margin for what runs before the pipeline's `timeout` starts (checkout, pip installs) and a build that
 * ends right at its timeout.
 */
const SETUP_MARGIN_HOURS = 2;

/**
 * How long the worker's idle watchdog keeps a worker whose build is still running (fresh durable-task
 * heartbeat or GPU in use) while no agent is connected, e.g. through a controller outage: the longest
 * build the job allows plus the margin. Past it the worker is powered off anyway (a hung build on a
 * controller that never came back).
 */
export const BUSY_WITHOUT_AGENT_MAX_MINUTES = (MAX_JOB_TIMEOUT_HOURS + SETUP_MARGIN_HOURS) * 60;

/**
 * The reaper's hard lifetime of a running worker (its `maxRunningHours`): a build of the default timeout,
 * the fleet's longest idle stop (whole hours, rounded up) and an hour of margin for the boot and the stop.
 * A build with a longer TIMEOUT_HOURS is kept by its busy tag, up to `maxBusyHours`.
 */
export function reaperMaxRunningHours(maxIdleMinutes: number): number {
  return DEFAULT_JOB_TIMEOUT_HOURS + Math.ceil(maxIdleMinutes / 60) + 1;
}
