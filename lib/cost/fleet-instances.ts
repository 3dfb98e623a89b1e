/**
 * The EC2 side of the cost guard, shared by the reaper Lambda and the `workers` CLI: list one fleet's
 * workers and carry out reaper decisions. The decisions themselves are in the pure `decide.ts`.
 */
import {
  DescribeInstancesCommand,
  DescribeInstancesCommandOutput,
  EC2Client,
  Instance,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';

import { describeAwsError } from '../aws/describe-setup-error';
import { FLEET_TAG_KEY } from '../contracts';
import { InstanceFacts, ReaperDecision } from './decide';

/** States in which a worker can cost money (compute or EBS). */
export const WATCHED_STATES = ['pending', 'running', 'stopping', 'stopped'];

/** The only EC2 client surface used here, so tests can pass a fake client and callers a real one. */
export type Ec2Sender = Pick<EC2Client, 'send'>;

/**
 * All instances tagged `jenkins-gpu:fleet=<fleetTagValue>` in one of `states` (by default the watched
 * ones), across all pages. Pages by hand (not `paginateDescribeInstances`) so any object with `send` works,
 * stubs included.
 */
export async function describeFleetInstances(
  ec2: Ec2Sender,
  fleetTagValue: string,
  states: readonly string[] = WATCHED_STATES,
): Promise<InstanceFacts[]> {
  const facts: InstanceFacts[] = [];
  let nextToken: string | undefined;
  do {
    const page: DescribeInstancesCommandOutput = await ec2.send(
      new DescribeInstancesCommand({
        Filters: [
          { Name: `tag:${FLEET_TAG_KEY}`, Values: [fleetTagValue] },
          { Name: 'instance-state-name', Values: [...states] },
        ],
        MaxResults: 1000,
        NextToken: nextToken,
      }),
    );
    for (const reservation of page.Reservations ?? []) {
      for (const instance of reservation.Instances ?? []) facts.push(toInstanceFacts(instance));
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return facts;
}

function toInstanceFacts(instance: Instance): InstanceFacts {
  const tags: Record<string, string> = {};
  for (const tag of instance.Tags ?? []) {
    if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
  }
  return {
    instanceId: instance.InstanceId ?? '(no id)',
    state: instance.State?.Name ?? 'unknown',
    instanceType: instance.InstanceType,
    launchTime: instance.LaunchTime,
    stateTransitionReason: instance.StateTransitionReason,
    tags,
    imageId: instance.ImageId,
    instanceLifecycle: instance.InstanceLifecycle,
  };
}

export interface ActionOutcome {
  readonly instanceId: string;
  readonly action: 'stop' | 'terminate';
  /** Undefined when the call succeeded. */
  readonly error?: string;
}

/**
 * Carries out the `stop`/`terminate` decisions, one API call per instance: a batch call fails as a whole
 * (one instance with termination protection, or one the tag-scoped IAM denies, would block the rest).
 * Never throws; each failure is reported in its outcome.
 */
export async function applyDecisions(
  ec2: Ec2Sender,
  decisions: readonly ReaperDecision[],
): Promise<ActionOutcome[]> {
  const outcomes: ActionOutcome[] = [];
  for (const decision of decisions) {
    if (decision.action === 'keep') continue;
    const action = decision.action;
    const input = { InstanceIds: [decision.instanceId] };
    try {
      if (action === 'stop') await ec2.send(new StopInstancesCommand(input));
      else await ec2.send(new TerminateInstancesCommand(input));
      outcomes.push({ instanceId: decision.instanceId, action });
    } catch (error) {
      outcomes.push({ instanceId: decision.instanceId, action, error: describeAwsError(error) });
    }
  }
  return outcomes;
}
