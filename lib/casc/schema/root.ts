/** The whole JCasC document: its root keys and the schema of each. Extend here when a plugin is added. */
import { JENKINS_ROOT } from './jenkins-root';
import { CASC_ROOT, CREDENTIALS_ROOT, JOBS_ROOT, SECURITY_ROOT, UNCLASSIFIED_ROOT } from './sections';
import { anyValue, obj, type ClassSchema } from './types';

export const CASC_DOCUMENT: ClassSchema = {
  name: 'JCasC document',
  fields: {
    'configuration-as-code': obj(CASC_ROOT),
    jenkins: obj(JENKINS_ROOT),
    security: obj(SECURITY_ROOT),
    unclassified: obj(UNCLASSIFIED_ROOT),
    jobs: JOBS_ROOT,
    credentials: obj(CREDENTIALS_ROOT),
    tool: anyValue(),
  },
};
