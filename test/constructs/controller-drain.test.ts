import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sns from 'aws-cdk-lib/aws-sns';

import { ControllerDrain } from '../../lib/constructs/controller-drain';
import { terminationHoldMinutes } from '../../lib/controller-replacement';
import { controllerIn, testStack } from '../helpers';

function build(drainMinutes = 20, hold = terminationHoldMinutes(drainMinutes)) {
  const stack = testStack();
  const { controller } = controllerIn(stack, { terminationHoldMinutes: hold });
  const topic = new sns.Topic(stack, 'Alarms');
  const drain = new ControllerDrain(stack, 'Drain', { controller, drainMinutes, alertTopic: topic });
  return { stack, controller, drain, t: Template.fromStack(stack) };
}

const logicalId = (stack: Stack, construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as never);

/** The statements of the IAM policies whose logical id starts with `prefix`. */
function statementsOf(t: Template, prefix: string): Array<Record<string, unknown>> {
  return Object.entries(t.findResources('AWS::IAM::Policy'))
    .filter(([id]) => id.startsWith(prefix))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
}

describe('ControllerDrain', () => {
  const { stack, controller, drain, t } = build();
  const asg = { Ref: logicalId(stack, controller.autoScalingGroup) };
  // arn:<partition>:autoscaling:<region>:<account>:autoScalingGroup:*:autoScalingGroupName/<the group>
  const asgArn = {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':autoscaling:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        ':autoScalingGroup:*:autoScalingGroupName/',
        asg,
      ],
    ],
  };

  it('holds a terminating controller for the drain plus the hand-over, then continues on its own', () => {
    t.resourceCountIs('AWS::AutoScaling::LifecycleHook', 1);
    t.hasResourceProperties('AWS::AutoScaling::LifecycleHook', {
      AutoScalingGroupName: asg,
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
      HeartbeatTimeout: 25 * 60,
      DefaultResult: 'CONTINUE',
      // EventBridge gets the lifecycle events without a notification target.
      NotificationTargetARN: Match.absent(),
    });
  });

  it('hands exactly this hook’s termination events of this group to the drain function', () => {
    const hook = { Ref: logicalId(stack, drain.hook) };
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.autoscaling'],
        'detail-type': ['EC2 Instance-terminate Lifecycle Action'],
        detail: { AutoScalingGroupName: [asg], LifecycleHookName: [hook] },
      },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [logicalId(stack, drain.handler), 'Arn'] },
          // An event older than the hold is moot: the hook has continued by then.
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 25 * 60 },
        }),
      ],
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Environment: {
        Variables: { DRAIN_MINUTES: '20', ALERT_TOPIC_ARN: { Ref: Match.stringLikeRegexp('^Alarms') } },
      },
    });
  });

  it('lets the function complete only this group’s lifecycle actions and run commands only on its instances', () => {
    const statements = statementsOf(t, 'DrainHandlerRole');
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Action: 'autoscaling:CompleteLifecycleAction', Resource: asgArn }),
        expect.objectContaining({
          Action: 'ssm:SendCommand',
          Resource: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':ssm:',
                { Ref: 'AWS::Region' },
                '::document/AWS-RunShellScript',
              ],
            ],
          },
        }),
        expect.objectContaining({
          Action: 'ssm:SendCommand',
          Condition: { StringEquals: { 'aws:ResourceTag/aws:autoscaling:groupName': asg } },
        }),
        // No resource-level permissions exist for this one.
        expect.objectContaining({ Action: 'ssm:DescribeInstanceInformation', Resource: '*' }),
      ]),
    );
    const actions = statements.flatMap((s) => [s.Action].flat()).sort();
    expect(actions).toEqual([
      'autoscaling:CompleteLifecycleAction',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'ssm:DescribeInstanceInformation',
      'ssm:SendCommand',
      'ssm:SendCommand',
    ]);
  });

  it('lets the controller complete its own action and announce, without a dependency cycle', () => {
    const own = Object.values(t.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes(logicalId(stack, controller.role)),
    );
    const complete = own.filter((p) => JSON.stringify(p).includes('autoscaling:CompleteLifecycleAction'));
    expect(complete).toHaveLength(1);
    expect(complete[0].Properties.PolicyDocument.Statement).toEqual([
      expect.objectContaining({ Action: 'autoscaling:CompleteLifecycleAction', Resource: asgArn }),
    ]);
    // The launch template waits for the role's default policy: that one must not name the group.
    const defaultPolicy = statementsOf(t, 'ControllerRoleDefaultPolicy');
    expect(JSON.stringify(defaultPolicy)).not.toContain(asg.Ref);
    expect(defaultPolicy).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: 'sns:Publish',
          Resource: { Ref: expect.stringMatching(/^Alarms/) },
        }),
      ]),
    );
  });

  it('makes the rolling update wait for the replacement through the drain, the boot keeps its 30 minutes', () => {
    const group = t.findResources('AWS::AutoScaling::AutoScalingGroup')[asg.Ref];
    expect(group.UpdatePolicy.AutoScalingRollingUpdate).toMatchObject({
      MinInstancesInService: 0,
      WaitOnResourceSignals: true,
      PauseTime: 'PT55M',
    });
    expect(group.CreationPolicy.ResourceSignal.Timeout).toBe('PT30M');
  });

  it.each([0, 26, 2.5])('refuses a drain of %p minutes', (minutes) => {
    expect(() => build(minutes, 30)).toThrow(
      `ControllerDrain: drainMinutes must be an integer from 1 to 25 (got ${minutes})`,
    );
  });

  it('refuses a controller whose rolling update does not allow for the drain', () => {
    expect(() => build(20, 0)).toThrow(
      "ControllerDrain: a 20-minute drain holds the old controller up to 25 minutes, but the controller's rolling update allows for 0 (build it with terminationHoldMinutes: 25)",
    );
  });

  it('a hold that leaves the boot less than CloudFormation’s hour is refused by the controller', () => {
    const stack = testStack();
    expect(() => controllerIn(stack, { bootTimeoutMinutes: 40, terminationHoldMinutes: 25 })).toThrow(
      'JenkinsController: bootTimeoutMinutes + terminationHoldMinutes must be an integer from 10 to 60 (got 65)',
    );
  });
});
