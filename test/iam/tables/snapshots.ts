import { call, ec2, resourceTags, serviceSession } from '../calls';
import { RoleTable } from './table';

/**
 * Data Lifecycle Manager's role for the daily JENKINS_HOME snapshots: the AWS managed service role (what it
 * allows is AWS's text, not in the template) bounded by explicit denies, which are what this table proves.
 */
export const snapshotTable: RoleTable = {
  role: /^ControllerSnapshotRole[0-9A-F]{8}$/,
  assumedBy: 'dlm.amazonaws.com',
  awsManagedPolicies: {
    'service-role/AWSDataLifecycleManagerServiceRole':
      'The AWS-maintained service role DLM needs to create, tag and expire snapshots; the role denies it every volume but JENKINS_HOME and every snapshot but its own',
  },
  session: (facts, role) => serviceSession(facts, role.arn, 'dlm'),
  allowed: () => [],
  denied: (facts) => [
    call(
      'snapshotting a volume other than JENKINS_HOME',
      ec2(
        facts,
        'CreateSnapshot',
        facts.ec2Arn('volume', 'vol-0a1b2c3d4e5f60718'),
        resourceTags({ 'jenkins-gpu:fleet': facts.fleet }),
      ),
    ),
    call(
      'deleting a snapshot this policy did not make',
      ec2(
        facts,
        'DeleteSnapshot',
        facts.ec2Arn('snapshot', 'snap-0123456789abcdef0', { account: '' }),
        resourceTags({ Name: 'prod-db-backup' }),
      ),
    ),
  ],
};
