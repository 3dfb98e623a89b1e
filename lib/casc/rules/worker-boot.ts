import { type CascRule, got, templateFinding, templatesOf } from './rule';

const id = 'worker-boot';

/** The worker boot: a loader that starts the fallback idle stop and fetches the watchdog (docs/architecture.md "GPU worker boot"). */
export const WORKER_BOOT_MARKER = '@render:assets/worker/user-data.sh';

export const workerBoot: CascRule = {
  id,
  summary: `refuses a template whose userData is not "${WORKER_BOOT_MARKER}": the project's boot starts the on-worker idle watchdog`,
  check: (context) =>
    templatesOf(context)
      .filter((t) => t.text('userData')?.trim() !== WORKER_BOOT_MARKER)
      .map((t) =>
        templateFinding(
          id,
          t,
          'userData',
          `userData must be "${WORKER_BOOT_MARKER}": the project's worker boot starts the on-worker idle watchdog, the cost guard's second layer (got ${got(t.text('userData')?.trim())})`,
        ),
      ),
};
