import { Aws, Duration, Lazy, Stack, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { createHash } from 'crypto';

import { DRAIN_ENV, SSM_SHELL_DOCUMENT } from '../contracts';
import {
  MAX_DRAIN_MINUTES,
  TERMINATE_ACTION_DETAIL_TYPE,
  terminationHoldMinutes,
} from '../controller-replacement';
import { requireIntegerProp, UserInputError } from '../errors';
import { JenkinsController } from './jenkins-controller';
import { projectFunction } from './lambda-defaults';

export interface ControllerDrainProps {
  /** The controller whose terminations are drained. */
  readonly controller: JenkinsController;
  /**
   * Minutes running builds get before the old instance terminates (1 to 25). The controller must be built
   * with at least `terminationHoldMinutes(drainMinutes)` (lib/controller-replacement.ts) so that its rolling
   * update waits long enough for the replacement, which boots while the old instance drains.
   */
  readonly drainMinutes: number;
  /** Topic the drain announces on (the stack's alarm topic). */
  readonly alertTopic: sns.ITopic;
}

/**
 * Drains the Jenkins controller before Auto Scaling terminates it (a deploy that replaces it, or an
 * unhealthy instance): a termination lifecycle hook holds the instance in Terminating:Wait, an EventBridge
 * rule hands the hook's event to a Lambda, and the Lambda runs `drain.sh` on the instance through SSM Run
 * Command (quiet-down, announcement, a bounded wait for running builds, Jenkins stopped, action completed).
 * A controller that cannot run the command is let go at once. The hook's timeout (drain + hand-over,
 * default result CONTINUE) ends the wait if nothing completes it.
 */
export class ControllerDrain extends Construct {
  public readonly hook: autoscaling.LifecycleHook;
  public readonly handler: nodejs.NodejsFunction;
  public readonly rule: events.Rule;
  /** Lets the controller complete its own lifecycle action (the group's ARN: not in the role's default policy). */
  public readonly controllerPolicy: iam.Policy;

  constructor(scope: Construct, id: string, props: ControllerDrainProps) {
    super(scope, id);
    const minutes = requireIntegerProp('ControllerDrain', 'drainMinutes', props.drainMinutes, {
      min: 1,
      max: MAX_DRAIN_MINUTES,
    });
    const asg = props.controller.autoScalingGroup;
    const holdMinutes = terminationHoldMinutes(minutes);
    if (props.controller.terminationHoldMinutes < holdMinutes) {
      throw new UserInputError(
        `ControllerDrain: a ${minutes}-minute drain holds the old controller up to ${holdMinutes} minutes, but the controller's rolling update allows for ${props.controller.terminationHoldMinutes} (build it with terminationHoldMinutes: ${holdMinutes})`,
      );
    }

    this.hook = new autoscaling.LifecycleHook(this, 'Hook', {
      autoScalingGroup: asg,
      lifecycleTransition: autoscaling.LifecycleTransition.INSTANCE_TERMINATING,
      heartbeatTimeout: Duration.minutes(holdMinutes),
      // Both results terminate the instance; CONTINUE also runs any other termination hook.
      defaultResult: autoscaling.DefaultResult.CONTINUE,
    });

    const { fn: handler, role } = projectFunction(this, 'Handler', {
      code: 'controller-drain',
      handler: 'index.handler',
      description: 'Drains the Jenkins controller before Auto Scaling terminates it (SSM Run Command)',
      roleDescription: 'Controller drain: runs drain.sh on the terminating controller, or lets a dead one go',
      environment: {
        [DRAIN_ENV.drainMinutes]: String(minutes),
        [DRAIN_ENV.alertTopicArn]: props.alertTopic.topicArn,
      },
    });
    this.handler = handler;

    this.rule = this.createRule(asg, holdMinutes);

    this.controllerPolicy = this.grantPermissions(props, role);
    this.acknowledgeNagFindings(props, role);
  }

  /** Passes this hook's termination events of this group, and only those, to the handler. */
  private createRule(asg: autoscaling.IAutoScalingGroup, holdMinutes: number): events.Rule {
    return new events.Rule(this, 'OnTermination', {
      description: 'The Jenkins controller is about to terminate: drain it',
      eventPattern: {
        source: ['aws.autoscaling'],
        detailType: [TERMINATE_ACTION_DETAIL_TYPE],
        detail: {
          AutoScalingGroupName: [asg.autoScalingGroupName],
          LifecycleHookName: [this.hook.lifecycleHookName],
        },
      },
      // An event older than the hold is moot: the hook has continued by then.
      targets: [
        new targets.LambdaFunction(this.handler, {
          retryAttempts: 2,
          maxEventAge: Duration.minutes(holdMinutes),
        }),
      ],
    });
  }

  /** The handler's permissions; returns the controller's own (a policy of its own, see below). */
  private grantPermissions(props: ControllerDrainProps, role: iam.Role): iam.Policy {
    const asgName = props.controller.autoScalingGroup.autoScalingGroupName;
    // Pseudo parameters rather than the stack's region/account: the same ARN text in any environment.
    const asgArn = `arn:${Aws.PARTITION}:autoscaling:${Aws.REGION}:${Aws.ACCOUNT_ID}:autoScalingGroup:*:autoScalingGroupName/${asgName}`;
    const completeAction = new iam.PolicyStatement({
      sid: 'CompleteControllerLifecycleAction',
      actions: ['autoscaling:CompleteLifecycleAction'],
      resources: [asgArn],
    });
    role.addToPolicy(completeAction);
    // drain.sh completes the action itself when its wait is over, and announces on the topic. A policy of
    // its own: the launch template waits for the role's default policy, which must not wait for the group.
    const controllerPolicy = new iam.Policy(this, 'ControllerMayCompleteDrain', {
      roles: [props.controller.role],
      statements: [completeAction],
    });
    props.alertTopic.grantPublish(props.controller.role);

    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'IsTheControllerReachable',
        actions: ['ssm:DescribeInstanceInformation'],
        resources: ['*'],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'RunDrainOnTheController',
        actions: ['ssm:SendCommand'],
        resources: [`arn:${Aws.PARTITION}:ssm:${Aws.REGION}::document/${SSM_SHELL_DOCUMENT}`],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'RunDrainOnlyOnTheControllerGroup',
        actions: ['ssm:SendCommand'],
        resources: [`arn:${Aws.PARTITION}:ec2:${Aws.REGION}:${Aws.ACCOUNT_ID}:instance/*`],
        conditions: { StringEquals: { 'aws:ResourceTag/aws:autoscaling:groupName': asgName } },
      }),
    );
    return controllerPolicy;
  }

  /** cdk-nag findings that are by design, acknowledged on the policies that cause them. */
  private acknowledgeNagFindings(props: ControllerDrainProps, role: iam.Role): void {
    const stack = Stack.of(this);
    const asgLogicalId = stack.getLogicalId(
      props.controller.autoScalingGroup.node.defaultChild as autoscaling.CfnAutoScalingGroup,
    );
    const asgArnFinding = `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:autoscaling:<AWS::Region>:<AWS::AccountId>:autoScalingGroup:*:autoScalingGroupName/<${asgLogicalId}>]`;
    const asgArnReason =
      'CompleteLifecycleAction on the controller Auto Scaling group only; the * stands for the group ARN uuid';
    Validations.of(role.node.findChild('DefaultPolicy')).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'ssm:DescribeInstanceInformation supports no resource-level permissions; the only action on *',
      },
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*]',
        reason:
          'ssm:SendCommand is limited by aws:ResourceTag to instances of the controller Auto Scaling group',
      },
      { id: asgArnFinding, reason: asgArnReason },
    );
    Validations.of(this.controllerPolicy).acknowledge({ id: asgArnFinding, reason: asgArnReason });
    Validations.of(props.controller.role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        'Publishing to the KMS-encrypted alarm topic needs the GenerateDataKey family, on that one key only',
    });
  }
}

/**
 * A digest of everything whose change makes CloudFormation replace the controller in a rolling update (the
 * group's launch template and its content, subnets and placement group: "UpdatePolicy attribute", AWS
 * CloudFormation User Guide). As a stack output, `cdk diff` shows it change exactly when a deploy replaces
 * the controller. Computed at synth from the template's own values (tokens stay tokens), so it is offline
 * and deterministic; a resource it refers to that CloudFormation replaces is not seen here, but shows in
 * the same diff.
 */
export function controllerReplacementDigest(controller: JenkinsController): string {
  const stack = Stack.of(controller);
  const template = controller.launchTemplate.node.defaultChild as ec2.CfnLaunchTemplate;
  const group = controller.autoScalingGroup.node.defaultChild as autoscaling.CfnAutoScalingGroup;
  return Lazy.string({
    produce: () => {
      const replacing = stack.resolve({
        launchTemplateData: template.launchTemplateData,
        launchTemplate: group.launchTemplate,
        vpcZoneIdentifier: group.vpcZoneIdentifier,
        placementGroup: group.placementGroup,
      });
      return createHash('sha256').update(JSON.stringify(replacing)).digest('hex').slice(0, 16);
    },
  });
}

/** What the replacement output tells the user, in `cdk diff` and the console. */
export function controllerReplacementNotice(drainMinutes: number): string {
  const drain =
    drainMinutes > 0
      ? `Jenkins quiets down and running builds get up to ${drainMinutes} minutes to finish before the old instance terminates`
      : 'the old instance terminates at once and running builds are cut off (drainTimeoutMinutes is 0)';
  return `When this value changes (cdk diff shows it), the deploy replaces the Jenkins controller: ${drain}; Pipeline builds continue on the new controller if their worker is still running.`;
}
