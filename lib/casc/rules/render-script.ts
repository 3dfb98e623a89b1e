import { bundleTokens, RENDER_PREFIX, RENDERED_KEYS, renderTemplateScript } from '../../bundle/build-bundle';
import { UserInputError } from '../../errors';
import type { Problem } from '../../jcasc/problem';
import { POSITIVE_INTEGER, type TemplateView } from '../fleet';
import { type CascRule, finding, templatesOf } from './rule';
import { WORKER_BOOT_MARKER } from './worker-boot';

const id = 'render-script';

/** The bundle tokens (the worker payload digest); a payload that cannot be rendered shows at the templates. */
function renderTokens(repoRoot: string): Record<string, string> {
  try {
    return bundleTokens(repoRoot);
  } catch (error) {
    if (!(error instanceof UserInputError)) throw error;
    return {};
  }
}

function check(
  template: TemplateView,
  repoRoot: string,
  tokens: Readonly<Record<string, string>>,
): Problem[] {
  const idle = template.text('idleTerminationMinutes');
  // Skipped while idleTerminationMinutes is itself wrong (`idle-termination` reports it).
  if (idle === undefined || !POSITIVE_INTEGER.test(idle)) return [];
  const problems: Problem[] = [];
  for (const key of RENDERED_KEYS) {
    const marker = template.text(key);
    if (!marker?.startsWith(RENDER_PREFIX)) continue;
    // Any other userData is already refused by `worker-boot`: one problem, one line.
    if (key === 'userData' && marker.trim() !== WORKER_BOOT_MARKER) continue;
    try {
      renderTemplateScript(repoRoot, key, marker, idle, tokens, marker);
    } catch (error) {
      if (!(error instanceof UserInputError)) throw error;
      problems.push(
        finding(
          id,
          template.get(key)!.loc,
          `${template.path}.${key}`,
          `cannot render the worker script: ${error.message}`,
        ),
      );
    }
  }
  return problems;
}

/**
 * The bundle renders `@render:<script>` for each template with its idle minutes (lib/bundle/build-bundle.ts):
 * render it here too, so a missing script, an include outside the repository or an unknown token fails
 * the check with the line of the key, not synth.
 */
export const renderScript: CascRule = {
  id,
  summary:
    'refuses a template whose @render: userData or initScript the bundle cannot render (missing script, include outside the repository, unknown token)',
  check: (context) => {
    const templates = templatesOf(context);
    if (templates.length === 0) return [];
    const tokens = renderTokens(context.repoRoot);
    return templates.flatMap((t) => check(t, context.repoRoot, tokens));
  },
};
