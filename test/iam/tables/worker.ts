import { WORKER_METRIC_NAMESPACE } from '../../../lib/contracts';
import { call, ec2, instanceSession, requestTags, resourceTags } from '../calls';
import { Call } from '../evaluate';
import { StackFacts } from '../stack-facts';
import { workerTags } from './controller';
import { INSTANCES, RoleTable } from './table';

/**
 * The GPU workers' instance role, used by the boot (assets/worker/fetch-payload.sh: the payload object),
 * the idle watchdog (assets/worker/idle-watchdog.sh: the busy tag on its own instance, the failure metric),
 * the milestones and run report (assets/worker/milestone.sh, run-report.sh: its tags, their metrics)
 * and, as the credentials every build on a worker holds, by anything a build runs. Denied: what a
 * malicious build would try with those credentials.
 */

const BUSY_AT = 'jenkins-gpu:busy-at';

function tagInstance(
  facts: StackFacts,
  what: string,
  target: string,
  tags: Record<string, string>,
  existing: Record<string, string>,
): Call {
  return call(
    what,
    ec2(facts, 'CreateTags', facts.ec2Arn('instance', target), {
      ...requestTags(tags),
      ...resourceTags(existing),
      'ec2:InstanceID': target,
    }),
  );
}

function putMetric(what: string, namespace: string): Call {
  return call(what, {
    action: 'cloudwatch:PutMetricData',
    resource: '*',
    context: { 'cloudwatch:namespace': namespace },
  });
}

function allowed(facts: StackFacts): Call[] {
  return [
    call('the boot downloads the worker payload', {
      action: 's3:GetObject',
      resource: facts.s3UriArn(facts.config.vars.WORKER_PAYLOAD_S3_URI),
    }),
    tagInstance(
      facts,
      'the watchdog marks its own instance busy',
      INSTANCES.worker,
      { [BUSY_AT]: '2026-12-01T10:00:00Z' },
      workerTags(facts),
    ),
    putMetric('the watchdog reports that it could not write the busy tag', WORKER_METRIC_NAMESPACE),
    putMetric(
      'the milestones and the run report send boot, GPU time and cost metrics',
      WORKER_METRIC_NAMESPACE,
    ),
    call('the milestones read its own fleet and template tags', {
      action: 'ec2:DescribeTags',
      resource: '*',
    }),
  ];
}

function denied(facts: StackFacts): Call[] {
  const fleetTags = workerTags(facts);
  const busy = { [BUSY_AT]: '2099-01-01T00:00:00Z' };
  const self = facts.ec2Arn('instance', INSTANCES.worker);
  return [
    tagInstance(facts, 'marking another worker of the fleet busy', INSTANCES.otherWorker, busy, fleetTags),
    tagInstance(facts, 'marking a worker of another stack busy', INSTANCES.otherFleetWorker, busy, {
      ...fleetTags,
      'jenkins-gpu:fleet': 'OtherStack',
    }),
    tagInstance(
      facts,
      'changing its own fleet tag',
      INSTANCES.worker,
      { 'jenkins-gpu:fleet': 'OtherStack' },
      fleetTags,
    ),
    tagInstance(
      facts,
      'marking itself as the controller',
      INSTANCES.worker,
      { 'jenkins-gpu:role': 'controller' },
      fleetTags,
    ),
    tagInstance(
      facts,
      'writing busy-at and another tag at once',
      INSTANCES.worker,
      { ...busy, Name: 'x' },
      fleetTags,
    ),
    call(
      'removing its own fleet tag',
      ec2(facts, 'DeleteTags', self, { 'aws:TagKeys': ['jenkins-gpu:fleet'], ...resourceTags(fleetTags) }),
    ),
    call(
      'stopping another worker',
      ec2(facts, 'StopInstances', facts.ec2Arn('instance', INSTANCES.otherWorker), resourceTags(fleetTags)),
    ),
    call('terminating itself', ec2(facts, 'TerminateInstances', self, resourceTags(fleetTags))),
    call(
      'launching an instance',
      ec2(facts, 'RunInstances', facts.ec2Arn('instance', '*'), { 'ec2:InstanceType': 'p4d.24xlarge' }),
    ),
    call('reading the controller config bundle', {
      action: 's3:GetObject',
      resource: facts.s3ObjectArn(facts.config.bundle.bucket, facts.config.bundle.key),
    }),
    call('replacing the worker payload', {
      action: 's3:PutObject',
      resource: facts.s3UriArn(facts.config.vars.WORKER_PAYLOAD_S3_URI),
    }),
    call('reading the admin password', {
      action: 'secretsmanager:GetSecretValue',
      resource: facts.config.secrets.ADMIN_PASSWORD,
    }),
    call('listing the secrets', { action: 'secretsmanager:ListSecrets', resource: '*' }),
    call('reading the controller config parameter', {
      action: 'ssm:GetParameter',
      resource: facts.arn('ssm', `parameter${facts.configParameterName}`),
    }),
    putMetric("writing the reaper's cost metrics (to hide a burn rate)", 'JenkinsGpu'),
    putMetric('writing metrics of another namespace', 'AWS/EC2'),
    call('passing its role on', {
      action: 'iam:PassRole',
      resource: facts.role(/^WorkersRole/).arn,
      context: { 'iam:PassedToService': 'ec2.amazonaws.com' },
    }),
    call('opening an SSM session on the controller', {
      action: 'ssm:StartSession',
      resource: facts.ec2Arn('instance', INSTANCES.controller),
    }),
  ];
}

export const workerTable: RoleTable = {
  role: /^WorkersRole[0-9A-F]{8}$/,
  assumedBy: 'ec2.amazonaws.com',
  session: (facts, role) => instanceSession(facts, role.arn, INSTANCES.worker),
  allowed,
  denied,
};
