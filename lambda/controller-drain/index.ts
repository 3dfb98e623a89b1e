/**
 * Drains the Jenkins controller before Auto Scaling terminates it. EventBridge delivers the controller
 * group's "EC2 Instance-terminate Lifecycle Action" (the drain hook holds the instance in Terminating:Wait);
 * this handler runs `drain.sh` on the instance through SSM Run Command, and the script quiets Jenkins down,
 * announces it, waits (bounded) and completes the lifecycle action itself. An instance that cannot run a
 * command (its SSM agent is not online, or SSM does not know it) has nothing to drain: the action is
 * completed here at once, so a dead controller is replaced without waiting.
 *
 * Other errors are thrown: EventBridge's asynchronous invocation retries them, and the hook's own timeout
 * (drain + hand-over, default result CONTINUE) bounds the wait if every retry fails. Must not import
 * aws-cdk-lib: it is bundled on its own.
 */
import { AutoScalingClient, CompleteLifecycleActionCommand } from '@aws-sdk/client-auto-scaling';
import { DescribeInstanceInformationCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';

import { DRAIN_ENV, SSM_SHELL_DOCUMENT } from '../../lib/contracts';
import {
  DRAIN_SCRIPT,
  MAX_DRAIN_MINUTES,
  TERMINATE_ACTION_DETAIL_TYPE,
  TERMINATING_TRANSITION,
  terminationHoldMinutes,
} from '../../lib/controller-replacement';
import { log } from '../shared/log';

const autoScaling = new AutoScalingClient({});
const ssm = new SSMClient({});

/** The fields of the event's `detail` this handler reads. */
export interface LifecycleActionDetail {
  readonly LifecycleActionToken: string;
  readonly AutoScalingGroupName: string;
  readonly LifecycleHookName: string;
  readonly EC2InstanceId: string;
  readonly LifecycleTransition: string;
}

export interface LifecycleActionEvent {
  readonly 'detail-type': string;
  readonly detail: Partial<LifecycleActionDetail>;
}

export interface DrainConfig {
  readonly drainMinutes: number;
  readonly alertTopicArn: string;
  readonly region: string;
}

export type DrainOutcome =
  | { readonly outcome: 'draining'; readonly commandId: string }
  | { readonly outcome: 'completed'; readonly reason: string }
  | { readonly outcome: 'ignored'; readonly reason: string };

/**
 * What each value may look like before it goes into the command line (drain.sh checks the same again):
 * Auto Scaling's own constraints (hook names `[A-Za-z0-9\-_\/]+`, a UUID token), narrowed to what this
 * stack creates (CloudFormation-generated group names).
 */
const DETAIL_PATTERNS: Record<keyof Omit<LifecycleActionDetail, 'LifecycleTransition'>, RegExp> = {
  EC2InstanceId: /^i-[0-9a-f]{8,17}$/,
  AutoScalingGroupName: /^[A-Za-z0-9._-]{1,255}$/,
  LifecycleHookName: /^[A-Za-z0-9/_-]{1,255}$/,
  LifecycleActionToken: /^[0-9a-fA-F-]{36}$/,
};
const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-[0-9]$/;

/** The handler's configuration from its environment; throws one message naming every problem. */
export function readDrainConfig(env: NodeJS.ProcessEnv): DrainConfig {
  const problems: string[] = [];
  const rawMinutes = env[DRAIN_ENV.drainMinutes] ?? '';
  const minutes = Number(rawMinutes.trim() || NaN);
  // The bound ControllerDrain enforces: a longer drain would not fit the rolling update's hour.
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > MAX_DRAIN_MINUTES) {
    problems.push(
      `${DRAIN_ENV.drainMinutes} must be an integer from 1 to ${MAX_DRAIN_MINUTES} (got '${rawMinutes}')`,
    );
  }
  const alertTopicArn = (env[DRAIN_ENV.alertTopicArn] ?? '').trim();
  if (!TOPIC_ARN.test(alertTopicArn))
    problems.push(`${DRAIN_ENV.alertTopicArn} must be an SNS topic ARN (got '${alertTopicArn}')`);
  const region = (env.AWS_REGION ?? '').trim();
  if (!REGION.test(region)) problems.push(`AWS_REGION must be a region name (got '${region}')`);
  if (problems.length > 0) throw new Error(`Controller drain configuration: ${problems.join('; ')}`);
  return { drainMinutes: minutes, alertTopicArn, region };
}

/** The event's detail, every field checked: it becomes part of a shell command line. */
export function checkedDetail(detail: Partial<LifecycleActionDetail>): LifecycleActionDetail {
  for (const [field, pattern] of Object.entries(DETAIL_PATTERNS)) {
    const value = detail[field as keyof LifecycleActionDetail];
    if (typeof value !== 'string' || !pattern.test(value)) {
      throw new Error(
        `lifecycle action event: ${field} must match ${pattern} (got ${JSON.stringify(value)})`,
      );
    }
  }
  return detail as LifecycleActionDetail;
}

/** The command SSM runs on the controller (as root): every value checked, none needs quoting. */
export function drainCommand(detail: LifecycleActionDetail, config: DrainConfig): string {
  return [
    DRAIN_SCRIPT,
    ...['--instance-id', detail.EC2InstanceId, '--group', detail.AutoScalingGroupName],
    ...['--hook', detail.LifecycleHookName, '--token', detail.LifecycleActionToken],
    ...['--minutes', String(config.drainMinutes), '--alert-topic', config.alertTopicArn],
    ...['--region', config.region],
  ].join(' ');
}

/** Whether the instance's SSM agent is online (it reports a ping about every five minutes). */
async function agentStatus(instanceId: string): Promise<string> {
  const out = await ssm.send(
    new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [instanceId] }] }),
  );
  return out.InstanceInformationList?.[0]?.PingStatus ?? 'not a managed node';
}

/** CONTINUE now; an action that is no longer pending (the drain or a timeout ended it) is not an error. */
async function completeNow(detail: LifecycleActionDetail, reason: string): Promise<DrainOutcome> {
  try {
    await autoScaling.send(
      new CompleteLifecycleActionCommand({
        AutoScalingGroupName: detail.AutoScalingGroupName,
        LifecycleHookName: detail.LifecycleHookName,
        LifecycleActionToken: detail.LifecycleActionToken,
        LifecycleActionResult: 'CONTINUE',
      }),
    );
  } catch (err) {
    const message = (err as Error).message ?? '';
    if (!/No active Lifecycle Action found/.test(message)) throw err;
    log('info', 'lifecycle action no longer pending', { instanceId: detail.EC2InstanceId, message });
  }
  log('info', 'terminating without a drain', { instanceId: detail.EC2InstanceId, reason });
  return { outcome: 'completed', reason };
}

export async function handler(event: LifecycleActionEvent): Promise<DrainOutcome> {
  const config = readDrainConfig(process.env);
  if (
    event['detail-type'] !== TERMINATE_ACTION_DETAIL_TYPE ||
    event.detail?.LifecycleTransition !== TERMINATING_TRANSITION
  ) {
    const reason = `not a termination lifecycle action (${event['detail-type']})`;
    log('warn', 'ignored', { reason });
    return { outcome: 'ignored', reason };
  }
  const detail = checkedDetail(event.detail);
  const status = await agentStatus(detail.EC2InstanceId);
  if (status !== 'Online') {
    return completeNow(detail, `the SSM agent of ${detail.EC2InstanceId} is ${status}: nothing can drain it`);
  }
  let commandId: string | undefined;
  try {
    const sent = await ssm.send(
      new SendCommandCommand({
        DocumentName: SSM_SHELL_DOCUMENT,
        InstanceIds: [detail.EC2InstanceId],
        Comment: `jenkins-gpu drain before termination (${config.drainMinutes} min)`,
        // The drain may take its minutes plus the hand-over; then the hook continues on its own anyway.
        Parameters: {
          commands: [drainCommand(detail, config)],
          executionTimeout: [String(terminationHoldMinutes(config.drainMinutes) * 60)],
        },
        TimeoutSeconds: 300,
      }),
    );
    commandId = sent.Command?.CommandId;
  } catch (err) {
    if ((err as { name?: string }).name !== 'InvalidInstanceId') throw err;
    return completeNow(
      detail,
      `SSM cannot run a command on ${detail.EC2InstanceId}: ${(err as Error).message}`,
    );
  }
  if (!commandId) throw new Error('SSM SendCommand returned no CommandId');
  log('info', 'drain command sent', {
    commandId,
    instanceId: detail.EC2InstanceId,
    minutes: config.drainMinutes,
  });
  return { outcome: 'draining', commandId };
}
