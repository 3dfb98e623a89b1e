import { type CascRule, templateFinding, templatesOf } from './rule';

const id = 'init-waits-for-boot';

/** Written by the worker payload when Java and the watchdog are installed (assets/worker). */
export const BOOT_COMPLETE_FILE = '/var/lib/jenkins-gpu/boot-complete';

export const initWaitsForBoot: CascRule = {
  id,
  summary: `refuses a template whose initScript does not wait for ${BOOT_COMPLETE_FILE}: the agent would start before Java and the watchdog`,
  check: (context) =>
    templatesOf(context)
      .filter((t) => !t.text('initScript')?.includes(BOOT_COMPLETE_FILE))
      .map((t) => {
        const initScript = t.text('initScript');
        return templateFinding(
          id,
          t,
          'initScript',
          `initScript must wait for the worker boot (test -f ${BOOT_COMPLETE_FILE}, as the shipped templates do): otherwise the agent starts before Java and the watchdog are installed (got ${initScript?.trim() ? `a script without ${BOOT_COMPLETE_FILE}` : 'nothing'})`,
        );
      }),
};
