import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';

import { FleetTeardown, FleetTeardownProps } from '../../lib/constructs/fleet-teardown';
import { controllerIn, testStack } from '../helpers';

function build(overrides: Partial<FleetTeardownProps> = {}) {
  const stack = testStack();
  const { network, controller } = controllerIn(stack);
  const workerGroup = new ec2.SecurityGroup(stack, 'WorkerGroup', { vpc: network.vpc });
  const teardown = new FleetTeardown(stack, 'Teardown', {
    fleetTagValue: 'fleet-a',
    usedByWorkers: [network, workerGroup],
    deletedFirst: [controller.autoScalingGroup],
    ...overrides,
  });
  const id = (c: { node: { defaultChild?: unknown } }) => stack.getLogicalId(c.node.defaultChild as never);
  return { stack, teardown, t: Template.fromStack(stack), id, workerGroup, controller };
}

describe('FleetTeardown', () => {
  const { t, id, workerGroup, controller, teardown } = build();
  const [resourceId, resource] = Object.entries(t.findResources('Custom::JenkinsGpuFleetTeardown'))[0];

  it('is one custom resource keyed by the fleet tag', () => {
    t.resourceCountIs('Custom::JenkinsGpuFleetTeardown', 1);
    expect(resource.Properties.FleetTagValue).toBe('fleet-a');
    expect(resourceId).toBe(id(teardown.resource));
  });

  it('depends on what the workers use, so CloudFormation deletes those only after it', () => {
    const dependsOn: string[] = resource.DependsOn;
    expect(dependsOn).toContain(id(workerGroup));
    for (const vpcPart of ['AWS::EC2::VPC', 'AWS::EC2::Subnet', 'AWS::EC2::InternetGateway']) {
      for (const part of Object.keys(t.findResources(vpcPart))) expect(dependsOn).toContain(part);
    }
    // Its own role too: the Delete handler needs its permissions to the end.
    expect(dependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^TeardownRole/)]));
  });

  it('is deleted only after the controller (its group depends on the teardown)', () => {
    const group = t.findResources('AWS::AutoScaling::AutoScalingGroup')[id(controller.autoScalingGroup)];
    expect(group.DependsOn).toContain(resourceId);
  });

  it('may terminate only instances with the fleet tag; describes on * (no resource-level permissions)', () => {
    const statements = Object.entries(t.findResources('AWS::IAM::Policy'))
      .filter(([policyId]) => policyId.startsWith('TeardownRole'))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Sid: 'ListFleet', Action: 'ec2:DescribeInstances', Resource: '*' }),
        expect.objectContaining({
          Sid: 'TerminateOnlyTheFleet',
          Action: 'ec2:TerminateInstances',
          Condition: { StringEquals: { 'aws:ResourceTag/jenkins-gpu:fleet': 'fleet-a' } },
        }),
        expect.objectContaining({
          Sid: 'ReadOwnStackStatus',
          Action: 'cloudformation:DescribeStacks',
          Resource: { Ref: 'AWS::StackId' },
        }),
      ]),
    );
    expect(statements.flatMap((s) => [s.Action].flat()).sort()).toEqual([
      'cloudformation:DescribeStacks',
      'ec2:DescribeInstances',
      'ec2:TerminateInstances',
      'logs:CreateLogStream',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'logs:PutLogEvents',
    ]);
  });

  it('waits for the workers through isComplete, polled every 15 s for at most 30 minutes', () => {
    t.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Handler: 'index.onEvent', Runtime: 'nodejs24.x' },
      1,
    );
    t.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Handler: 'index.isComplete', Runtime: 'nodejs24.x' },
      1,
    );
    const machine = JSON.stringify(Object.values(t.findResources('AWS::StepFunctions::StateMachine'))[0]);
    // The provider framework's waiter: totalTimeout / queryInterval attempts.
    expect(machine).toContain('\\"IntervalSeconds\\":15');
    expect(machine).toContain('\\"MaxAttempts\\":120');
  });

  it.each([4, 121, 7.5])('refuses a timeout of %p minutes', (minutes) => {
    expect(() => build({ timeoutMinutes: minutes })).toThrow(
      `FleetTeardown: timeoutMinutes must be an integer from 5 to 120 (got ${minutes})`,
    );
  });
});
