import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import {
  GetCommandInvocationCommand,
  InvocationDoesNotExist,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { ERROR_TAIL_CHARS, isComplete, onEvent, ProviderEvent } from '../../lambda/apply-config/index';

const asg = mockClient(AutoScalingClient);
const ssm = mockClient(SSMClient);
const DIGEST = 'ab'.repeat(32);

function event(requestType: ProviderEvent['RequestType'], data?: Record<string, string>): ProviderEvent {
  return {
    RequestType: requestType,
    PhysicalResourceId: requestType === 'Create' ? undefined : 'controller-config',
    ResourceProperties: {
      AutoScalingGroupName: 'jg-controller',
      Digest: DIGEST,
      ParameterName: '/jg/controller/config',
      TimeoutSeconds: '900',
    },
    Data: data,
  };
}

function groupWith(instances: Array<{ id: string; state: string }>): void {
  asg.on(DescribeAutoScalingGroupsCommand, { AutoScalingGroupNames: ['jg-controller'] }).resolves({
    AutoScalingGroups: [
      {
        AutoScalingGroupName: 'jg-controller',
        Instances: instances.map((i) => ({ InstanceId: i.id, LifecycleState: i.state as 'InService' })),
      } as never,
    ],
  });
}

beforeEach(() => {
  asg.reset();
  ssm.reset();
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});

afterEach(() => {
  jest.restoreAllMocks();
});

describe('onEvent', () => {
  test('no running controller: success without a command, the next boot reads the parameter', async () => {
    groupWith([{ id: 'i-pending', state: 'Pending' }]);

    const out = await onEvent(event('Create'));

    expect(out).toEqual({
      PhysicalResourceId: 'controller-config',
      Data: { Applied: 'no-running-controller' },
    });
    expect(ssm.commandCalls(SendCommandCommand)).toHaveLength(0);
  });

  test.each(['Create', 'Update'] as const)(
    '%s sends apply-config.sh to the InService instance',
    async (type) => {
      groupWith([
        { id: 'i-old', state: 'Terminating' },
        { id: 'i-live', state: 'InService' },
      ]);
      ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-1' } });

      const out = await onEvent(event(type));

      expect(out).toEqual({
        PhysicalResourceId: 'controller-config',
        Data: { CommandId: 'cmd-1', InstanceId: 'i-live' },
      });
      const calls = ssm.commandCalls(SendCommandCommand);
      expect(calls).toHaveLength(1);
      expect(calls[0].args[0].input).toMatchObject({
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: ['i-live'],
        Parameters: {
          commands: [`/opt/jenkins-gpu/bin/apply-config.sh --expect-digest ${DIGEST}`],
          executionTimeout: ['900'],
        },
      });
    },
  );

  test('Delete is a no-op', async () => {
    const out = await onEvent(event('Delete'));

    expect(out).toEqual({ PhysicalResourceId: 'controller-config' });
    expect(asg.calls()).toHaveLength(0);
    expect(ssm.calls()).toHaveLength(0);
  });

  test('a digest that is not a sha256 hex is refused (it goes into a shell command)', async () => {
    const bad = event('Update');
    const props = { ...bad.ResourceProperties, Digest: `${DIGEST}; rm -rf /` };

    await expect(onEvent({ ...bad, ResourceProperties: props })).rejects.toThrow(
      'Digest must be a sha256 hex',
    );
    expect(ssm.calls()).toHaveLength(0);
  });

  test('missing Auto Scaling group is an error', async () => {
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });

    await expect(onEvent(event('Create'))).rejects.toThrow('Auto Scaling group jg-controller not found');
  });
});

describe('isComplete', () => {
  const sent = { CommandId: 'cmd-1', InstanceId: 'i-live' };

  test('no command was sent: complete', async () => {
    expect(await isComplete(event('Create', { Applied: 'no-running-controller' }))).toEqual({
      IsComplete: true,
    });
    expect(ssm.calls()).toHaveLength(0);
  });

  test('Success: complete', async () => {
    ssm.on(GetCommandInvocationCommand, sent).resolves({ Status: 'Success' });

    const out = await isComplete(event('Update', sent));

    expect(out.IsComplete).toBe(true);
  });

  test.each(['Pending', 'InProgress', 'Delayed'])('%s: not complete yet', async (status) => {
    ssm.on(GetCommandInvocationCommand).resolves({ Status: status as 'Pending' });

    expect(await isComplete(event('Update', sent))).toEqual({ IsComplete: false });
  });

  test('InvocationDoesNotExist right after sending: not complete yet', async () => {
    ssm.on(GetCommandInvocationCommand).rejects(new InvocationDoesNotExist({ message: 'no', $metadata: {} }));

    expect(await isComplete(event('Update', sent))).toEqual({ IsComplete: false });
  });

  test('other SDK errors propagate', async () => {
    ssm.on(GetCommandInvocationCommand).rejects(new Error('AccessDenied'));

    await expect(isComplete(event('Update', sent))).rejects.toThrow('AccessDenied');
  });

  test.each(['Failed', 'Cancelled', 'TimedOut'])(
    '%s: throws with the tail of the output (Jenkins message)',
    async (status) => {
      // apply-config.sh's last line for a YAML JCasC rejects (reply shape: test/scripts/jenkins-replies.ts).
      const jenkinsMessage =
        '[apply-config] ERROR: Jenkins rejected the configuration: Failed to reload configuration: No configurator found for the following root element: clouds2.';
      ssm.on(GetCommandInvocationCommand).resolves({
        Status: status as 'Failed',
        StatusDetails: status,
        StandardOutputContent: '',
        StandardErrorContent: `${'x'.repeat(5000)}\n${jenkinsMessage}`,
      });

      const err = await isComplete(event('Update', sent)).then(
        () => undefined,
        (e: Error) => e,
      );

      expect(err).toBeInstanceOf(Error);
      expect(err!.message).toContain(jenkinsMessage);
      expect(err!.message).toContain(status);
      expect(err!.message.length).toBeLessThan(ERROR_TAIL_CHARS + 200);
    },
  );

  test('stdout is included too', async () => {
    ssm.on(GetCommandInvocationCommand).resolves({
      Status: 'Failed',
      StandardOutputContent: 'parameter holds digest X, deploy expected Y',
    });

    await expect(isComplete(event('Update', sent))).rejects.toThrow(
      'parameter holds digest X, deploy expected Y',
    );
  });

  test('logs are structured JSON', async () => {
    ssm.on(GetCommandInvocationCommand).resolves({ Status: 'InProgress' });

    await isComplete(event('Update', sent));

    const lines = (console.log as jest.Mock).mock.calls.map((c) => c[0] as string);
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      expect(() => JSON.parse(line)).not.toThrow();
    }
  });
});
