import {
  DescribeInstancesCommand,
  EC2Client,
  Instance,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { mockClient } from 'aws-sdk-client-mock';

import { createReaperEc2Client, readReaperConfig, ReaperConfig, runReaper } from '../../lambda/reaper/index';

const NOW = new Date('2026-07-20T12:00:00.000Z');
const HOUR = 3_600_000;

const config: ReaperConfig = {
  fleetTagValue: 'fleet-a',
  maxRunningHours: 5.5,
  busyGraceMinutes: 20,
  maxBusyHours: 96,
  maxStoppedDays: 7,
  currentAmiIds: ['ami-current'],
  dryRun: false,
};

function instance(id: string, overrides: Partial<Instance> = {}): Instance {
  return {
    InstanceId: id,
    InstanceType: 'g4dn.xlarge',
    ImageId: 'ami-current',
    State: { Name: 'running' },
    LaunchTime: new Date(NOW.getTime() - HOUR),
    Tags: [
      { Key: 'jenkins-gpu:fleet', Value: 'fleet-a' },
      { Key: 'jenkins-gpu:template', Value: 'gpu-small' },
    ],
    ...overrides,
  };
}

const overdue = (id: string) => instance(id, { LaunchTime: new Date(NOW.getTime() - 6 * HOUR) });

function run(ec2: EC2Client, overrides: Partial<ReaperConfig> = {}) {
  const lines: string[] = [];
  const report = runReaper({
    ec2,
    config: { ...config, ...overrides },
    now: () => NOW,
    log: (l) => lines.push(l),
  });
  return { report, lines };
}

describe('runReaper with a mocked EC2 client', () => {
  const ec2Mock = mockClient(EC2Client);
  beforeEach(() => ec2Mock.reset());
  afterAll(() => ec2Mock.restore());

  it('reads every page with the fleet and state filters, and stops only the overdue worker', async () => {
    ec2Mock
      .on(DescribeInstancesCommand)
      .resolvesOnce({ Reservations: [{ Instances: [instance('i-page1')] }], NextToken: 'page-2' })
      .resolvesOnce({ Reservations: [{ Instances: [overdue('i-page2')] }], NextToken: 'page-3' })
      .resolvesOnce({ Reservations: [{ Instances: [instance('i-page3', { InstanceType: 'g5.xlarge' })] }] });
    ec2Mock.on(StopInstancesCommand).resolves({});

    const { report } = run(new EC2Client({}));
    const result = await report;

    const describeCalls = ec2Mock.commandCalls(DescribeInstancesCommand);
    expect(describeCalls.map((c) => c.args[0].input.NextToken)).toEqual([undefined, 'page-2', 'page-3']);
    expect(describeCalls[0].args[0].input.Filters).toEqual([
      { Name: 'tag:jenkins-gpu:fleet', Values: ['fleet-a'] },
      { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
    ]);
    expect(ec2Mock.commandCalls(StopInstancesCommand).map((c) => c.args[0].input.InstanceIds)).toEqual([
      ['i-page2'],
    ]);
    expect(ec2Mock.commandCalls(TerminateInstancesCommand)).toHaveLength(0);
    expect(result).toMatchObject({ runningWorkers: 3, estimatedHourlyCostUsd: 2.058, failures: 0 });
  });

  it('logs one JSON decision per instance and an EMF summary', async () => {
    ec2Mock
      .on(DescribeInstancesCommand)
      .resolves({ Reservations: [{ Instances: [instance('i-1'), overdue('i-2')] }] });
    ec2Mock.on(StopInstancesCommand).resolves({});
    const { report, lines } = run(new EC2Client({}));
    await report;

    const parsed = lines.map((l) => JSON.parse(l));
    expect(parsed.filter((p) => p.msg === 'decision').map((p) => [p.instanceId, p.action])).toEqual([
      ['i-1', 'keep'],
      ['i-2', 'stop'],
    ]);
    const emf = parsed.find((p) => p._aws);
    expect(emf).toMatchObject({
      _aws: {
        Timestamp: NOW.getTime(),
        CloudWatchMetrics: [
          {
            Namespace: 'JenkinsGpu',
            Dimensions: [['Fleet']],
            Metrics: expect.arrayContaining([
              { Name: 'RunningWorkers', Unit: 'Count' },
              { Name: 'EstimatedHourlyCost', Unit: 'None' },
            ]),
          },
        ],
      },
      Fleet: 'fleet-a',
      RunningWorkers: 2,
      EstimatedHourlyCost: 1.052,
    });
  });

  it('keeps going after one failing stop and reports the failure', async () => {
    ec2Mock.on(DescribeInstancesCommand).resolves({
      Reservations: [
        { Instances: [overdue('i-fails'), overdue('i-ok')] },
        {
          Instances: [
            instance('i-old-ami', {
              State: { Name: 'stopped' },
              ImageId: 'ami-old',
              StateTransitionReason: 'User initiated (2026-07-20 11:00:00 GMT)',
            }),
          ],
        },
      ],
    });
    ec2Mock
      .on(StopInstancesCommand, { InstanceIds: ['i-fails'] })
      .rejects(Object.assign(new Error('not allowed'), { name: 'UnauthorizedOperation' }))
      .on(StopInstancesCommand, { InstanceIds: ['i-ok'] })
      .resolves({});
    ec2Mock.on(TerminateInstancesCommand).resolves({});

    const { report, lines } = run(new EC2Client({}));
    const result = await report;

    expect(ec2Mock.commandCalls(StopInstancesCommand).map((c) => c.args[0].input.InstanceIds)).toEqual([
      ['i-fails'],
      ['i-ok'],
    ]);
    expect(ec2Mock.commandCalls(TerminateInstancesCommand).map((c) => c.args[0].input.InstanceIds)).toEqual([
      ['i-old-ami'],
    ]);
    expect(result.failures).toBe(1);
    expect(result.actions).toEqual([
      { instanceId: 'i-fails', action: 'stop', error: 'UnauthorizedOperation: not allowed' },
      { instanceId: 'i-ok', action: 'stop' },
      { instanceId: 'i-old-ami', action: 'terminate' },
    ]);
    const errorLine = lines.map((l) => JSON.parse(l)).find((p) => p.level === 'error');
    expect(errorLine).toMatchObject({ msg: 'action', instanceId: 'i-fails' });
    expect(lines.map((l) => JSON.parse(l)).find((p) => p._aws).ReaperActionFailures).toBe(1);
  });

  it('terminates an overdue spot worker instead of stopping it, and keeps an overdue busy one', async () => {
    const tags = instance('x').Tags!;
    ec2Mock.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            instance('i-spot', { InstanceLifecycle: 'spot', LaunchTime: new Date(NOW.getTime() - 6 * HOUR) }),
            instance('i-busy', {
              LaunchTime: new Date(NOW.getTime() - 30 * HOUR),
              Tags: [...tags, { Key: 'jenkins-gpu:busy-at', Value: '2026-07-20T11:50:00Z' }],
            }),
            instance('i-stale', {
              LaunchTime: new Date(NOW.getTime() - 30 * HOUR),
              Tags: [...tags, { Key: 'jenkins-gpu:busy-at', Value: '2026-07-20T11:39:59Z' }],
            }),
          ],
        },
      ],
    });
    ec2Mock.on(StopInstancesCommand).resolves({});
    ec2Mock.on(TerminateInstancesCommand).resolves({});

    const { report, lines } = run(new EC2Client({}));
    const result = await report;

    expect(ec2Mock.commandCalls(StopInstancesCommand).map((c) => c.args[0].input.InstanceIds)).toEqual([
      ['i-stale'],
    ]);
    expect(ec2Mock.commandCalls(TerminateInstancesCommand).map((c) => c.args[0].input.InstanceIds)).toEqual([
      ['i-spot'],
    ]);
    expect(result.failures).toBe(0);
    const decisions = lines.map((l) => JSON.parse(l)).filter((p) => p.msg === 'decision');
    expect(decisions.map((p) => [p.instanceId, p.action, p.lifecycle, p.busyAt])).toEqual([
      ['i-spot', 'terminate', 'spot', undefined],
      ['i-busy', 'keep', 'on-demand', '2026-07-20T11:50:00Z'],
      ['i-stale', 'stop', 'on-demand', '2026-07-20T11:39:59Z'],
    ]);
    expect(decisions[0].reason).toContain('spot instance: cannot be stopped');
    expect(decisions[1].reason).toContain('busy: build running, the pipeline timeout bounds it');
  });

  it('in dry run decides and logs but calls neither stop nor terminate', async () => {
    ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [overdue('i-over')] }] });
    const { report, lines } = run(new EC2Client({}), { dryRun: true });
    const result = await report;

    expect(ec2Mock.commandCalls(StopInstancesCommand)).toHaveLength(0);
    expect(ec2Mock.commandCalls(TerminateInstancesCommand)).toHaveLength(0);
    expect(result.actions).toEqual([]);
    expect(JSON.parse(lines[0])).toMatchObject({ instanceId: 'i-over', action: 'stop', dryRun: true });
  });
});

/**
 * aws-sdk-client-mock replaces `send`, which skips the SDK's retry middleware, so throttling is tested
 * through the real client: a fake HTTP handler answers EC2's throttling error first, then a page.
 */
describe('throttling', () => {
  const throttled = `<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>r-1</RequestID></Response>`;
  const page = `<?xml version="1.0" encoding="UTF-8"?>
<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r-2</requestId>
<reservationSet><item><reservationId>r-0</reservationId><instancesSet><item>
<instanceId>i-after-throttle</instanceId><imageId>ami-current</imageId>
<instanceState><code>16</code><name>running</name></instanceState><instanceType>g4dn.xlarge</instanceType>
<launchTime>2026-07-20T11:00:00.000Z</launchTime>
<tagSet><item><key>jenkins-gpu:fleet</key><value>fleet-a</value></item></tagSet>
</item></instancesSet></item></reservationSet></DescribeInstancesResponse>`;

  function fakeHandler(bodies: Array<[number, string]>) {
    const requests: string[] = [];
    return {
      requests,
      handle: async (request: { body?: unknown }) => {
        requests.push(String(request.body));
        const [statusCode, body] = bodies.shift() ?? [500, throttled];
        return { response: { statusCode, headers: { 'content-type': 'text/xml' }, body: Buffer.from(body) } };
      },
    };
  }

  function client(handler: ReturnType<typeof fakeHandler>, attempts: number) {
    return createReaperEc2Client({
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' },
      requestHandler: handler,
      // Zero backoff: the retry happens without a real sleep.
      retryStrategy: new ConfiguredRetryStrategy(attempts, 0),
    });
  }

  it('retries a throttled DescribeInstances and then decides', async () => {
    const handler = fakeHandler([
      [503, throttled],
      [200, page],
    ]);
    const { report } = run(client(handler, 3));
    const result = await report;
    expect(handler.requests).toHaveLength(2);
    expect(handler.requests[0]).toContain('Action=DescribeInstances');
    expect(result.runningWorkers).toBe(1);
  });

  it('reads instanceLifecycle and the busy-at tag from the real EC2 XML', async () => {
    const spotPage = page
      .replace('<instanceId>i-after-throttle</instanceId>', '<instanceId>i-spot-xml</instanceId>')
      .replace('2026-07-20T11:00:00.000Z', '2026-07-20T04:00:00.000Z')
      .replace('</instanceType>', '</instanceType><instanceLifecycle>spot</instanceLifecycle>');
    const busyPage = page
      .replace('<instanceId>i-after-throttle</instanceId>', '<instanceId>i-busy-xml</instanceId>')
      .replace('2026-07-20T11:00:00.000Z', '2026-07-20T04:00:00.000Z')
      .replace(
        '</tagSet>',
        '<item><key>jenkins-gpu:busy-at</key><value>2026-07-20T11:45:00Z</value></item></tagSet>',
      );
    for (const [body, expected] of [
      [spotPage, ['i-spot-xml', 'terminate', 'spot']],
      [busyPage, ['i-busy-xml', 'keep', 'on-demand']],
    ] as const) {
      const { report, lines } = run(client(fakeHandler([[200, body]]), 1), { dryRun: true });
      await report;
      const decision = lines.map((l) => JSON.parse(l)).find((p) => p.msg === 'decision');
      expect([decision.instanceId, decision.action, decision.lifecycle]).toEqual(expected);
    }
  });

  it('gives up after the configured attempts with the throttling error', async () => {
    const handler = fakeHandler([]);
    await expect(run(client(handler, 2)).report).rejects.toMatchObject({ name: 'RequestLimitExceeded' });
    expect(handler.requests).toHaveLength(2);
  });

  it('the production client retries throttling up to 8 attempts', async () => {
    expect(await createReaperEc2Client({ region: 'us-east-1' }).config.maxAttempts()).toBe(8);
  });
});

describe('readReaperConfig', () => {
  it('reads the environment', () => {
    expect(
      readReaperConfig({
        FLEET_TAG_VALUE: 'fleet-a',
        MAX_RUNNING_HOURS: '5.5',
        BUSY_GRACE_MINUTES: '20',
        MAX_STOPPED_DAYS: '7',
        CURRENT_AMI_IDS: 'ami-1, ami-2,',
        DRY_RUN: 'true',
      }),
    ).toEqual({
      fleetTagValue: 'fleet-a',
      maxRunningHours: 5.5,
      busyGraceMinutes: 20,
      maxBusyHours: 96,
      maxStoppedDays: 7,
      currentAmiIds: ['ami-1', 'ami-2'],
      dryRun: true,
    });
  });

  it('reads MAX_BUSY_HOURS when set (defaults to 96 for functions deployed before it existed)', () => {
    const base = {
      FLEET_TAG_VALUE: 'f',
      MAX_RUNNING_HOURS: '7',
      BUSY_GRACE_MINUTES: '20',
      MAX_STOPPED_DAYS: '7',
    };
    expect(readReaperConfig({ ...base, MAX_BUSY_HOURS: '48' }).maxBusyHours).toBe(48);
    expect(() => readReaperConfig({ ...base, MAX_BUSY_HOURS: 'many' })).toThrow(
      "MAX_BUSY_HOURS must be a number of at least MAX_RUNNING_HOURS (7) (got 'many')",
    );
  });

  it('treats an empty AMI list as "rule off" and anything but true as no dry run', () => {
    const c = readReaperConfig({
      FLEET_TAG_VALUE: 'f',
      MAX_RUNNING_HOURS: '1',
      BUSY_GRACE_MINUTES: '10',
      MAX_STOPPED_DAYS: '1',
      CURRENT_AMI_IDS: '',
      DRY_RUN: 'yes',
    });
    expect(c.currentAmiIds).toEqual([]);
    expect(c.dryRun).toBe(false);
  });

  it('names every problem', () => {
    expect(() => readReaperConfig({ MAX_RUNNING_HOURS: 'abc', MAX_STOPPED_DAYS: '0' })).toThrow(
      "Reaper configuration: FLEET_TAG_VALUE must not be empty; MAX_RUNNING_HOURS must be a positive number (got 'abc'); BUSY_GRACE_MINUTES must be a number of at least 10, twice the watchdog's 5-minute tag interval (got ''); MAX_STOPPED_DAYS must be a positive integer (got '0')",
    );
  });
});
