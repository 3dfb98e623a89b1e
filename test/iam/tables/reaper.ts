import { call, ec2, lambdaSession, logWrites, otherLogGroupWrites, resourceTags } from '../calls';
import { Call } from '../evaluate';
import { StackFacts } from '../stack-facts';
import { TemplateRole } from '../template-roles';
import { workerTags } from './controller';
import { INSTANCES, RoleTable } from './table';

/**
 * The reaper Lambda (lambda/reaper, lib/cost/fleet-instances.ts): DescribeInstances filtered by the fleet
 * tag, StopInstances/TerminateInstances on the workers it decides on, its own log stream. Denied: what a
 * buggy or compromised reaper must never do.
 */

function functionArn(facts: StackFacts): string {
  return facts.getAtt('AWS::Lambda::Function', /^CostGuardReaper[0-9A-F]{8}$/, 'Arn');
}

function allowed(facts: StackFacts): Call[] {
  const worker = resourceTags(workerTags(facts));
  return [
    call('listing the fleet', ec2(facts, 'DescribeInstances', '*')),
    call(
      'stopping a worker past its lifetime',
      ec2(facts, 'StopInstances', facts.ec2Arn('instance', INSTANCES.worker), worker),
    ),
    call(
      'terminating a long-stopped worker',
      ec2(facts, 'TerminateInstances', facts.ec2Arn('instance', INSTANCES.worker), worker),
    ),
    logWrites(facts, /^CostGuardReaperLogs/, 'writing its log'),
  ];
}

function denied(facts: StackFacts): Call[] {
  const controller = resourceTags({
    'jenkins-gpu:role': 'controller',
    'jenkins-gpu:stack': facts.env.stackName,
  });
  const otherFleet = resourceTags({ ...workerTags(facts), 'jenkins-gpu:fleet': 'OtherStack' });
  return [
    call(
      'terminating the controller',
      ec2(facts, 'TerminateInstances', facts.ec2Arn('instance', INSTANCES.controller), controller),
    ),
    call(
      'stopping a worker of another stack',
      ec2(facts, 'StopInstances', facts.ec2Arn('instance', INSTANCES.otherFleetWorker), otherFleet),
    ),
    call(
      'terminating an instance outside any fleet',
      ec2(facts, 'TerminateInstances', facts.ec2Arn('instance', INSTANCES.unrelated)),
    ),
    call(
      'tagging a worker',
      ec2(facts, 'CreateTags', facts.ec2Arn('instance', INSTANCES.worker), {
        'aws:TagKeys': ['x'],
        'aws:RequestTag/x': 'y',
      }),
    ),
    call(
      'deleting the JENKINS_HOME volume',
      ec2(
        facts,
        'DeleteVolume',
        facts.ec2Arn('volume', facts.ref('AWS::EC2::Volume', /^ControllerJenkinsHome/)),
      ),
    ),
    call(
      'deleting a snapshot',
      ec2(facts, 'DeleteSnapshot', facts.ec2Arn('snapshot', 'snap-0123456789abcdef0', { account: '' })),
    ),
    otherLogGroupWrites(facts),
    call('creating log groups', {
      action: 'logs:CreateLogGroup',
      resource: facts.arn('logs', 'log-group:anything'),
    }),
  ];
}

export const reaperTable: RoleTable = {
  role: /^CostGuardReaperRole[0-9A-F]{8}$/,
  assumedBy: 'lambda.amazonaws.com',
  session: (facts: StackFacts, role: TemplateRole) => lambdaSession(facts, role.arn, functionArn(facts)),
  allowed,
  denied,
};
