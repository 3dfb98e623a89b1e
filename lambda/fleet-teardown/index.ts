/**
 * Custom resource (CDK Provider framework: onEvent + isComplete) that takes the GPU workers down with the
 * stack. The EC2 plugin's workers are no CloudFormation resources: a stopped one keeps its 200 GiB root
 * volume forever, and their network interfaces keep the workers' security group and the subnets in use, so
 * the stack's delete fails. When the stack is deleted this terminates every instance tagged
 * `jenkins-gpu:fleet=<fleet>` (pending, running, stopping or stopped; the root volumes are
 * deleteOnTermination) and waits until none is left; Create and Update do nothing.
 *
 * A Delete that is not the stack's own (this resource replaced by an update, or removed by an update's
 * rollback) must never touch a working fleet: it acts only while the stack is DELETE_IN_PROGRESS or
 * ROLLBACK_IN_PROGRESS (a failed create being removed). Must not import aws-cdk-lib.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { EC2Client } from '@aws-sdk/client-ec2';

import {
  CONTROLLER_ROLE,
  type FleetTeardownResourceProperties,
  ROLE_TAG_KEY,
  TAG_VALUE_PATTERN,
} from '../../lib/contracts';
import { InstanceFacts } from '../../lib/cost/decide';
import { applyDecisions, describeFleetInstances, WATCHED_STATES } from '../../lib/cost/fleet-instances';
import { log } from '../shared/log';
import type { IsCompleteResponse, OnEventResponse, ProviderEvent } from '../shared/provider';

/** Stack states in which the whole stack, workers included, is going away. */
const TEARDOWN_STACK_STATUSES = ['DELETE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS'];
/** Not terminated yet: an instance `shutting-down` still holds its network interface. */
const NOT_TERMINATED_STATES = [...WATCHED_STATES, 'shutting-down'];

const ec2 = new EC2Client({});
const cloudFormation = new CloudFormationClient({});

export type FleetTeardownEvent = ProviderEvent<FleetTeardownResourceProperties>;

function fleetTagOf(event: FleetTeardownEvent): string {
  const value = event.ResourceProperties?.FleetTagValue;
  if (typeof value !== 'string' || !TAG_VALUE_PATTERN.test(value)) {
    throw new Error(`FleetTagValue must be a tag value (got ${JSON.stringify(value)})`);
  }
  return value;
}

async function stackStatus(stackId: string): Promise<string> {
  const out = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackId }));
  return out.Stacks?.[0]?.StackStatus ?? 'UNKNOWN';
}

/** The fleet's instances not terminated yet; the controller is never one of them. */
async function remainingWorkers(fleetTagValue: string): Promise<InstanceFacts[]> {
  const instances = await describeFleetInstances(ec2, fleetTagValue, NOT_TERMINATED_STATES);
  return instances.filter((i) => i.tags[ROLE_TAG_KEY] !== CONTROLLER_ROLE);
}

/**
 * Terminates each of `workers` that is not shutting down already, one call per instance (a batch call fails
 * as a whole). An instance EC2 no longer knows is gone; any other failure fails the delete, naming them.
 */
async function terminate(workers: readonly InstanceFacts[]): Promise<string[]> {
  const targets = workers.filter((w) => w.state !== 'shutting-down');
  const outcomes = await applyDecisions(
    ec2,
    targets.map((w) => ({ instanceId: w.instanceId, action: 'terminate' as const, reason: 'stack deleted' })),
  );
  const failed = outcomes.filter((o) => o.error && !/InvalidInstanceID\.NotFound/.test(o.error));
  if (failed.length > 0) {
    const list = failed.map((o) => `${o.instanceId} (${o.error})`).join(', ');
    throw new Error(
      `could not terminate GPU worker(s) ${list}: terminate them yourself (npm run workers -- list), then delete the stack again`,
    );
  }
  return targets.map((w) => w.instanceId);
}

export async function onEvent(event: FleetTeardownEvent): Promise<OnEventResponse> {
  const fleet = fleetTagOf(event);
  const physicalId = event.PhysicalResourceId ?? `fleet-teardown:${fleet}`;
  if (event.RequestType !== 'Delete') return { PhysicalResourceId: physicalId };
  const status = await stackStatus(event.StackId);
  if (!TEARDOWN_STACK_STATUSES.includes(status)) {
    log('info', 'not the stack being deleted: the fleet stays', { fleet, stackStatus: status });
    return { PhysicalResourceId: physicalId, Data: { Teardown: 'skipped' } };
  }
  const terminated = await terminate(await remainingWorkers(fleet));
  log('info', 'terminating the GPU workers', { fleet, stackStatus: status, terminated });
  return {
    PhysicalResourceId: physicalId,
    Data: { Teardown: 'started', Terminated: String(terminated.length) },
  };
}

/** Done when no worker of the fleet is left; one launched meanwhile is terminated too. */
export async function isComplete(event: FleetTeardownEvent): Promise<IsCompleteResponse> {
  if (event.RequestType !== 'Delete' || event.Data?.Teardown !== 'started') return { IsComplete: true };
  const fleet = fleetTagOf(event);
  const remaining = await remainingWorkers(fleet);
  const terminatedNow = await terminate(remaining);
  log('info', 'waiting for GPU workers to terminate', {
    fleet,
    remaining: remaining.map((w) => `${w.instanceId}:${w.state}`),
    terminatedNow,
  });
  return { IsComplete: remaining.length === 0 };
}
