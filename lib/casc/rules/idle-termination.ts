import { boundedNumberFindings, type CascRule, templatesOf } from './rule';

const id = 'idle-termination';

/**
 * Longest idle stop accepted: a day. A GPU idle for longer is never intended, and the reaper's hard
 * lifetime of a running worker (lib/cost/job-timeout.ts `reaperMaxRunningHours`: job timeout + idle +
 * margin) must stay under its absolute limit (lib/cost/decide.ts `DEFAULT_MAX_BUSY_HOURS`);
 * test/casc/synth-agreement.test.ts synthesizes it.
 */
export const MAX_IDLE_TERMINATION_MINUTES = 24 * 60;

export const idleTermination: CascRule = {
  id,
  summary: `refuses a template idleTerminationMinutes that is missing (an idle GPU is never stopped), not a positive integer or above ${MAX_IDLE_TERMINATION_MINUTES}`,
  check: (context) =>
    templatesOf(context).flatMap((t) =>
      boundedNumberFindings(
        id,
        t,
        'idleTerminationMinutes',
        'omitted means an idle GPU worker is never stopped',
        {
          max: MAX_IDLE_TERMINATION_MINUTES,
          why: "(a day): an idle GPU kept longer is never intended, and the reaper's hard lifetime of a running worker is derived from it",
        },
      ),
    ),
};
