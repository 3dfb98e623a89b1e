/**
 * Custom resource (CDK Provider framework, async: onEvent + isComplete) that applies the controller-config
 * bundle to the running Jenkins controller: `apply-config.sh --expect-digest <Digest>` through SSM Run
 * Command. A bundle Jenkins rejects fails the command, and the command's output tail becomes the error of
 * the CloudFormation event, so the user sees Jenkins' message in the deploy.
 *
 * Must not import aws-cdk-lib: it is bundled on its own by NodejsFunction.
 */
import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { GetCommandInvocationCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';

export const PHYSICAL_RESOURCE_ID = 'controller-config';
export const APPLY_SCRIPT = '/opt/jenkins-gpu/bin/apply-config.sh';
/** How much of the command output reaches the CloudFormation event (its reason field is limited). */
export const ERROR_TAIL_CHARS = 1500;
const DEFAULT_TIMEOUT_SECONDS = 1800;

const autoScaling = new AutoScalingClient({});
const ssm = new SSMClient({});

export interface ApplyConfigProps {
  readonly AutoScalingGroupName: string;
  readonly Digest: string;
  readonly ParameterName: string;
  readonly TimeoutSeconds?: string | number;
}

/** The subset of the Provider framework's event this handler reads. */
export interface ProviderEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResourceProperties: ApplyConfigProps & { ServiceToken?: string };
  readonly PhysicalResourceId?: string;
  readonly Data?: Record<string, string>;
}

export interface OnEventResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: Record<string, string>;
}

export interface IsCompleteResponse {
  readonly IsComplete: boolean;
  readonly Data?: Record<string, string>;
}

function log(level: 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ level, message, ...fields }));
}

function validateProps(props: ApplyConfigProps): { asg: string; digest: string; timeoutSeconds: number } {
  if (!props.AutoScalingGroupName) {
    throw new Error('AutoScalingGroupName is required');
  }
  // The digest ends up in a shell command line: accept nothing but a sha256 hex.
  if (!/^[0-9a-f]{64}$/.test(props.Digest ?? '')) {
    throw new Error(`Digest must be a sha256 hex string, got '${props.Digest}'`);
  }
  const timeoutSeconds =
    props.TimeoutSeconds === undefined ? DEFAULT_TIMEOUT_SECONDS : Number(props.TimeoutSeconds);
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 30 || timeoutSeconds > 172800) {
    throw new Error(`TimeoutSeconds must be an integer between 30 and 172800, got '${props.TimeoutSeconds}'`);
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

export async function onEvent(event: ProviderEvent): Promise<OnEventResponse> {
  log('info', 'onEvent', { requestType: event.RequestType, props: event.ResourceProperties });
  if (event.RequestType === 'Delete') {
    return { PhysicalResourceId: event.PhysicalResourceId ?? PHYSICAL_RESOURCE_ID };
  }
  const { asg, digest, timeoutSeconds } = validateProps(event.ResourceProperties);
  const instances = await inServiceInstances(asg);
  if (instances.length === 0) {
    // Nothing runs: the next controller boot reads the parameter and starts with this bundle.
    log('info', 'no running controller; the next boot applies the bundle', { asg, digest });
    return { PhysicalResourceId: PHYSICAL_RESOURCE_ID, Data: { Applied: 'no-running-controller' } };
  }
  if (instances.length > 1) {
    log('warn', 'more than one InService controller; applying to the first', { instances });
  }
  const instanceId = instances[0];
  const sent = await ssm.send(
    new SendCommandCommand({
      DocumentName: 'AWS-RunShellScript',
      InstanceIds: [instanceId],
      Comment: `jenkins-gpu apply config ${digest.slice(0, 12)}`,
      Parameters: {
        commands: [`${APPLY_SCRIPT} --expect-digest ${digest}`],
        executionTimeout: [String(timeoutSeconds)],
      },
    }),
  );
  const commandId = sent.Command?.CommandId;
  if (!commandId) {
    throw new Error('SSM SendCommand returned no CommandId');
  }
  log('info', 'apply command sent', { commandId, instanceId, digest });
  return { PhysicalResourceId: PHYSICAL_RESOURCE_ID, Data: { CommandId: commandId, InstanceId: instanceId } };
}

/** The end of the command's output: Jenkins' message is printed last, just before the exit. */
export function failureMessage(
  status: string,
  stderr: string | undefined,
  stdout: string | undefined,
): string {
  const output = [stderr ?? '', stdout ?? '']
    .filter((s) => s.trim() !== '')
    .join('\n')
    .trim();
  const tail = output.length > ERROR_TAIL_CHARS ? `…${output.slice(-ERROR_TAIL_CHARS)}` : output;
  return `apply-config on the controller ended ${status}: ${tail || '(no output)'}`;
}

export async function isComplete(event: ProviderEvent): Promise<IsCompleteResponse> {
  if (event.RequestType === 'Delete') {
    return { IsComplete: true };
  }
  const commandId = event.Data?.CommandId;
  const instanceId = event.Data?.InstanceId;
  if (!commandId || !instanceId) {
    // onEvent found no running controller: nothing to wait for.
    return { IsComplete: true };
  }
  let out;
  try {
    out = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
  } catch (err) {
    // Right after SendCommand the invocation may not be visible yet.
    if ((err as { name?: string }).name === 'InvocationDoesNotExist') {
      log('info', 'invocation not visible yet', { commandId, instanceId });
      return { IsComplete: false };
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
      return { IsComplete: false };
    default: {
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
