import { CloudFormationClient, DescribeStacksCommand, StackStatus } from '@aws-sdk/client-cloudformation';
import {
  DescribeInstancesCommand,
  EC2Client,
  Instance,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';

import { FleetTeardownEvent, isComplete, onEvent } from '../../lambda/fleet-teardown/index';

const ec2 = mockClient(EC2Client);
const cfn = mockClient(CloudFormationClient);
const STACK_ID = 'arn:aws:cloudformation:us-east-1:111122223333:stack/JenkinsGpuTraining/0f1e2d3c';

function event(
  requestType: FleetTeardownEvent['RequestType'],
  data?: Record<string, string>,
): FleetTeardownEvent {
  return {
    RequestType: requestType,
    StackId: STACK_ID,
    PhysicalResourceId: requestType === 'Create' ? undefined : 'fleet-teardown:JenkinsGpuTraining',
    ResourceProperties: { FleetTagValue: 'JenkinsGpuTraining' },
    Data: data,
  };
}

function worker(id: string, state: string, tags: Record<string, string> = {}): Instance {
  return {
    InstanceId: id,
    InstanceType: 'g4dn.xlarge',
    State: { Name: state as never },
    Tags: Object.entries({ 'jenkins-gpu:fleet': 'JenkinsGpuTraining', ...tags }).map(([Key, Value]) => ({
      Key,
      Value,
    })),
  };
}

function stackIs(status: StackStatus): void {
  cfn.on(DescribeStacksCommand, { StackName: STACK_ID }).resolves({
    Stacks: [{ StackName: 'JenkinsGpuTraining', StackStatus: status, CreationTime: new Date() }],
  });
}

const terminated = () => ec2.commandCalls(TerminateInstancesCommand).map((c) => c.args[0].input.InstanceIds);

beforeEach(() => {
  ec2.reset();
  cfn.reset();
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterEach(() => jest.restoreAllMocks());

describe('onEvent', () => {
  test('Create and Update do nothing, and keep one physical id (a new id would delete the old resource)', async () => {
    expect(await onEvent(event('Create'))).toEqual({
      PhysicalResourceId: 'fleet-teardown:JenkinsGpuTraining',
    });
    expect(await onEvent(event('Update'))).toEqual({
      PhysicalResourceId: 'fleet-teardown:JenkinsGpuTraining',
    });
    expect(ec2.calls()).toHaveLength(0);
    expect(cfn.calls()).toHaveLength(0);
  });

  test('stack delete: every page of the fleet, every state but terminated, one terminate call each', async () => {
    stackIs('DELETE_IN_PROGRESS');
    ec2
      .on(DescribeInstancesCommand)
      .resolvesOnce({
        Reservations: [{ Instances: [worker('i-running', 'running'), worker('i-stopped', 'stopped')] }],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        Reservations: [{ Instances: [worker('i-pending', 'pending'), worker('i-stopping', 'stopping')] }],
        NextToken: 'page-3',
      })
      .resolvesOnce({ Reservations: [{ Instances: [worker('i-going', 'shutting-down')] }] });
    ec2.on(TerminateInstancesCommand).resolves({});

    const out = await onEvent(event('Delete'));

    const describes = ec2.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input);
    expect(describes.map((d) => d.NextToken)).toEqual([undefined, 'page-2', 'page-3']);
    expect(describes[0].Filters).toEqual([
      { Name: 'tag:jenkins-gpu:fleet', Values: ['JenkinsGpuTraining'] },
      { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped', 'shutting-down'] },
    ]);
    // A worker already shutting down needs no second call; its network interface goes with it.
    expect(terminated()).toEqual([['i-running'], ['i-stopped'], ['i-pending'], ['i-stopping']]);
    expect(out).toEqual({
      PhysicalResourceId: 'fleet-teardown:JenkinsGpuTraining',
      Data: { Teardown: 'started', Terminated: '4' },
    });
  });

  test('a failed create being rolled back takes its workers too', async () => {
    stackIs('ROLLBACK_IN_PROGRESS');
    ec2
      .on(DescribeInstancesCommand)
      .resolves({ Reservations: [{ Instances: [worker('i-early', 'running')] }] });
    ec2.on(TerminateInstancesCommand).resolves({});

    await onEvent(event('Delete'));

    expect(terminated()).toEqual([['i-early']]);
  });

  test.each(['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS'] as const)(
    'a delete of this resource during an update (%s) leaves the fleet alone',
    async (status) => {
      stackIs(status);

      const out = await onEvent(event('Delete'));

      expect(out.Data).toEqual({ Teardown: 'skipped' });
      expect(ec2.calls()).toHaveLength(0);
      expect(await isComplete(event('Delete', out.Data))).toEqual({ IsComplete: true });
      expect(ec2.calls()).toHaveLength(0);
    },
  );

  test('never terminates the controller, even if it carried the fleet tag', async () => {
    stackIs('DELETE_IN_PROGRESS');
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            worker('i-controller', 'running', { 'jenkins-gpu:role': 'controller' }),
            worker('i-w', 'stopped'),
          ],
        },
      ],
    });
    ec2.on(TerminateInstancesCommand).resolves({});

    await onEvent(event('Delete'));

    expect(terminated()).toEqual([['i-w']]);
  });

  test('an instance EC2 no longer knows is gone, not an error', async () => {
    stackIs('DELETE_IN_PROGRESS');
    ec2
      .on(DescribeInstancesCommand)
      .resolves({ Reservations: [{ Instances: [worker('i-gone', 'stopped')] }] });
    ec2.on(TerminateInstancesCommand).rejects(
      Object.assign(new Error("The instance ID 'i-gone' does not exist"), {
        name: 'InvalidInstanceID.NotFound',
      }),
    );

    await expect(onEvent(event('Delete'))).resolves.toMatchObject({ Data: { Teardown: 'started' } });
  });

  test('a worker that cannot be terminated fails the delete with its id and reason; the others are terminated', async () => {
    stackIs('DELETE_IN_PROGRESS');
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: [worker('i-protected', 'stopped'), worker('i-ok', 'running')] }],
    });
    ec2
      .on(TerminateInstancesCommand, { InstanceIds: ['i-protected'] })
      .rejects(
        Object.assign(
          new Error('The instance may not be terminated. Modify its disableApiTermination attribute'),
          {
            name: 'OperationNotPermitted',
          },
        ),
      )
      .on(TerminateInstancesCommand, { InstanceIds: ['i-ok'] })
      .resolves({});

    await expect(onEvent(event('Delete'))).rejects.toThrow(
      'could not terminate GPU worker(s) i-protected (OperationNotPermitted: The instance may not be terminated. Modify its disableApiTermination attribute): terminate them yourself (npm run workers -- list), then delete the stack again',
    );
    expect(terminated()).toEqual([['i-protected'], ['i-ok']]);
  });

  test('refuses a missing or odd fleet tag value', async () => {
    const bad = { ...event('Delete'), ResourceProperties: { FleetTagValue: '' } };
    await expect(onEvent(bad)).rejects.toThrow('FleetTagValue must be a tag value (got "")');
    expect(ec2.calls()).toHaveLength(0);
  });
});

describe('isComplete', () => {
  const started = { Teardown: 'started', Terminated: '2' };

  test('waits while a worker is shutting down, without terminating it again', async () => {
    ec2
      .on(DescribeInstancesCommand)
      .resolves({ Reservations: [{ Instances: [worker('i-a', 'shutting-down')] }] });

    expect(await isComplete(event('Delete', started))).toEqual({ IsComplete: false });
    expect(terminated()).toEqual([]);
  });

  test('terminates a worker that appeared since (launched by a controller still running) and keeps waiting', async () => {
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [{ Instances: [worker('i-a', 'shutting-down'), worker('i-late', 'pending')] }],
    });
    ec2.on(TerminateInstancesCommand).resolves({});

    expect(await isComplete(event('Delete', started))).toEqual({ IsComplete: false });
    expect(terminated()).toEqual([['i-late']]);
  });

  test('done when no worker of the fleet is left (terminated ones are not listed)', async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });

    expect(await isComplete(event('Delete', started))).toEqual({ IsComplete: true });
  });

  test('Create and Update are complete at once', async () => {
    expect(await isComplete(event('Create'))).toEqual({ IsComplete: true });
    expect(await isComplete(event('Update'))).toEqual({ IsComplete: true });
    expect(ec2.calls()).toHaveLength(0);
  });

  test('a describe error is thrown (the framework retries until its total timeout)', async () => {
    ec2
      .on(DescribeInstancesCommand)
      .rejects(Object.assign(new Error('Request limit exceeded.'), { name: 'RequestLimitExceeded' }));

    await expect(isComplete(event('Delete', started))).rejects.toThrow('Request limit exceeded.');
  });
});
