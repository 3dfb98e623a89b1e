/**
 * `npm run workers -- cost`: the spend table from the run reports' metrics, with CloudWatch mocked
 * (aws-sdk-client-mock). The replies have the shape the API reference gives: ListMetrics returns Metrics
 * with their full Dimensions; GetMetricData returns one MetricDataResult per query Id, with Timestamps
 * at the start of each period and StatusCode Complete (or PartialData with a NextToken).
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  CloudWatchClient,
  GetMetricDataCommand,
  GetMetricDataCommandInput,
  ListMetricsCommand,
  MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';

import { runWorkersCli, USAGE, WorkersCliDeps } from '../../lib/cost/workers-cli';

const NOW = new Date('2026-12-02T15:00:00.000Z');
const cwMock = mockClient(CloudWatchClient);
const cfnMock = mockClient(CloudFormationClient);

async function cli(argv: string[], withCloudWatch = true) {
  let out = '';
  let err = '';
  const deps: WorkersCliDeps = {
    ec2: new EC2Client({}),
    cloudFormation: new CloudFormationClient({}),
    cloudWatch: withCloudWatch ? new CloudWatchClient({}) : undefined,
    out: (t) => (out += t),
    err: (t) => (err += t),
    now: () => NOW,
  };
  const code = await runWorkersCli(argv, deps);
  return { code, out, err };
}

const metric = (name: string, template: string, extra: Array<{ Name: string; Value: string }> = []) => ({
  Namespace: 'JenkinsGpu/Workers',
  MetricName: name,
  Dimensions: [{ Name: 'Fleet', Value: 'fleet-a' }, { Name: 'Template', Value: template }, ...extra],
});
const day = (iso: string) => new Date(`${iso}T00:00:00.000Z`);

/** Daily points per query id: `runs<i>`, `gpu<i>`, `cost<i>` with i the template's index (sorted). */
function results(points: Record<string, Array<[string, number]>>): MetricDataResult[] {
  return Object.entries(points).map(([Id, list]) => ({
    Id,
    Label: Id,
    StatusCode: 'Complete',
    Timestamps: list.map(([d]) => day(d)),
    Values: list.map(([, v]) => v),
  }));
}

beforeEach(() => {
  cwMock.reset();
  cfnMock.reset();
  cfnMock.on(DescribeStacksCommand).resolves({
    Stacks: [
      {
        StackName: 'JenkinsGpuTraining',
        CreationTime: NOW,
        StackStatus: 'UPDATE_COMPLETE',
        Outputs: [{ OutputKey: 'FleetTagValue', OutputValue: 'fleet-a' }],
      },
    ],
  });
  cwMock
    .on(ListMetricsCommand, { MetricName: 'GpuSeconds' })
    .resolves({
      Metrics: [
        metric('GpuSeconds', 'gpu-tensorflow-spot'),
        metric('GpuSeconds', 'gpu-tensorflow-ondemand'),
        // Not the run report's dimension set: never queried.
        metric('GpuSeconds', 'gpu-other', [{ Name: 'Milestone', Value: 'x' }]),
      ],
    })
    .on(ListMetricsCommand, { MetricName: 'CostUsd' })
    .resolves({ Metrics: [metric('CostUsd', 'gpu-tensorflow-ondemand')] });
  cwMock.on(GetMetricDataCommand).resolves({
    MetricDataResults: results({
      runs0: [
        ['2026-11-30', 2],
        ['2026-12-02', 1],
      ],
      gpu0: [
        ['2026-11-30', 7_200],
        ['2026-12-02', 4_320],
      ],
      cost0: [
        ['2026-11-30', 1.052],
        ['2026-12-02', 0.6312],
      ],
      runs1: [['2026-12-01', 1]],
      gpu1: [['2026-12-01', 1_800]],
      cost1: [],
    }),
  });
});
afterAll(() => {
  cwMock.restore();
  cfnMock.restore();
});

describe('workers cost', () => {
  it('prints spend by UTC day and template, with totals', async () => {
    const r = await cli(['cost']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out.split('\n').slice(0, 5)).toEqual([
      'DAY         TEMPLATE                 RUNS  GPU TIME  COST',
      '2026-11-30  gpu-tensorflow-ondemand  2     2h00m     $1.05',
      '2026-12-01  gpu-tensorflow-spot      1     30m       -',
      '2026-12-02  gpu-tensorflow-ondemand  1     1h12m     $0.63',
      'TOTAL                                4     3h42m     $1.68',
    ]);
    expect(r.out).toContain('fleet fleet-a, the last 7 UTC day(s). Cost: on-demand prices');
    expect(r.out).toContain('- : no priced run (spot runs, or a region or type the table lacks)');
  });

  it('asks GetMetricData for daily Sum and SampleCount per template from a UTC midnight', async () => {
    await cli(['cost', '--days', '3']);
    const input = cwMock.commandCalls(GetMetricDataCommand)[0].args[0].input as GetMetricDataCommandInput;
    expect(input.StartTime).toEqual(day('2026-11-30'));
    expect(input.EndTime).toEqual(day('2026-12-03'));
    expect(
      input.MetricDataQueries!.map((q) => [q.Id, q.MetricStat!.Metric!.MetricName, q.MetricStat!.Stat]),
    ).toEqual([
      ['runs0', 'GpuSeconds', 'SampleCount'],
      ['gpu0', 'GpuSeconds', 'Sum'],
      ['cost0', 'CostUsd', 'Sum'],
      ['runs1', 'GpuSeconds', 'SampleCount'],
      ['gpu1', 'GpuSeconds', 'Sum'],
      ['cost1', 'CostUsd', 'Sum'],
    ]);
    expect(input.MetricDataQueries![0].MetricStat).toEqual({
      Metric: {
        Namespace: 'JenkinsGpu/Workers',
        MetricName: 'GpuSeconds',
        Dimensions: [
          { Name: 'Fleet', Value: 'fleet-a' },
          { Name: 'Template', Value: 'gpu-tensorflow-ondemand' },
        ],
      },
      Period: 86_400,
      Stat: 'SampleCount',
    });
    expect(cwMock.commandCalls(ListMetricsCommand)[0].args[0].input).toEqual({
      Namespace: 'JenkinsGpu/Workers',
      MetricName: 'GpuSeconds',
      Dimensions: [{ Name: 'Fleet', Value: 'fleet-a' }],
      NextToken: undefined,
    });
  });

  it('follows NextToken of ListMetrics and of GetMetricData (partial data)', async () => {
    cwMock
      .on(ListMetricsCommand, { MetricName: 'GpuSeconds' })
      .resolvesOnce({ Metrics: [metric('GpuSeconds', 'gpu-a')], NextToken: 'page-2' })
      .resolves({ Metrics: [metric('GpuSeconds', 'gpu-b')] });
    cwMock
      .on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: results({ runs0: [['2026-12-01', 1]], gpu0: [['2026-12-01', 60]] }).map((x) => ({
          ...x,
          StatusCode: 'PartialData',
        })),
        NextToken: 'more',
      })
      .resolves({ MetricDataResults: results({ runs1: [['2026-12-02', 2]], gpu1: [['2026-12-02', 90]] }) });
    const r = await cli(['cost', '--fleet', 'fleet-a']);
    expect(cfnMock.commandCalls(DescribeStacksCommand)).toHaveLength(0);
    expect(r.out).toContain(
      '2026-12-01  gpu-a     1     1m        -\n2026-12-02  gpu-b     2     1m        -\n',
    );
    expect(cwMock.commandCalls(GetMetricDataCommand)[1].args[0].input.NextToken).toBe('more');
  });

  it('says so when no run sent metrics', async () => {
    cwMock.on(ListMetricsCommand).resolves({ Metrics: [] });
    const r = await cli(['cost']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      'No run metrics for fleet fleet-a, the last 7 UTC day(s): no training build has sent GpuSeconds or CostUsd in the last 14 days (workers booted before the run report shipped send none; check AWS_REGION is the stack region).\n',
    );
    expect(cwMock.commandCalls(GetMetricDataCommand)).toHaveLength(0);
  });

  it('says so when the templates had no run in the period', async () => {
    cwMock.on(GetMetricDataCommand).resolves({ MetricDataResults: results({ runs0: [], gpu0: [] }) });
    const r = await cli(['cost', '--days', '1']);
    expect(r.out).toBe(
      'No training runs in fleet fleet-a, the last 1 UTC day(s) (templates with runs in the last 14 days: gpu-tensorflow-ondemand, gpu-tensorflow-spot).\n',
    );
  });

  it.each(['0', '456', '2.5', 'week', '-3'])('refuses --days=%s as a usage error', async (days) => {
    const r = await cli(['cost', `--days=${days}`]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      `workers: --days: '${days}' is not a whole number of days from 1 to 455 (CloudWatch keeps daily data points for 15 months)\n${USAGE}\n`,
    );
    expect(cwMock.calls()).toHaveLength(0);
  });

  it('refuses options of other commands and arguments', async () => {
    expect((await cli(['cost', '--yes'])).err).toBe(`workers: unknown option '--yes' for 'cost'\n${USAGE}\n`);
    expect((await cli(['cost', 'today'])).err).toBe(
      `workers: 'cost' takes no arguments (got 'today')\n${USAGE}\n`,
    );
  });

  it('passes a refused ListMetrics on as one line', async () => {
    const denied = Object.assign(
      new Error(
        'User: arn:aws:iam::111122223333:user/dev is not authorized to perform: cloudwatch:ListMetrics because no identity-based policy allows the cloudwatch:ListMetrics action',
      ),
      { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } },
    );
    cwMock.on(ListMetricsCommand).rejects(denied);
    const r = await cli(['cost']);
    expect(r.code).toBe(1);
    expect(r.err.split('\n')).toHaveLength(2);
    expect(r.err).toContain('cloudwatch:ListMetrics');
  });

  it('fails on a query CloudWatch could not answer, naming the template', async () => {
    cwMock.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        {
          Id: 'gpu0',
          StatusCode: 'InternalError',
          Messages: [{ Code: 'InternalError', Value: 'try again' }],
        },
      ],
    });
    const r = await cli(['cost']);
    expect(r.code).toBe(1);
    expect(r.err).toBe(
      'workers: CloudWatch GetMetricData answered InternalError for gpu-tensorflow-ondemand (InternalError: try again)\n',
    );
  });

  it('lists the command in the usage', () => {
    expect(USAGE).toContain('cost [--days <n>]');
  });
});
