import { WORKER_REMOTE_FS } from '../../contracts';
import { type CascRule, got, requiredValueFindings } from './rule';

const id = 'remote-fs';

export const remoteFs: CascRule = {
  id,
  summary: `refuses a template whose remoteFS is not ${WORKER_REMOTE_FS}: the worker setup creates that directory and the idle watchdog looks for running builds there`,
  check: (context) =>
    requiredValueFindings(
      id,
      context,
      'remoteFS',
      WORKER_REMOTE_FS,
      (found) =>
        `remoteFS must be ${WORKER_REMOTE_FS}: the worker setup creates it for the agent, and the idle watchdog finds running builds by their logs under it (elsewhere, a training run looks idle and its worker is stopped) (got ${got(found)})`,
    ),
};
