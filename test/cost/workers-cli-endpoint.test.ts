/**
 * End to end: `npm run workers -- …` (node with the TypeScript loader, as the npm script runs it) against a fake EC2/CloudFormation/CloudWatch
 * endpoint on 127.0.0.1 (`./fake-aws-endpoint`), so the real SDK signs and serializes the requests and
 * parses the XML answers. The CLI reads the real clock, so fixtures are relative to it with margins of
 * minutes to days, and each duration in the output is checked against the time window of the run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import {
  COST_USD_METRIC,
  FLEET_DIMENSION,
  GPU_SECONDS_METRIC,
  TEMPLATE_DIMENSION,
} from '../../lib/contracts';
import { FakeAwsEndpoint, FakeDatum, FakeInstance } from './fake-aws-endpoint';

const REPO = resolve(__dirname, '../..');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const STACK = 'JenkinsGpuTraining';
/** The stack sets it to its own name; a different value here proves the CLI reads the output. */
const FLEET = 'JenkinsGpuTraining-fleet-7f3a';
const MAX_RUNNING_HOURS = 6;
const MAX_STOPPED_DAYS = 7;
/** Not the default (20): proves the CLI reads the ReaperBusyGraceMinutes output. */
const BUSY_GRACE_MINUTES = 30;
/** The stack outputs one AMI today; the CLI accepts a comma list, so use two. */
const CURRENT_AMIS = ['ami-0c0ffee0000000001', 'ami-0c0ffee0000000002'];
const OLD_AMI = 'ami-0badc0de000000001';
// Fake, and built at run time so no secret-looking literal sits in the repository.
const ACCESS_KEY_ID = 'AKIA' + 'FAKEFAKEFAKE0001';
const PRICES: Record<string, number> = JSON.parse(
  readFileSync(join(REPO, 'data/ec2-prices.json'), 'utf8'),
).onDemandHourly;

const T0 = Date.now();
/** Whole seconds, as EC2 writes them into the state transition reason. */
const ago = (ms: number) => new Date(Math.floor((T0 - ms) / 1000) * 1000);
const userInitiated = (d: Date) => `User initiated (${d.toISOString().slice(0, 19).replace('T', ' ')} GMT)`;

const workerTags = (template: string) => ({
  'jenkins-gpu:fleet': FLEET,
  'jenkins-gpu:template': template,
  Name: `jenkins-gpu-worker-${template}`,
});

const FRESH: FakeInstance = {
  instanceId: 'i-0f4e5000000000001',
  imageId: CURRENT_AMIS[0],
  state: 'running',
  instanceType: 'g4dn.xlarge',
  launchTime: ago(10 * MINUTE),
  stateTransitionReason: '',
  tags: workerTags('gpu-small'),
};
const OVERDUE: FakeInstance = {
  instanceId: 'i-00e4d0e0000000002',
  imageId: CURRENT_AMIS[0],
  state: 'running',
  instanceType: 'g5.xlarge',
  launchTime: ago((MAX_RUNNING_HOURS + 2) * HOUR),
  stateTransitionReason: '',
  tags: workerTags('gpu-large'),
};
const LONG_STOPPED_AT = ago((MAX_STOPPED_DAYS + 3) * DAY);
const LONG_STOPPED: FakeInstance = {
  instanceId: 'i-010a6570000000003',
  reservationId: 'r-0aaa00000000000a7',
  imageId: CURRENT_AMIS[0],
  state: 'stopped',
  instanceType: 'g4dn.xlarge',
  launchTime: ago((MAX_STOPPED_DAYS + 3) * DAY + 2 * HOUR),
  stateTransitionReason: userInitiated(LONG_STOPPED_AT),
  tags: workerTags('gpu-small'),
};
const RECENTLY_STOPPED_AT = ago(1 * DAY);
const RECENTLY_STOPPED: FakeInstance = {
  instanceId: 'i-0e5e1700000000004',
  reservationId: 'r-0aaa00000000000a7',
  imageId: CURRENT_AMIS[1],
  state: 'stopped',
  instanceType: 'g4dn.xlarge',
  launchTime: ago(1 * DAY + 3 * HOUR),
  stateTransitionReason: userInitiated(RECENTLY_STOPPED_AT),
  tags: workerTags('gpu-small'),
};
const OLD_AMI_STOPPED: FakeInstance = {
  instanceId: 'i-001da010000000005',
  imageId: OLD_AMI,
  state: 'stopped',
  instanceType: 'g4dn.xlarge',
  launchTime: ago(2 * HOUR),
  stateTransitionReason: userInitiated(ago(1 * HOUR)),
  tags: workerTags('gpu-small'),
};
/** Overdue, but the watchdog tagged it busy 5 minutes ago (grace: 30 min): a build runs, kept. */
const BUSY_AT = ago(5 * MINUTE);
const BUSY_AT_TAG = BUSY_AT.toISOString().replace('.000Z', 'Z');
const BUSY_OVERDUE: FakeInstance = {
  ...OVERDUE,
  instanceId: 'i-0b5e0000000000010',
  reservationId: 'r-0b5e0000000000010',
  tags: { ...workerTags('gpu-large'), 'jenkins-gpu:busy-at': BUSY_AT_TAG },
};
/** Overdue spot worker: EC2 cannot stop it, so the reaper terminates it (`instanceLifecycle` on the wire). */
const SPOT_OVERDUE: FakeInstance = {
  ...OVERDUE,
  instanceId: 'i-05b0700000000011',
  reservationId: 'r-05b0700000000011',
  instanceType: 'g4dn.xlarge',
  launchTime: ago((MAX_RUNNING_HOURS + 3) * HOUR),
  instanceLifecycle: 'spot',
  tags: workerTags('gpu-small-spot'),
};
/** Carries the fleet tag (the stack tags it too) and has been up far longer than a worker may be. */
const CONTROLLER: FakeInstance = {
  instanceId: 'i-0c0a7000000000006',
  imageId: 'ami-0a1a2023000000001',
  state: 'running',
  instanceType: 't3.large',
  launchTime: ago(40 * DAY),
  stateTransitionReason: '',
  tags: { 'jenkins-gpu:fleet': FLEET, 'jenkins-gpu:role': 'controller', Name: 'jenkins-controller' },
};
/** Not ours: no fleet tag, overdue by any measure. EC2's tag filter must keep it out of the answer. */
const FOREIGN: FakeInstance = {
  instanceId: 'i-0f0e1600000000007',
  imageId: OLD_AMI,
  state: 'running',
  instanceType: 'g5.xlarge',
  launchTime: ago(30 * DAY),
  stateTransitionReason: '',
  tags: { Name: 'someone-elses-training-box' },
};
/** The fleet tag with another stack's value: the filter value, not just the key, must be sent. */
const OTHER_FLEET: FakeInstance = {
  ...FOREIGN,
  instanceId: 'i-0a7e4f1ee70000008',
  state: 'stopped',
  stateTransitionReason: userInitiated(ago(60 * DAY)),
  tags: { 'jenkins-gpu:fleet': 'OtherStack-fleet-0000', 'jenkins-gpu:template': 'gpu-small' },
};
/** A worker of this fleet that is gone: the instance-state-name filter must keep it out. */
const TERMINATED: FakeInstance = {
  ...LONG_STOPPED,
  instanceId: 'i-0de4d000000000009',
  reservationId: undefined,
  state: 'terminated',
  stateTransitionReason: userInitiated(ago(20 * DAY)),
};

/** In EC2's answer order (after filtering): page 1 = FRESH, OVERDUE; page 2 = the other six. */
const INSTANCES = [
  FRESH,
  FOREIGN,
  OVERDUE,
  CONTROLLER,
  LONG_STOPPED,
  TERMINATED,
  RECENTLY_STOPPED,
  OTHER_FLEET,
  OLD_AMI_STOPPED,
  BUSY_OVERDUE,
  SPOT_OVERDUE,
];

/** Noon UTC, `days` days before the test's day: a data point whose day does not depend on the run's speed. */
const noonDaysAgo = (days: number) => {
  const t = new Date(T0);
  return new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate()) - days * DAY + 12 * HOUR);
};
const runDatum = (
  metricName: string,
  template: string,
  timestamp: Date,
  value: number,
  fleet = FLEET,
): FakeDatum => ({
  metricName,
  dimensions: { [FLEET_DIMENSION]: fleet, [TEMPLATE_DIMENSION]: template },
  timestamp,
  value,
});
/** What run-report.sh sends per training build: GpuSeconds always, CostUsd for on-demand runs. */
const METRICS: FakeDatum[] = [
  runDatum(GPU_SECONDS_METRIC, 'gpu-small', noonDaysAgo(2), 3600),
  runDatum(COST_USD_METRIC, 'gpu-small', noonDaysAgo(2), 0.526),
  runDatum(GPU_SECONDS_METRIC, 'gpu-small', new Date(+noonDaysAgo(2) + 30 * MINUTE), 1800),
  runDatum(COST_USD_METRIC, 'gpu-small', new Date(+noonDaysAgo(2) + 30 * MINUTE), 0.263),
  runDatum(GPU_SECONDS_METRIC, 'gpu-small-spot', noonDaysAgo(3), 600),
  // Listed (within CloudWatch's two weeks) but before the 7-day report: no row.
  runDatum(GPU_SECONDS_METRIC, 'gpu-large', noonDaysAgo(10), 7200),
  // Another stack's fleet, and another dimension set: neither is counted.
  runDatum(GPU_SECONDS_METRIC, 'gpu-small', noonDaysAgo(2), 99_999, 'OtherStack-fleet'),
  {
    metricName: GPU_SECONDS_METRIC,
    dimensions: { [FLEET_DIMENSION]: FLEET, [TEMPLATE_DIMENSION]: 'gpu-small', InstanceType: 'g4dn.xlarge' },
    timestamp: noonDaysAgo(2),
    value: 77_777,
  },
];

const fake = new FakeAwsEndpoint({
  instances: INSTANCES,
  firstPageSize: 2,
  metrics: METRICS,
  listMetricsPageSize: 2,
  stacks: [
    {
      name: STACK,
      outputs: {
        FleetTagValue: FLEET,
        ReaperMaxRunningHours: String(MAX_RUNNING_HOURS),
        ReaperMaxStoppedDays: String(MAX_STOPPED_DAYS),
        ReaperBusyGraceMinutes: String(BUSY_GRACE_MINUTES),
        WorkerAmiIds: CURRENT_AMIS.join(','),
        JenkinsUrl: 'http://10.0.1.23:8080/',
      },
    },
  ],
});
let endpoint = '';
let home = '';

beforeAll(async () => {
  endpoint = await fake.start();
  home = mkdtempSync(join(tmpdir(), 'workers-cli-home-'));
});
afterAll(async () => {
  await fake.stop();
  rmSync(home, { recursive: true, force: true });
});
beforeEach(() => fake.reset());

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Wall-clock bounds of the run: the CLI's `now` lies between them. */
  readonly from: number;
  readonly to: number;
}

function awsEnv(withCredentials = true): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: home,
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_EC2: endpoint,
    AWS_ENDPOINT_URL_CLOUDFORMATION: endpoint,
    AWS_ENDPOINT_URL_CLOUDWATCH: endpoint,
    ...(withCredentials
      ? {
          AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
          AWS_SECRET_ACCESS_KEY: 'fakeSecretKeyForTheFakeEndpointOnly00000',
        }
      : {}),
  };
}

/**
 * On Node < 22 the SDK writes a 9-line `NodeVersionSupportWarning` to stderr once per process,
 * before anything the CLI prints; package.json still allows Node 20. That is the SDK's, not the CLI's, so it
 * is cut here (only that block, only at the start) and every other byte of stderr is still compared.
 */
const SDK_NODE_WARNING =
  /^\(node:\d+\) Warning: NodeVersionSupportWarning: [^]*?\(Use `node --trace-warnings \.\.\.` to show where the warning was created\)\n/;
function withoutSdkNodeWarning(stderr: string): string {
  return stderr.replace(SDK_NODE_WARNING, '');
}

/** `npm run workers -- <args>` without npm: the same entry and loader, stdin not a terminal. */
function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const from = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['-r', './bin/register-ts.cjs', 'bin/workers.ts', ...args], {
      cwd: REPO,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr: withoutSdkNodeWarning(stderr), from, to: Date.now() });
    });
  });
}

/**
 * Checks `actual` against `render(now)` for the `now` the CLI used, some millisecond in [from, to]: what
 * `render` gives for every millisecond of that window is accepted (all lines from one `now`, as in the
 * CLI), so the comparison stays exact without depending on how long the process took.
 */
function expectRenderedWithin<T>(actual: T, render: (now: number) => T, run: Run): void {
  const candidates = new Set<string>();
  for (let now = run.from; now <= run.to; now++) candidates.add(JSON.stringify(render(now)));
  if (candidates.has(JSON.stringify(actual))) return;
  expect(actual).toEqual(render(run.to)); // fails, with a readable diff
}

/** The EC2 Query form of the CLI's DescribeInstances: fleet tag and watched states, as EC2 filters. */
const FLEET_QUERY = {
  'Filter.1.Name': 'tag:jenkins-gpu:fleet',
  'Filter.1.Value.1': FLEET,
  'Filter.2.Name': 'instance-state-name',
  'Filter.2.Value.1': 'pending',
  'Filter.2.Value.2': 'running',
  'Filter.2.Value.3': 'stopping',
  'Filter.2.Value.4': 'stopped',
  MaxResults: '1000',
};

/** Two DescribeInstances calls: the first page, then the same query with the NextToken EC2 returned. */
function expectFleetQueryFollowedPages(): void {
  const pages = fake.calls('DescribeInstances');
  expect(pages.map((p) => p.params)).toEqual([
    FLEET_QUERY,
    { ...FLEET_QUERY, NextToken: fake.nextTokensIssued[0] },
  ]);
  expect(fake.nextTokensIssued).toHaveLength(1);
}

const minutes = (ms: number) => (ms / MINUTE).toFixed(2);
const hours = (ms: number) => (ms / HOUR).toFixed(2);
const days = (ms: number) => (ms / DAY).toFixed(2);
const lines = (text: string) => text.replace(/\n$/, '').split('\n');

describe('workers CLI against an EC2/CloudFormation/CloudWatch endpoint', () => {
  it('reap --dry-run: one exact line per fleet instance, filters sent, pages followed, nothing changed', async () => {
    const run = await runCli(['reap', '--dry-run', '--stack', STACK], awsEnv());

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expectRenderedWithin(
      lines(run.stdout),
      (now) => [
        `${FRESH.instanceId} keep running for ${hours(now - +FRESH.launchTime)} h, within ${MAX_RUNNING_HOURS} h`,
        `${OVERDUE.instanceId} stop running for ${hours(now - +OVERDUE.launchTime)} h, ` +
          `past the hard lifetime of ${MAX_RUNNING_HOURS} h (no jenkins-gpu:busy-at tag)`,
        `${CONTROLLER.instanceId} keep the Jenkins controller is never reaped`,
        `${LONG_STOPPED.instanceId} terminate stopped for ${days(now - +LONG_STOPPED_AT)} d ` +
          `(since ${LONG_STOPPED_AT.toISOString()}), longer than ${MAX_STOPPED_DAYS} d`,
        `${RECENTLY_STOPPED.instanceId} keep stopped for ${days(now - +RECENTLY_STOPPED_AT)} d ` +
          `(since ${RECENTLY_STOPPED_AT.toISOString()}), within ${MAX_STOPPED_DAYS} d`,
        `${OLD_AMI_STOPPED.instanceId} terminate stopped, built from ${OLD_AMI} which no template uses any more`,
        `${BUSY_OVERDUE.instanceId} keep running for ${hours(now - +BUSY_OVERDUE.launchTime)} h, ` +
          `past the hard lifetime of ${MAX_RUNNING_HOURS} h, but busy: build running, the pipeline timeout ` +
          `bounds it (jenkins-gpu:busy-at=${BUSY_AT_TAG}, ${minutes(now - +BUSY_AT)} min ago, ` +
          `within ${BUSY_GRACE_MINUTES} min)`,
        `${SPOT_OVERDUE.instanceId} terminate running for ${hours(now - +SPOT_OVERDUE.launchTime)} h, ` +
          `past the hard lifetime of ${MAX_RUNNING_HOURS} h (no jenkins-gpu:busy-at tag); ` +
          `spot instance: cannot be stopped, terminating`,
      ],
      run,
    );
    // The margins are what make the actions (not just the texts) certain: spelled out once more.
    expect(lines(run.stdout).map((l) => l.split(' ').slice(0, 2).join(' '))).toEqual([
      `${FRESH.instanceId} keep`,
      `${OVERDUE.instanceId} stop`,
      `${CONTROLLER.instanceId} keep`,
      `${LONG_STOPPED.instanceId} terminate`,
      `${RECENTLY_STOPPED.instanceId} keep`,
      `${OLD_AMI_STOPPED.instanceId} terminate`,
      `${BUSY_OVERDUE.instanceId} keep`,
      `${SPOT_OVERDUE.instanceId} terminate`,
    ]);
    for (const absent of [FOREIGN, OTHER_FLEET, TERMINATED])
      expect(run.stdout).not.toContain(absent.instanceId);

    expect(fake.requests.map((r) => `${r.signingService} ${r.action}`)).toEqual([
      'cloudformation DescribeStacks',
      'ec2 DescribeInstances',
      'ec2 DescribeInstances',
    ]);
    for (const r of fake.requests) {
      expect(r.authorization).toMatch(
        new RegExp(
          `^AWS4-HMAC-SHA256 Credential=${ACCESS_KEY_ID}/\\d{8}/us-east-1/${r.signingService}/aws4_request, `,
        ),
      );
    }
    expect(fake.calls('DescribeStacks')[0].params).toEqual({ StackName: STACK });
    expectFleetQueryFollowedPages();
    expect(fake.calls('StopInstances')).toEqual([]);
    expect(fake.calls('TerminateInstances')).toEqual([]);
  });

  it('list: a row for each fleet worker (not the controller, not other instances) and the running cost', async () => {
    const run = await runCli(['list'], awsEnv());

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const [header, ...rest] = lines(run.stdout);
    const summary = rest.pop();
    const cells = (row: string) => row.split(/ {2,}/);
    expect(cells(header)).toEqual(['INSTANCE', 'TEMPLATE', 'TYPE', 'STATE', 'UPTIME', 'SPENT']);
    const runningRow = (i: FakeInstance, template: string, now: number) => {
      const h = (now - +i.launchTime) / HOUR;
      const m = Math.floor(h * 60);
      const uptime = m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : `${m}m`;
      return [
        i.instanceId,
        template,
        i.instanceType,
        'running',
        uptime,
        `$${(h * PRICES[i.instanceType]).toFixed(2)}`,
      ];
    };
    const stoppedRow = (i: FakeInstance) => [i.instanceId, 'gpu-small', i.instanceType, 'stopped', '-', '-'];
    expectRenderedWithin(
      rest.map(cells),
      (now) => [
        runningRow(FRESH, 'gpu-small', now),
        runningRow(OVERDUE, 'gpu-large', now),
        stoppedRow(LONG_STOPPED),
        stoppedRow(RECENTLY_STOPPED),
        stoppedRow(OLD_AMI_STOPPED),
        runningRow(BUSY_OVERDUE, 'gpu-large', now),
        runningRow(SPOT_OVERDUE, 'gpu-small-spot', now),
      ],
      run,
    );
    const hourly = [FRESH, OVERDUE, BUSY_OVERDUE, SPOT_OVERDUE]
      .map((i) => PRICES[i.instanceType])
      .reduce((a, b) => a + b);
    expect(summary).toBe(
      `7 worker(s) in fleet ${FLEET}, 4 running, about $${(Math.round(hourly * 1000) / 1000).toFixed(3)}/h ` +
        `(on-demand prices)`,
    );
    expect(fake.calls('DescribeStacks').map((r) => r.params)).toEqual([{ StackName: STACK }]);
    expectFleetQueryFollowedPages();
    expect(fake.calls('StopInstances')).toEqual([]);
  });

  it('cost: spend by UTC day and template from the run metrics, through the real SDK and CloudWatch JSON', async () => {
    const run = await runCli(['cost'], awsEnv());

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const day = (d: Date) => d.toISOString().slice(0, 10);
    const [header, ...rest] = lines(run.stdout);
    const note = rest.pop();
    const cells = (row: string) => row.split(/ {2,}/);
    expect(cells(header)).toEqual(['DAY', 'TEMPLATE', 'RUNS', 'GPU TIME', 'COST']);
    expect(rest.map(cells)).toEqual([
      [day(noonDaysAgo(3)), 'gpu-small-spot', '1', '10m', '-'],
      [day(noonDaysAgo(2)), 'gpu-small', '2', '1h30m', '$0.79'],
      ['TOTAL', '3', '1h40m', '$0.79'],
    ]);
    expect(note).toBe(
      `fleet ${FLEET}, the last 7 UTC day(s). Cost: on-demand prices from data/ec2-prices.json as shipped to each ` +
        'worker, as its run report computed them; GPU time includes the boot of workers started for the run; - : ' +
        'no priced run (spot runs, or a region or type the table lacks). Templates silent for 14 days are not ' +
        'listed (CloudWatch ListMetrics).',
    );

    // Signed for CloudWatch; ListMetrics per metric on the fleet dimension, every page followed.
    const listed = fake.calls('ListMetrics');
    expect(new Set(listed.map((r) => r.signingService))).toEqual(new Set(['monitoring']));
    const fleetFilter = { Namespace: 'JenkinsGpu/Workers', Dimensions: [{ Name: 'Fleet', Value: FLEET }] };
    expect(listed.map((r) => r.json)).toEqual([
      { ...fleetFilter, MetricName: 'GpuSeconds' },
      { ...fleetFilter, MetricName: 'GpuSeconds', NextToken: 'metrics-2' },
      { ...fleetFilter, MetricName: 'CostUsd' },
    ]);
    // One GetMetricData: three statistics for each listed template, one-day periods from a UTC midnight.
    const [data, ...more] = fake.calls('GetMetricData');
    expect(more).toEqual([]);
    const input = data.json as { StartTime: number; EndTime: number; MetricDataQueries: { Id: string }[] };
    expect(input.MetricDataQueries.map((q) => q.Id)).toEqual(
      ['0', '1', '2'].flatMap((i) => [`runs${i}`, `gpu${i}`, `cost${i}`]),
    );
    expect(input.EndTime - input.StartTime).toBe(7 * 86_400);
    expect(input.EndTime % 86_400).toBe(0);
    expect(fake.calls('DescribeInstances')).toEqual([]);
  });

  it('a stack that does not exist: exit 1, one line naming it, no EC2 call', async () => {
    const run = await runCli(['reap', '--dry-run', '--stack', 'NoSuchStack'], awsEnv());

    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'workers: stack NoSuchStack does not exist: check --stack, AWS_REGION and AWS_PROFILE, ' +
        'or pass --fleet <tag value>\n',
    );
    expect(fake.requests.map((r) => r.action)).toEqual(['DescribeStacks']);
    expect(fake.calls('DescribeStacks')[0].params).toEqual({ StackName: 'NoSuchStack' });
  });

  it('no credentials anywhere: exit 1, one line saying so, nothing sent', async () => {
    const run = await runCli(['reap', '--dry-run'], awsEnv(false));

    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'workers: no AWS credentials found: set AWS_PROFILE (or run `aws sso login` / `aws configure`) and try again\n',
    );
    expect(fake.requests).toEqual([]);
  });
});
