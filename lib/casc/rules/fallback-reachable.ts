import type { Problem } from '../../jcasc/problem';
import type { CloudView, TemplateView } from '../fleet';
import { capacityOf } from '../fleet-arithmetic';
import { type CascRule, templateFinding } from './rule';

const id = 'fallback-reachable';

const isExclusive = (t: TemplateView): boolean => t.text('mode')?.trim() === 'EXCLUSIVE';
const nameOf = (t: TemplateView): string => t.description?.trim() ?? t.path;

/**
 * True when every job that can start `later` also matches `earlier`: `earlier` carries all of `later`'s
 * labels (so a label expression without `!` that matches one matches both), and `earlier` is not EXCLUSIVE
 * where `later` also takes unlabelled jobs (EC2Cloud.getTemplates(Label), lines 657-671).
 */
function covers(earlier: TemplateView, later: TemplateView): boolean {
  if (later.labels.length === 0) return false;
  if (isExclusive(earlier) && !isExclusive(later)) return false;
  return later.labels.every((label) => earlier.labels.includes(label));
}

function check(cloud: CloudView): Problem[] {
  const capacity = capacityOf(cloud);
  if (!capacity) return [];
  return cloud.templates.flatMap((later, j) => {
    const above = cloud.templates
      .slice(0, j)
      .map((t, i) => ({ t, cap: capacity.templateCaps[i] }))
      .filter(({ t }) => covers(t, later));
    const sum = above.reduce((total, { cap }) => total + cap, 0);
    if (above.length === 0 || sum < capacity.cloudCap) return [];
    const names = above.map(({ t }) => `'${nameOf(t)}'`).join(', ');
    const caps = above.map(({ cap }) => cap).join(' + ');
    return [
      templateFinding(
        id,
        later,
        'labelString',
        `template '${nameOf(later)}' takes builds only as failover (when ${names} above it fail for capacity in every zone), never as overflow: every job that matches it also matches ${names}, and the EC2 plugin moves to the next template only past those at their caps (EC2Cloud.java 1102-1116 at ec2-plugin 2059), which together (${caps} = ${sum}) already fill the cloud cap ${capacity.cloudCap}; for overflow too, lower their instanceCapStr below the cloud cap or raise the cloud cap`,
        'warning',
      ),
    ];
  });
}

/**
 * The plugin walks the matching templates in YAML order and moves on only past a template at its cap
 * (EC2Cloud.java 1102-1116; a failed launch is only logged, 1157-1174). A later template that every job
 * matching it also reaches through templates above it whose caps together fill the cloud cap never takes
 * overflow: when those are full, so is the cloud. It still takes over when they are short of capacity, by the
 * controller hook's failover (init.groovy.d/worker_provisioning.groovy; docs/capacity.md "Instance types").
 */
export const fallbackReachable: CascRule = {
  id,
  summary:
    'warns about a fallback template that can take builds only as failover, never as overflow: the templates above it that every matching job also matches fill the cloud cap',
  check: ({ clouds }) => clouds.flatMap(check),
};
