import { stopsOnTerminate } from '../fleet';
import { type CascRule, templateFinding, templatesOf } from './rule';

const id = 'stopped-reuse';

/**
 * With `avoidUsingOrphanedNodes` the plugin skips the stopped-instance lookup of every launch
 * (SlaveTemplate.java 2395-2409), and nothing else restarts a stopped worker (the only other caller of that
 * lookup, EC2Cloud.attemptReattachOrphanOrStoppedNodes, is called by nothing at 2059): each build launches
 * a new worker while the stopped ones keep billing for their volumes.
 */
export const stoppedReuse: CascRule = {
  id,
  summary:
    'refuses avoidUsingOrphanedNodes: true with stopOnTerminate: true: stopped workers are never restarted but keep billing',
  check: (context) =>
    templatesOf(context)
      .filter((t) => t.text('avoidUsingOrphanedNodes')?.trim() === 'true' && stopsOnTerminate(t))
      .map((t) =>
        templateFinding(
          id,
          t,
          'avoidUsingOrphanedNodes',
          'avoidUsingOrphanedNodes must not be true with stopOnTerminate: true: the EC2 plugin then never restarts a stopped worker (it skips the stopped-instance lookup, SlaveTemplate.java 2395-2409 at ec2-plugin 2059), so every build launches a new one while the stopped ones bill for their volumes; remove it, or set stopOnTerminate: false (got true)',
        ),
      ),
};
