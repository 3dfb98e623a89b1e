import { AutoScalingClient, CompleteLifecycleActionCommand } from '@aws-sdk/client-auto-scaling';
import {
  DescribeInstanceInformationCommand,
  InvalidInstanceId,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';

import { handler, LifecycleActionEvent, readDrainConfig } from '../../lambda/controller-drain/index';
import { MAX_DRAIN_MINUTES, TERMINATE_ACTION_DETAIL_TYPE } from '../../lib/controller-replacement';
import { setEnv } from '../env';

const autoScaling = mockClient(AutoScalingClient);
const ssm = mockClient(SSMClient);

const INSTANCE = 'i-0123456789abcdef0';
const TOKEN = '87654321-4321-4321-4321-210987654321';
const TOPIC = 'arn:aws:sns:us-east-1:111122223333:JenkinsGpuTraining-AlarmTopic';
const ENV = { DRAIN_MINUTES: '20', ALERT_TOPIC_ARN: TOPIC, AWS_REGION: 'us-east-1' };

/** The event as EventBridge delivers it (Auto Scaling event reference, "EC2 Instance-terminate Lifecycle Action"). */
function terminateEvent(detail: Record<string, string> = {}): LifecycleActionEvent {
  return {
    'detail-type': TERMINATE_ACTION_DETAIL_TYPE,
    detail: {
      LifecycleActionToken: TOKEN,
      AutoScalingGroupName: 'JenkinsGpuTraining-ControllerAsgASG-1A2B3C',
      LifecycleHookName: 'JenkinsGpuTraining-DrainHook-4D5E6F',
      EC2InstanceId: INSTANCE,
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
      ...detail,
    },
  };
}

function agent(pingStatus?: 'Online' | 'ConnectionLost' | 'Inactive'): void {
  ssm
    .on(DescribeInstanceInformationCommand, { Filters: [{ Key: 'InstanceIds', Values: [INSTANCE] }] })
    .resolves({
      InstanceInformationList: pingStatus ? [{ InstanceId: INSTANCE, PingStatus: pingStatus }] : [],
    });
}

const completions = () =>
  autoScaling.commandCalls(CompleteLifecycleActionCommand).map((c) => c.args[0].input);
const EXPECTED_COMPLETION = {
  AutoScalingGroupName: 'JenkinsGpuTraining-ControllerAsgASG-1A2B3C',
  LifecycleHookName: 'JenkinsGpuTraining-DrainHook-4D5E6F',
  LifecycleActionToken: TOKEN,
  LifecycleActionResult: 'CONTINUE',
};

let restoreEnv: () => void;
beforeEach(() => {
  autoScaling.reset();
  ssm.reset();
  restoreEnv = setEnv(ENV);
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterEach(() => {
  restoreEnv();
  jest.restoreAllMocks();
});

describe('the drain handler', () => {
  test('a live controller: runs drain.sh through SSM with the event values and leaves completion to it', async () => {
    agent('Online');
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-1' } });

    const out = await handler(terminateEvent());

    expect(out).toEqual({ outcome: 'draining', commandId: 'cmd-1' });
    const sent = ssm.commandCalls(SendCommandCommand)[0].args[0].input;
    expect(sent.DocumentName).toBe('AWS-RunShellScript');
    expect(sent.InstanceIds).toEqual([INSTANCE]);
    expect(sent.Parameters?.commands).toEqual([
      `/opt/jenkins-gpu/bin/drain.sh --instance-id ${INSTANCE} --group JenkinsGpuTraining-ControllerAsgASG-1A2B3C ` +
        `--hook JenkinsGpuTraining-DrainHook-4D5E6F --token ${TOKEN} --minutes 20 --alert-topic ${TOPIC} --region us-east-1`,
    ]);
    // The drain's 20 minutes plus the 5-minute hand-over: the hook's own timeout.
    expect(sent.Parameters?.executionTimeout).toEqual(['1500']);
    expect(completions()).toHaveLength(0);
  });

  test.each([['ConnectionLost'], ['Inactive']] as const)(
    'a dead controller (SSM agent %s): completes the action at once, no command',
    async (status) => {
      agent(status);
      autoScaling.on(CompleteLifecycleActionCommand).resolves({});

      const out = await handler(terminateEvent());

      expect(out).toEqual({
        outcome: 'completed',
        reason: `the SSM agent of ${INSTANCE} is ${status}: nothing can drain it`,
      });
      expect(completions()).toEqual([EXPECTED_COMPLETION]);
      expect(ssm.commandCalls(SendCommandCommand)).toHaveLength(0);
    },
  );

  test('an instance SSM does not know: completes at once', async () => {
    agent(undefined);
    autoScaling.on(CompleteLifecycleActionCommand).resolves({});

    const out = await handler(terminateEvent());

    expect(out).toMatchObject({
      outcome: 'completed',
      reason: expect.stringContaining('not a managed node'),
    });
    expect(completions()).toEqual([EXPECTED_COMPLETION]);
  });

  test('SSM refuses the command for that instance (InvalidInstanceId): completes at once', async () => {
    agent('Online');
    ssm
      .on(SendCommandCommand)
      .rejects(
        new InvalidInstanceId({ $metadata: {}, message: 'Instances not in a valid state for account' }),
      );
    autoScaling.on(CompleteLifecycleActionCommand).resolves({});

    const out = await handler(terminateEvent());

    expect(out).toMatchObject({ outcome: 'completed' });
    expect(completions()).toEqual([EXPECTED_COMPLETION]);
  });

  test('any other SSM error is thrown (EventBridge retries; the hook timeout bounds it), nothing completed', async () => {
    agent('Online');
    ssm
      .on(SendCommandCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    await expect(handler(terminateEvent())).rejects.toThrow('Rate exceeded');
    expect(completions()).toHaveLength(0);
  });

  test('an action already ended (drain done or timed out) is not an error', async () => {
    agent('ConnectionLost');
    autoScaling.on(CompleteLifecycleActionCommand).rejects(
      Object.assign(new Error(`No active Lifecycle Action found with token ${TOKEN}`), {
        name: 'ValidationError',
      }),
    );

    await expect(handler(terminateEvent())).resolves.toMatchObject({ outcome: 'completed' });
  });

  test('other completion errors are thrown', async () => {
    agent('Inactive');
    autoScaling
      .on(CompleteLifecycleActionCommand)
      .rejects(Object.assign(new Error('User is not authorized'), { name: 'AccessDenied' }));

    await expect(handler(terminateEvent())).rejects.toThrow('not authorized');
  });

  test('refuses event values that would change the command line, before any call', async () => {
    await expect(handler(terminateEvent({ LifecycleActionToken: `${TOKEN.slice(0, 35)};` }))).rejects.toThrow(
      'lifecycle action event: LifecycleActionToken must match',
    );
    await expect(handler(terminateEvent({ LifecycleHookName: 'hook $(reboot)' }))).rejects.toThrow(
      'LifecycleHookName must match',
    );
    expect(ssm.calls()).toHaveLength(0);
    expect(autoScaling.calls()).toHaveLength(0);
  });

  test('ignores anything but a termination lifecycle action', async () => {
    const launch = { ...terminateEvent(), 'detail-type': 'EC2 Instance-launch Lifecycle Action' };

    await expect(handler(launch)).resolves.toMatchObject({ outcome: 'ignored' });
    expect(ssm.calls()).toHaveLength(0);
  });
});

describe('readDrainConfig', () => {
  test('names every problem at once', () => {
    expect(() => readDrainConfig({ DRAIN_MINUTES: '0', ALERT_TOPIC_ARN: 'topic', AWS_REGION: '' })).toThrow(
      "Controller drain configuration: DRAIN_MINUTES must be an integer from 1 to 25 (got '0'); ALERT_TOPIC_ARN must be an SNS topic ARN (got 'topic'); AWS_REGION must be a region name (got '')",
    );
  });

  test('accepts the drains ControllerDrain can set, and no longer one', () => {
    expect(readDrainConfig({ ...ENV, DRAIN_MINUTES: String(MAX_DRAIN_MINUTES) }).drainMinutes).toBe(
      MAX_DRAIN_MINUTES,
    );
    expect(() => readDrainConfig({ ...ENV, DRAIN_MINUTES: String(MAX_DRAIN_MINUTES + 1) })).toThrow(
      `DRAIN_MINUTES must be an integer from 1 to ${MAX_DRAIN_MINUTES} (got '${MAX_DRAIN_MINUTES + 1}')`,
    );
  });
});
