import { WORKER_BOOT_COMPLETE_FILE } from '../../contracts';
import { type CascRule, templateFinding, templatesOf } from './rule';

const id = 'init-waits-for-boot';

export const initWaitsForBoot: CascRule = {
  id,
  summary: `refuses a template whose initScript does not wait for ${WORKER_BOOT_COMPLETE_FILE}: the agent would start before Java and the watchdog`,
  check: (context) =>
    templatesOf(context)
      .filter((t) => !t.text('initScript')?.includes(WORKER_BOOT_COMPLETE_FILE))
      .map((t) => {
        const initScript = t.text('initScript');
        return templateFinding(
          id,
          t,
          'initScript',
          `initScript must wait for the worker boot (test -f ${WORKER_BOOT_COMPLETE_FILE}, as the shipped templates do): otherwise the agent starts before Java and the watchdog are installed (got ${initScript?.trim() ? `a script without ${WORKER_BOOT_COMPLETE_FILE}` : 'nothing'})`,
        );
      }),
};
