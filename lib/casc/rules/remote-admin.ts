import { WORKER_LOGIN_USER } from '../../contracts';
import { type CascRule, got, requiredValueFindings } from './rule';

const id = 'remote-admin';

export const remoteAdmin: CascRule = {
  id,
  summary: `refuses a template whose remoteAdmin is not ${WORKER_LOGIN_USER}: the worker setup gives that user the agent's directory, and the Deep Learning AMI refuses SSH as root`,
  check: (context) =>
    requiredValueFindings(
      id,
      context,
      'remoteAdmin',
      WORKER_LOGIN_USER,
      (found) =>
        `remoteAdmin must be ${WORKER_LOGIN_USER}, the Deep Learning AMI's login user: the worker setup (assets/worker/setup.sh) gives it the agent's directory and builds run as it; blank means SSH as root, which the AMI refuses (got ${got(found)})`,
    ),
};
