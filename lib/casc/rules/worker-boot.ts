import { type CascRule, got, requiredValueFindings } from './rule';

const id = 'worker-boot';

/** The worker boot: a loader that starts the fallback idle stop and fetches the watchdog (docs/architecture.md "GPU worker boot"). */
export const WORKER_BOOT_MARKER = '@render:assets/worker/user-data.sh';

export const workerBoot: CascRule = {
  id,
  summary: `refuses a template whose userData is not "${WORKER_BOOT_MARKER}": the project's boot starts the on-worker idle watchdog`,
  check: (context) =>
    requiredValueFindings(
      id,
      context,
      'userData',
      WORKER_BOOT_MARKER,
      (found) =>
        `userData must be "${WORKER_BOOT_MARKER}": the project's worker boot starts the on-worker idle watchdog, the cost guard's second layer (got ${got(found)})`,
    ),
};
