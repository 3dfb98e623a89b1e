import { AutoScalingClient, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeInstanceInformationCommand,
  GetCommandInvocationCommand,
  InvocationDoesNotExist,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';

import {
  ApplyConfigEvent,
  DELIVERY_TIMEOUT_SECONDS,
  ERROR_TAIL_CHARS,
  isComplete,
  onEvent,
} from '../../lambda/apply-config/index';
import { APPLY_TIMEOUT_MINUTES, applyCommandTimeoutSeconds } from '../../lib/contracts';

const asg = mockClient(AutoScalingClient);
const cfn = mockClient(CloudFormationClient);
const ssm = mockClient(SSMClient);
const DIGEST = 'ab'.repeat(32);
const STACK_ID =
  'arn:aws:cloudformation:us-east-1:111122223333:stack/jg/0a1b2c3d-0000-4000-8000-000000000000';

function event(
  requestType: ApplyConfigEvent['RequestType'],
  data?: Record<string, string>,
): ApplyConfigEvent {
  return {
    RequestType: requestType,
    StackId: STACK_ID,
    PhysicalResourceId: requestType === 'Create' ? undefined : 'controller-config',
    ResourceProperties: {
      AutoScalingGroupName: 'jg-controller',
      Digest: DIGEST,
      ParameterName: '/jg/controller/config',
      ParameterValue: '{"bundle":{}}',
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

/** The stack's status as DescribeStacks reports it while this event runs. */
function stackIs(status: string): void {
  cfn.on(DescribeStacksCommand, { StackName: STACK_ID }).resolves({
    Stacks: [{ StackName: 'jg', StackStatus: status as 'UPDATE_IN_PROGRESS', CreationTime: new Date(0) }],
  });
}

/** The SSM agent's PingStatus (DescribeInstanceInformation lists only registered managed nodes). */
function agentIs(status: 'Online' | 'ConnectionLost' | undefined, id = 'i-live'): void {
  ssm.on(DescribeInstanceInformationCommand, { Filters: [{ Key: 'InstanceIds', Values: [id] }] }).resolves({
    InstanceInformationList: status ? [{ InstanceId: id, PingStatus: status }] : [],
  });
}

beforeEach(() => {
  asg.reset();
  cfn.reset();
  ssm.reset();
  stackIs('UPDATE_IN_PROGRESS');
  agentIs('Online');
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
      Data: { Applied: 'no-running-controller', RollingBack: 'no' },
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
        Data: { CommandId: 'cmd-1', InstanceId: 'i-live', Deadline: expect.any(String), RollingBack: 'no' },
      });
      const calls = ssm.commandCalls(SendCommandCommand);
      expect(calls).toHaveLength(1);
      // The 900 s budget: at most 120 s for an agent to pick the command up, the rest to run it.
      expect(calls[0].args[0].input).toMatchObject({
        DocumentName: 'AWS-RunShellScript',
        InstanceIds: ['i-live'],
        TimeoutSeconds: DELIVERY_TIMEOUT_SECONDS,
        Parameters: {
          commands: [`/opt/jenkins-gpu/bin/apply-config.sh --expect-digest ${DIGEST}`],
          executionTimeout: [String(900 - DELIVERY_TIMEOUT_SECONDS)],
        },
      });
      const deadline = Number(out.Data!.Deadline);
      expect(deadline).toBeGreaterThan(Date.now() + 899_000);
      expect(deadline).toBeLessThan(Date.now() + 960_000);
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

  test.each([
    [applyCommandTimeoutSeconds(APPLY_TIMEOUT_MINUTES.min) - 1, 'one second under the shortest apply'],
    [applyCommandTimeoutSeconds(APPLY_TIMEOUT_MINUTES.max) + 1, 'one second over the longest apply'],
  ])('TimeoutSeconds %s (%s) is refused: the budget ControllerConfig can set', async (seconds) => {
    const bad = event('Update');
    const props = { ...bad.ResourceProperties, TimeoutSeconds: String(seconds) };

    await expect(onEvent({ ...bad, ResourceProperties: props })).rejects.toThrow(
      `TimeoutSeconds must be an integer between ${applyCommandTimeoutSeconds(APPLY_TIMEOUT_MINUTES.min)} and ${applyCommandTimeoutSeconds(APPLY_TIMEOUT_MINUTES.max)}, got '${seconds}'`,
    );
    expect(ssm.calls()).toHaveLength(0);
  });

  test('missing Auto Scaling group is an error', async () => {
    asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });

    await expect(onEvent(event('Create'))).rejects.toThrow('Auto Scaling group jg-controller not found');
  });

  test.each([
    ['ConnectionLost', 'ConnectionLost'],
    ['not registered yet', undefined],
  ] as const)(
    'an InService controller whose SSM agent is %s: applied at boot, no command sent',
    async (said, status) => {
      groupWith([{ id: 'i-live', state: 'InService' }]);
      agentIs(status);

      const out = await onEvent(event('Update'));

      expect(out.Data).toMatchObject({ Applied: 'at-boot', RollingBack: 'no' });
      expect(out.Data!.Reason).toBe(
        `the SSM agent of i-live is ${said}: the controller is booting, and its boot applies the parameter`,
      );
      expect(ssm.commandCalls(SendCommandCommand)).toHaveLength(0);
    },
  );

  test('during a stack rollback the previous bundle is still sent, and marked as a rollback', async () => {
    stackIs('UPDATE_ROLLBACK_IN_PROGRESS');
    groupWith([{ id: 'i-live', state: 'InService' }]);
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-1' } });

    const out = await onEvent(event('Update'));

    expect(out.Data).toMatchObject({ CommandId: 'cmd-1', RollingBack: 'yes' });
  });

  test('during a stack rollback an error does not fail the event (no UPDATE_ROLLBACK_FAILED)', async () => {
    stackIs('UPDATE_ROLLBACK_IN_PROGRESS');
    asg.on(DescribeAutoScalingGroupsCommand).rejects(new Error('Rate exceeded'));

    const out = await onEvent(event('Update'));

    expect(out).toEqual({
      PhysicalResourceId: 'controller-config',
      Data: { Applied: 'not-during-rollback', Reason: 'Rate exceeded' },
    });
  });

  test('outside a rollback the same error fails the update', async () => {
    asg.on(DescribeAutoScalingGroupsCommand).rejects(new Error('Rate exceeded'));

    await expect(onEvent(event('Update'))).rejects.toThrow('Rate exceeded');
    expect(cfn.commandCalls(DescribeStacksCommand)[0].args[0].input).toEqual({ StackName: STACK_ID });
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

  test.each(['Failed', 'Cancelled', 'TimedOut', 'DeliveryTimedOut'])(
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

  test('apply-config.sh exits 75 (the controller is still booting): applied at boot, complete', async () => {
    ssm.on(GetCommandInvocationCommand).resolves({
      Status: 'Failed',
      ResponseCode: 75,
      StandardErrorContent: '[apply-config] the controller is still booting (no active release after 900s)',
    });

    const out = await isComplete(event('Update', sent));

    expect(out).toEqual({
      IsComplete: true,
      Data: {
        Applied: 'at-boot',
        Reason: 'the controller i-live is still booting: its boot applies the parameter',
      },
    });
  });

  test('any other exit code fails', async () => {
    ssm.on(GetCommandInvocationCommand).resolves({ Status: 'Failed', ResponseCode: 1 });

    await expect(isComplete(event('Update', sent))).rejects.toThrow(
      'apply-config on the controller ended Failed',
    );
  });

  test('a command still running after its deadline fails the update with where to look', async () => {
    ssm.on(GetCommandInvocationCommand).resolves({ Status: 'InProgress' });
    const late = { ...sent, Deadline: String(Date.now() - 1000) };

    await expect(isComplete(event('Update', late))).rejects.toThrow(
      /did not finish by its deadline .*see command cmd-1 in the SSM Run Command history/,
    );
  });

  test('before the deadline it keeps waiting', async () => {
    ssm.on(GetCommandInvocationCommand).resolves({ Status: 'InProgress' });

    expect(await isComplete(event('Update', { ...sent, Deadline: String(Date.now() + 60_000) }))).toEqual({
      IsComplete: false,
    });
  });

  test.each([
    ['a rejected bundle', { Status: 'Failed', StandardErrorContent: 'Jenkins rejected the configuration' }],
    ['a command past its deadline', { Status: 'InProgress' }],
  ] as const)('during a rollback %s completes with the reason instead of failing', async (_what, reply) => {
    ssm.on(GetCommandInvocationCommand).resolves(reply as never);
    const rollback = { ...sent, RollingBack: 'yes', Deadline: String(Date.now() - 1000) };

    const out = await isComplete(event('Update', rollback));

    expect(out.IsComplete).toBe(true);
    expect(out.Data?.Applied).toBe('not-during-rollback');
    expect(out.Data?.Reason).toMatch(/Jenkins rejected the configuration|did not finish by its deadline/);
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
