import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  DescribeInstancesCommand,
  EC2Client,
  Instance,
  StopInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';

import { runWorkersCli, USAGE, WorkersCliDeps } from '../../lib/cost/workers-cli';

const NOW = new Date('2026-07-20T12:00:00.000Z');
const HOUR = 3_600_000;

const ec2Mock = mockClient(EC2Client);
const cfnMock = mockClient(CloudFormationClient);

function instance(id: string, overrides: Partial<Instance> = {}, template = 'gpu-small'): Instance {
  return {
    InstanceId: id,
    InstanceType: 'g4dn.xlarge',
    ImageId: 'ami-current',
    State: { Name: 'running' },
    LaunchTime: new Date(NOW.getTime() - 2.5 * HOUR),
    Tags: [
      { Key: 'jenkins-gpu:fleet', Value: 'fleet-a' },
      { Key: 'jenkins-gpu:template', Value: template },
    ],
    ...overrides,
  };
}

const FLEET = [
  instance('i-running'),
  instance(
    'i-overdue',
    { InstanceType: 'g5.xlarge', LaunchTime: new Date(NOW.getTime() - 6 * HOUR) },
    'gpu-large',
  ),
  instance('i-stopped', {
    State: { Name: 'stopped' },
    StateTransitionReason: 'User initiated (2026-07-01 00:00:00 GMT)',
  }),
];

function stackOutputs(outputs: Record<string, string>) {
  cfnMock.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'JenkinsGpuTraining',
        CreationTime: NOW,
        StackStatus: 'UPDATE_COMPLETE',
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  });
}

async function cli(argv: string[], confirm?: (q: string) => Promise<boolean>) {
  let out = '';
  let err = '';
  const deps: WorkersCliDeps = {
    ec2: new EC2Client({}),
    cloudFormation: new CloudFormationClient({}),
    out: (t) => (out += t),
    err: (t) => (err += t),
    now: () => NOW,
    confirm,
  };
  const code = await runWorkersCli(argv, deps);
  return { code, out, err };
}

beforeEach(() => {
  ec2Mock.reset();
  cfnMock.reset();
  stackOutputs({
    FleetTagValue: 'fleet-a',
    ReaperMaxRunningHours: '5.5',
    ReaperMaxStoppedDays: '7',
    WorkerAmiIds: 'ami-current',
  });
  ec2Mock.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: FLEET }] });
  ec2Mock.on(StopInstancesCommand).resolves({});
  ec2Mock.on(TerminateInstancesCommand).resolves({});
});
afterAll(() => {
  ec2Mock.restore();
  cfnMock.restore();
});

describe('list', () => {
  it('prints a table with uptime and money since the last start, and a total', async () => {
    const { code, out } = await cli(['list']);
    expect(code).toBe(0);
    expect(out).toBe(
      [
        'INSTANCE   TEMPLATE   TYPE         STATE    UPTIME  SPENT',
        'i-running  gpu-small  g4dn.xlarge  running  2h30m   $1.31',
        'i-overdue  gpu-large  g5.xlarge    running  6h00m   $6.04',
        'i-stopped  gpu-small  g4dn.xlarge  stopped  -       -',
        '3 worker(s) in fleet fleet-a, 2 running, about $1.532/h (on-demand prices)',
        '',
      ].join('\n'),
    );
    expect(cfnMock.commandCalls(DescribeStacksCommand)[0].args[0].input).toEqual({
      StackName: 'JenkinsGpuTraining',
    });
    expect(ec2Mock.commandCalls(DescribeInstancesCommand)[0].args[0].input.Filters?.[0]).toEqual({
      Name: 'tag:jenkins-gpu:fleet',
      Values: ['fleet-a'],
    });
  });

  it('uses --fleet without asking CloudFormation, and shows ? for an unknown price', async () => {
    ec2Mock.on(DescribeInstancesCommand).resolves({
      Reservations: [
        { Instances: [instance('i-x', { InstanceType: 'x9.big' as Instance['InstanceType'] })] },
      ],
    });
    const { out } = await cli(['list', '--fleet', 'fleet-a']);
    expect(cfnMock.commandCalls(DescribeStacksCommand)).toHaveLength(0);
    expect(out).toContain('i-x       gpu-small  x9.big  running  2h30m   ?');
    expect(out).toContain('about $0.000/h (+1 of unknown price)');
  });

  it('asks for the named stack', async () => {
    await cli(['list', '--stack', 'Other']);
    expect(cfnMock.commandCalls(DescribeStacksCommand)[0].args[0].input).toEqual({ StackName: 'Other' });
  });
});

describe('reap --dry-run', () => {
  it('prints one line per instance and changes nothing', async () => {
    const { code, out } = await cli(['reap', '--dry-run']);
    expect(code).toBe(0);
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^i-running keep running for 2\.50 h, within 5\.5 h$/);
    expect(lines[1]).toMatch(
      /^i-overdue stop running for 6\.00 h, past the hard lifetime of 5\.5 h \(no jenkins-gpu:busy-at tag\)$/,
    );
    expect(lines[2]).toMatch(/^i-stopped terminate stopped for 19\.50 d .*longer than 7 d$/);
    expect(ec2Mock.commandCalls(StopInstancesCommand)).toHaveLength(0);
    expect(ec2Mock.commandCalls(TerminateInstancesCommand)).toHaveLength(0);
  });

  it('lets flags override the stack outputs', async () => {
    const { out } = await cli(['reap', '--dry-run', '--max-running-hours', '7', '--max-stopped-days=30']);
    expect(out).toContain('i-overdue keep running for 6.00 h, within 7 h');
    expect(out).toContain('i-stopped keep stopped for 19.50 d');
  });

  it('needs no stack when every policy value is a flag', async () => {
    const args = [
      'reap',
      '--dry-run',
      '--fleet',
      'fleet-a',
      '--max-running-hours',
      '5',
      '--max-stopped-days',
      '7',
      '--ami-ids',
      '',
    ];
    const { code } = await cli(args);
    expect(code).toBe(0);
    expect(cfnMock.commandCalls(DescribeStacksCommand)).toHaveLength(0);
  });

  describe('busy workers and spot workers', () => {
    const tags = instance('x').Tags!;
    const busy = (id: string, busyAt: string, overrides: Partial<Instance> = {}) =>
      instance(id, {
        LaunchTime: new Date(NOW.getTime() - 30 * HOUR),
        Tags: [...tags, { Key: 'jenkins-gpu:busy-at', Value: busyAt }],
        ...overrides,
      });
    beforeEach(() => {
      ec2Mock.on(DescribeInstancesCommand).resolves({
        Reservations: [
          {
            Instances: [
              busy('i-busy', '2026-07-20T11:45:00Z'),
              busy('i-stale', '2026-07-20T11:15:00Z'),
              instance('i-spot', {
                InstanceLifecycle: 'spot',
                LaunchTime: new Date(NOW.getTime() - 6 * HOUR),
              }),
            ],
          },
        ],
      });
    });
    const actions = (out: string) =>
      out
        .trimEnd()
        .split('\n')
        .map((l) => l.split(' ').slice(0, 2).join(' '));

    it('keeps a busy worker past the lifetime (default grace 20 min: no output on this stack)', async () => {
      const { code, out } = await cli(['reap', '--dry-run']);
      expect(code).toBe(0);
      expect(actions(out)).toEqual(['i-busy keep', 'i-stale stop', 'i-spot terminate']);
      expect(out).toContain('busy: build running, the pipeline timeout bounds it');
      expect(out).toContain('spot instance: cannot be stopped, terminating');
    });

    it('reads the grace from the stack output, and the flag overrides it', async () => {
      stackOutputs({
        FleetTagValue: 'fleet-a',
        ReaperMaxRunningHours: '5.5',
        ReaperMaxStoppedDays: '7',
        ReaperBusyGraceMinutes: '10',
        WorkerAmiIds: 'ami-current',
      });
      expect(actions((await cli(['reap', '--dry-run'])).out)).toEqual([
        'i-busy stop',
        'i-stale stop',
        'i-spot terminate',
      ]);
      expect(actions((await cli(['reap', '--dry-run', '--busy-grace-minutes', '45'])).out)).toEqual([
        'i-busy keep',
        'i-stale keep',
        'i-spot terminate',
      ]);
    });

    it('terminates the overdue spot worker for real, and stops the stale one', async () => {
      const { code } = await cli(['reap', '--yes']);
      expect(code).toBe(0);
      expect(ec2Mock.commandCalls(StopInstancesCommand).map((c) => c.args[0].input.InstanceIds)).toEqual([
        ['i-stale'],
      ]);
      expect(ec2Mock.commandCalls(TerminateInstancesCommand).map((c) => c.args[0].input.InstanceIds)).toEqual(
        [['i-spot']],
      );
    });

    it('stop --all terminates spot workers (EC2 cannot stop them) and says so before asking', async () => {
      const confirm = jest.fn(async () => true);
      const { code, out } = await cli(['stop', '--all'], confirm);
      expect(code).toBe(0);
      expect(out).toContain(
        'i-spot gpu-small g4dn.xlarge running spot: will be terminated (cannot be stopped)\n',
      );
      expect(confirm).toHaveBeenCalledWith('Stop 2 and terminate 1 spot worker(s) of fleet fleet-a? [y/N] ');
      expect(ec2Mock.commandCalls(StopInstancesCommand).map((c) => c.args[0].input.InstanceIds)).toEqual([
        ['i-busy'],
        ['i-stale'],
      ]);
      expect(ec2Mock.commandCalls(TerminateInstancesCommand).map((c) => c.args[0].input.InstanceIds)).toEqual(
        [['i-spot']],
      );
      expect(out).toContain('i-spot: terminate requested\n');
    });
  });

  it('names the missing output', async () => {
    stackOutputs({ FleetTagValue: 'fleet-a' });
    const { code, err } = await cli(['reap', '--dry-run']);
    expect(code).toBe(1);
    expect(err).toBe('workers: the stack has no ReaperMaxRunningHours output: pass --max-running-hours\n');
  });
});

describe('reap (for real)', () => {
  it('stops and terminates after confirmation', async () => {
    const { code } = await cli(['reap'], async () => true);
    expect(code).toBe(0);
    expect(ec2Mock.commandCalls(StopInstancesCommand).map((c) => c.args[0].input.InstanceIds)).toEqual([
      ['i-overdue'],
    ]);
    expect(ec2Mock.commandCalls(TerminateInstancesCommand).map((c) => c.args[0].input.InstanceIds)).toEqual([
      ['i-stopped'],
    ]);
  });
});

describe('stop', () => {
  it('stops every running worker with --all --yes, without asking', async () => {
    const confirm = jest.fn(async () => false);
    const { code, out } = await cli(['stop', '--all', '--yes'], confirm);
    expect(code).toBe(0);
    expect(confirm).not.toHaveBeenCalled();
    expect(ec2Mock.commandCalls(StopInstancesCommand).map((c) => c.args[0].input.InstanceIds)).toEqual([
      ['i-running'],
      ['i-overdue'],
    ]);
    expect(out).toContain('i-running: stop requested\n');
  });

  it('asks, and stops the named worker on yes', async () => {
    const confirm = jest.fn(async () => true);
    const { code } = await cli(['stop', 'i-running'], confirm);
    expect(code).toBe(0);
    expect(confirm).toHaveBeenCalledWith('Stop 1 worker(s) of fleet fleet-a? [y/N] ');
    expect(ec2Mock.commandCalls(StopInstancesCommand).map((c) => c.args[0].input.InstanceIds)).toEqual([
      ['i-running'],
    ]);
  });

  it('changes nothing on no', async () => {
    const { code, err } = await cli(['stop', '--all'], async () => false);
    expect(code).toBe(1);
    expect(err).toBe('workers: aborted: nothing changed\n');
    expect(ec2Mock.commandCalls(StopInstancesCommand)).toHaveLength(0);
  });

  it('refuses without a terminal and without --yes', async () => {
    const { code, err } = await cli(['stop', '--all']);
    expect(code).toBe(1);
    expect(err).toBe('workers: refusing without confirmation: stdin is not a terminal; pass --yes\n');
    expect(ec2Mock.commandCalls(StopInstancesCommand)).toHaveLength(0);
  });

  it('refuses an instance that is not a worker of the fleet', async () => {
    const { code, err } = await cli(['stop', 'i-controller', '--yes']);
    expect(code).toBe(1);
    expect(err).toBe('workers: not a worker of fleet fleet-a (or already terminated): i-controller\n');
    expect(ec2Mock.commandCalls(StopInstancesCommand)).toHaveLength(0);
  });

  it('reports a failed stop and still stops the others', async () => {
    ec2Mock
      .on(StopInstancesCommand, { InstanceIds: ['i-running'] })
      .rejects(Object.assign(new Error('denied'), { name: 'UnauthorizedOperation' }));
    const { code, out, err } = await cli(['stop', '--all', '--yes']);
    expect(code).toBe(1);
    expect(err).toBe(
      'i-running: stop failed: UnauthorizedOperation: denied\nworkers: 1 of 2 action(s) failed\n',
    );
    expect(out).toContain('i-overdue: stop requested');
  });
});

describe('errors are one line', () => {
  it.each([
    [[], /^workers: no command: list, reap, stop or cost\n/],
    [['frobnicate'], /^workers: unknown command 'frobnicate'\n/],
    [['constructor'], /^workers: unknown command 'constructor'\n/],
    [['list', '--verbose'], /^workers: unknown option '--verbose'\. /],
    [['list', '--stack'], /^workers: option '--stack <value>' argument missing\n/],
    [['list', '--stack', '--fleet'], /^workers: option '--stack' argument is ambiguous\. Did you forget/],
    [['stop'], /^workers: nothing to stop: pass instance ids or --all\n/],
    [['stop', '--all', 'i-1'], /^workers: use either --all or instance ids, not both\n/],
    [
      ['reap', '--dry-run', '--max-stopped-days=-3'],
      /^workers: invalid reaper policy: maxStoppedDays must be a positive integer \(got -3\)\n/,
    ],
    [
      ['reap', '--dry-run', '--busy-grace-minutes', 'abc'],
      /^workers: invalid reaper policy: busyGraceMinutes must be a number of at least 10, twice the watchdog's 5-minute tag interval \(got NaN\)\n/,
    ],
    [['list', '--busy-grace-minutes', '5'], /^workers: unknown option '--busy-grace-minutes' for 'list'\n/],
    [
      ['list', '--stack', 'my_stack'],
      /^workers: --stack: "my_stack" is not a CloudFormation stack name: letters, digits and hyphens, starting with a letter, at most 128\n/,
    ],
    [
      ['cost', '--fleet', 'fleet a'],
      /^workers: --fleet: "fleet a" is not a tag value: letters, digits and _ \. : \/ = \+ - @, no spaces, at most 256\n/,
    ],
    [['stop', '--all', '--stack', 'Ok', '--fleet', ''], /^workers: --fleet: "" is not a tag value: /],
  ])('usage error %p: the problem, then the usage, exit 2', async (argv, message) => {
    const { code, out, err } = await cli(argv);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err).toMatch(message);
    expect(err).toContain(`\n${USAGE}\n`);
    expect(err.split('\n')).toHaveLength(USAGE.split('\n').length + 2);
  });

  it('checks --stack and --fleet before any AWS call', async () => {
    for (const argv of [
      ['list', '--stack', 'my_stack'],
      ['reap', '--dry-run', '--fleet', 'a b'],
    ]) {
      expect((await cli(argv)).code).toBe(2);
    }
    expect(cfnMock.calls()).toHaveLength(0);
    expect(ec2Mock.calls()).toHaveLength(0);
  });

  it.each([['-h'], ['--help'], ['list', '--help']])(
    '%p prints the usage to stdout, exit 0, no AWS call',
    async (...argv) => {
      const { code, out, err } = await cli(argv);
      expect({ code, out, err }).toEqual({ code: 0, out: `${USAGE}\n`, err: '' });
      expect(cfnMock.calls()).toHaveLength(0);
      expect(ec2Mock.calls()).toHaveLength(0);
    },
  );

  it('explains missing credentials', async () => {
    cfnMock.on(DescribeStacksCommand).rejects(
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      }),
    );
    const { code, err } = await cli(['list']);
    expect(code).toBe(1);
    expect(err).toBe(
      'workers: no AWS credentials found: set AWS_PROFILE (or run `aws sso login` / `aws configure`) and try again\n',
    );
  });

  it('explains a stack that does not exist', async () => {
    cfnMock
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error('Stack with id Nope does not exist'), { name: 'ValidationError' }));
    const { code, err } = await cli(['list', '--stack', 'Nope']);
    expect(code).toBe(1);
    expect(err).toBe(
      'workers: stack Nope does not exist: check --stack, AWS_REGION and AWS_PROFILE, or pass --fleet <tag value>\n',
    );
  });

  it('explains a stack without the fleet output', async () => {
    stackOutputs({});
    const { err } = await cli(['list']);
    expect(err).toBe(
      'workers: stack JenkinsGpuTraining has no output FleetTagValue: deploy the current version or pass --fleet <tag value>\n',
    );
  });
});
