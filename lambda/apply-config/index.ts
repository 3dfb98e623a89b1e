/**
 * Custom resource (CDK Provider framework, async: onEvent + isComplete) that applies the controller-config
 * bundle to the running Jenkins controller: `apply-config.sh --expect-digest <Digest>` through SSM Run
 * Command. A bundle Jenkins rejects fails the command, and the command's output tail becomes the error of
 * the CloudFormation event, so the user sees Jenkins' message in the deploy.
 *
 * A controller that is booting gets no command: its boot reads the parameter, which CloudFormation updated
 * before this resource (the resource depends on it). That is "applied at boot", a success with a reason:
 * no InService instance, an SSM agent that is not Online yet, or apply-config.sh exiting 75 (it waited
 * for the boot's first release). During a stack rollback this resource never fails: CloudFormation would end
 * in UPDATE_ROLLBACK_FAILED, and the rollback has already put the previous parameter value back for the
 * next boot.
 *
 * Must not import aws-cdk-lib: it is bundled on its own by NodejsFunction.
 */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';

import {
  APPLY_EXIT_BOOTING,
  APPLY_TIMEOUT_MINUTES,
  applyCommandTimeoutSeconds,
  type ApplyConfigResourceProperties,
  CONTROLLER_BIN_DIR,
  SSM_SHELL_DOCUMENT,
} from '../../lib/contracts';
import { SHA256_HEX } from '../../lib/patterns';
import { log } from '../shared/log';
import type { IsCompleteResponse, OnEventResponse, ProviderEvent } from '../shared/provider';

const PHYSICAL_RESOURCE_ID = 'controller-config';
const APPLY_SCRIPT = `${CONTROLLER_BIN_DIR}/apply-config.sh`;
/** How much of the command output reaches the CloudFormation event (its reason field is limited). */
export const ERROR_TAIL_CHARS = 1500;
/**
 * SendCommand's TimeoutSeconds: a command no agent has picked up by then is never run (status
 * DeliveryTimedOut). An Online agent takes a command within seconds; the minimum SSM accepts is 30.
 */
export const DELIVERY_TIMEOUT_SECONDS = 120;
/**
 * Stack states in which this resource's event belongs to a rollback (CloudFormation's own stack status
 * values, DescribeStacks StackStatus). A create rollback sends Delete, handled without any call.
 */
const ROLLBACK_STATES = new Set([
  'UPDATE_ROLLBACK_IN_PROGRESS',
  'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS',
  'ROLLBACK_IN_PROGRESS',
]);

const autoScaling = new AutoScalingClient({});
const cloudFormation = new CloudFormationClient({});
const ssm = new SSMClient({});

export type ApplyConfigEvent = ProviderEvent<ApplyConfigResourceProperties>;

function validateProps(props: ApplyConfigResourceProperties): {
  asg: string;
  digest: string;
  timeoutSeconds: number;
} {
  if (!props.AutoScalingGroupName) {
    throw new Error('AutoScalingGroupName is required');
  }
  // The digest ends up in a shell command line: accept nothing but a sha256 hex.
  if (!SHA256_HEX.test(props.Digest ?? '')) {
    throw new Error(`Digest must be a sha256 hex string, got '${props.Digest}'`);
  }
  const timeoutSeconds =
    props.TimeoutSeconds === undefined
      ? applyCommandTimeoutSeconds(APPLY_TIMEOUT_MINUTES.default)
      : Number(props.TimeoutSeconds);
  const [min, max] = [APPLY_TIMEOUT_MINUTES.min, APPLY_TIMEOUT_MINUTES.max].map(applyCommandTimeoutSeconds);
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < min || timeoutSeconds > max) {
    throw new Error(
      `TimeoutSeconds must be an integer between ${min} and ${max}, got '${props.TimeoutSeconds}'`,
    );
  }
  return { asg: props.AutoScalingGroupName, digest: props.Digest, timeoutSeconds };
}

/** The InService instances of the controller's group (at most one by design). */
async function inServiceInstances(asgName: string): Promise<string[]> {
  const out = await autoScaling.send(
    new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [asgName] }),
  );
  const group = out.AutoScalingGroups?.[0];
  if (!group) {
    throw new Error(`Auto Scaling group ${asgName} not found`);
  }
  return (group.Instances ?? [])
    .filter((i) => i.LifecycleState === 'InService' && i.InstanceId)
    .map((i) => i.InstanceId as string)
    .sort();
}

/** The instance's SSM agent status (Online, ConnectionLost, Inactive), or why there is none. */
async function agentStatus(instanceId: string): Promise<string> {
  const out = await ssm.send(
    new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [instanceId] }] }),
  );
  return out.InstanceInformationList?.[0]?.PingStatus ?? 'not registered yet';
}

/**
 * Whether this event belongs to a rollback of the stack. An error here counts as "no": a normal update must
 * still fail on a rejected bundle.
 */
async function rollingBack(event: ApplyConfigEvent): Promise<boolean> {
  if (event.RequestType === 'Delete') return true;
  if (event.RequestType !== 'Update' || !event.StackId) return false;
  try {
    const out = await cloudFormation.send(new DescribeStacksCommand({ StackName: event.StackId }));
    const status = out.Stacks?.[0]?.StackStatus ?? 'UNKNOWN';
    log('info', 'stack status', { status });
    return ROLLBACK_STATES.has(status);
  } catch (err) {
    log('warn', 'cannot read the stack status; treating the update as no rollback', { error: String(err) });
    return false;
  }
}

/** Success during a rollback, whatever happened, with what happened as the reason. */
function rollbackSuccess(reason: string): Record<string, string> {
  log('warn', 'not failing a stack rollback', { reason });
  return { Applied: 'not-during-rollback', Reason: reason.slice(0, ERROR_TAIL_CHARS) };
}

export async function onEvent(event: ApplyConfigEvent): Promise<OnEventResponse> {
  log('info', 'onEvent', { requestType: event.RequestType, props: event.ResourceProperties });
  if (event.RequestType === 'Delete') {
    return { PhysicalResourceId: event.PhysicalResourceId ?? PHYSICAL_RESOURCE_ID };
  }
  const rollback = await rollingBack(event);
  try {
    const data = await sendApply(event.ResourceProperties);
    return {
      PhysicalResourceId: PHYSICAL_RESOURCE_ID,
      Data: { ...data, RollingBack: rollback ? 'yes' : 'no' },
    };
  } catch (err) {
    if (!rollback) throw err;
    return { PhysicalResourceId: PHYSICAL_RESOURCE_ID, Data: rollbackSuccess(errorText(err)) };
  }
}

async function sendApply(props: ApplyConfigResourceProperties): Promise<Record<string, string>> {
  const { asg, digest, timeoutSeconds } = validateProps(props);
  const instances = await inServiceInstances(asg);
  if (instances.length === 0) {
    // Nothing runs: the next controller boot reads the parameter and starts with this bundle.
    log('info', 'no running controller; the next boot applies the bundle', { asg, digest });
    return { Applied: 'no-running-controller' };
  }
  if (instances.length > 1) {
    log('warn', 'more than one InService controller; applying to the first', { instances });
  }
  const instanceId = instances[0];
  const agent = await agentStatus(instanceId);
  if (agent !== 'Online') {
    const reason = `the SSM agent of ${instanceId} is ${agent}: the controller is booting, and its boot applies the parameter`;
    log('info', 'applied at boot', { instanceId, agent });
    return { Applied: 'at-boot', Reason: reason };
  }
  const sent = await ssm.send(
    new SendCommandCommand({
      DocumentName: SSM_SHELL_DOCUMENT,
      InstanceIds: [instanceId],
      Comment: `jenkins-gpu apply config ${digest.slice(0, 12)}`,
      TimeoutSeconds: DELIVERY_TIMEOUT_SECONDS,
      Parameters: {
        commands: [`${APPLY_SCRIPT} --expect-digest ${digest}`],
        executionTimeout: [String(timeoutSeconds - DELIVERY_TIMEOUT_SECONDS)],
      },
    }),
  );
  const commandId = sent.Command?.CommandId;
  if (!commandId) {
    throw new Error('SSM SendCommand returned no CommandId');
  }
  log('info', 'apply command sent', { commandId, instanceId, digest });
  // The command's own limits (delivery + execution) end by then; a poll after it gives up on the command.
  const deadline = Date.now() + (timeoutSeconds + 30) * 1000;
  return { CommandId: commandId, InstanceId: instanceId, Deadline: String(deadline) };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The end of the command's output: Jenkins' message is printed last, just before the exit. */
function failureMessage(status: string, stderr: string | undefined, stdout: string | undefined): string {
  const output = [stderr ?? '', stdout ?? '']
    .filter((s) => s.trim() !== '')
    .join('\n')
    .trim();
  const tail = output.length > ERROR_TAIL_CHARS ? `…${output.slice(-ERROR_TAIL_CHARS)}` : output;
  return `apply-config on the controller ended ${status}: ${tail || '(no output)'}`;
}

export async function isComplete(event: ApplyConfigEvent): Promise<IsCompleteResponse> {
  if (event.RequestType === 'Delete') {
    return { IsComplete: true };
  }
  const rollback = event.Data?.RollingBack === 'yes';
  try {
    return await commandOutcome(event);
  } catch (err) {
    if (!rollback) throw err;
    return { IsComplete: true, Data: rollbackSuccess(errorText(err)) };
  }
}

async function commandOutcome(event: ApplyConfigEvent): Promise<IsCompleteResponse> {
  const commandId = event.Data?.CommandId;
  const instanceId = event.Data?.InstanceId;
  if (!commandId || !instanceId) {
    // onEvent sent nothing (no running controller, applied at boot, or a rollback): nothing to wait for.
    return { IsComplete: true };
  }
  const deadline = Number(event.Data?.Deadline ?? Number.POSITIVE_INFINITY);
  const pastDeadline = () => {
    if (Date.now() > deadline) {
      throw new Error(
        `apply-config on the controller did not finish by its deadline (${new Date(deadline).toISOString()}); see command ${commandId} in the SSM Run Command history`,
      );
    }
    return { IsComplete: false };
  };
  let out;
  try {
    out = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
  } catch (err) {
    // Right after SendCommand the invocation may not be visible yet.
    if ((err as { name?: string }).name === 'InvocationDoesNotExist') {
      log('info', 'invocation not visible yet', { commandId, instanceId });
      return pastDeadline();
    }
    throw err;
  }
  const status = out.Status ?? 'Unknown';
  log('info', 'command status', { commandId, instanceId, status, detail: out.StatusDetails });
  switch (status) {
    case 'Success':
      return { IsComplete: true, Data: { CommandId: commandId, InstanceId: instanceId } };
    case 'Pending':
    case 'InProgress':
    case 'Delayed':
    case 'Cancelling':
      return pastDeadline();
    default: {
      if (status === 'Failed' && out.ResponseCode === APPLY_EXIT_BOOTING) {
        const reason = `the controller ${instanceId} is still booting: its boot applies the parameter`;
        log('info', 'applied at boot', { commandId, instanceId });
        return { IsComplete: true, Data: { Applied: 'at-boot', Reason: reason } };
      }
      const message = failureMessage(
        out.StatusDetails ?? status,
        out.StandardErrorContent,
        out.StandardOutputContent,
      );
      log('error', 'apply failed', { commandId, instanceId, status, message });
      throw new Error(message);
    }
  }
}
