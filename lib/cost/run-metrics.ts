/**
 * `npm run workers -- cost`: GPU spend by template and UTC day, from the metrics each training build's run
 * report sends (assets/worker/run-report.sh: GpuSeconds for every run, CostUsd for on-demand runs, both with
 * the Fleet and Template dimensions in JenkinsGpu/Workers).
 *
 * Which templates: ListMetrics on the fleet's dimension. CloudWatch lists only metrics that received data
 * in the last two weeks (ListMetrics API reference), so a template silent for longer drops out of a longer
 * report; the table says so. Daily sums: GetMetricData with period 86400 from a UTC midnight (one-day
 * periods keep their data points for 15 months: "CloudWatch concepts", retention), so --days is at most 455.
 */
import {
  CloudWatchClient,
  GetMetricDataCommand,
  ListMetricsCommand,
  MetricDataQuery,
  MetricDataResult,
} from '@aws-sdk/client-cloudwatch';

import {
  COST_USD_METRIC,
  FLEET_DIMENSION,
  GPU_SECONDS_METRIC,
  TEMPLATE_DIMENSION,
  WORKER_METRIC_NAMESPACE,
} from '../contracts';

export type CloudWatchSender = Pick<CloudWatchClient, 'send'>;

export const DEFAULT_COST_DAYS = 7;
export const MAX_COST_DAYS = 455;
const DAY_MS = 86_400_000;
/** GetMetricData takes at most 500 queries per request (API reference, MetricDataQueries). */
const MAX_QUERIES = 500;

export interface DailySpend {
  /** UTC day, YYYY-MM-DD. */
  readonly day: string;
  readonly template: string;
  readonly runs: number;
  readonly gpuSeconds: number;
  /** Sum of CostUsd; undefined when no run of that day and template sent one (spot runs do not). */
  readonly costUsd: number | undefined;
}

/** The fleet's templates that sent run metrics within the last two weeks. */
export async function runMetricTemplates(cloudWatch: CloudWatchSender, fleet: string): Promise<string[]> {
  const templates = new Set<string>();
  for (const metricName of [GPU_SECONDS_METRIC, COST_USD_METRIC]) {
    let nextToken: string | undefined;
    do {
      const page = await cloudWatch.send(
        new ListMetricsCommand({
          Namespace: WORKER_METRIC_NAMESPACE,
          MetricName: metricName,
          Dimensions: [{ Name: FLEET_DIMENSION, Value: fleet }],
          NextToken: nextToken,
        }),
      );
      for (const metric of page.Metrics ?? []) {
        const names = (metric.Dimensions ?? []).map((d) => d.Name).sort();
        const template = metric.Dimensions?.find((d) => d.Name === TEMPLATE_DIMENSION)?.Value;
        // Only the run report's exact dimension set: GetMetricData must name all of a metric's dimensions.
        if (template && names.join(',') === [FLEET_DIMENSION, TEMPLATE_DIMENSION].sort().join(',')) {
          templates.add(template);
        }
      }
      nextToken = page.NextToken;
    } while (nextToken);
  }
  return [...templates].sort();
}

type SpendKind = 'runs' | 'gpu' | 'cost';
interface SpendQuery {
  readonly query: MetricDataQuery;
  readonly template: string;
  readonly kind: SpendKind;
}
type SpendCells = Map<string, { runs: number; gpuSeconds: number; costUsd: number | undefined }>;

/** Daily sums per template over the last `days` UTC days (today included), newest day last. */
export async function dailySpend(
  cloudWatch: CloudWatchSender,
  fleet: string,
  templates: readonly string[],
  days: number,
  now: Date,
): Promise<DailySpend[]> {
  const end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) + DAY_MS;
  const start = end - days * DAY_MS;
  const cells = await fetchCells(cloudWatch, spendQueries(fleet, templates), start, end);
  return [...cells.entries()]
    .map(([key, v]) => {
      const [day, template] = key.split(' ');
      return { day, template, ...v };
    })
    .filter((row) => row.runs > 0 || row.costUsd !== undefined)
    .sort((a, b) => a.day.localeCompare(b.day) || a.template.localeCompare(b.template));
}

/** Per template: its runs (SampleCount of GpuSeconds), GPU seconds and cost, one-day periods. */
function spendQueries(fleet: string, templates: readonly string[]): SpendQuery[] {
  const queries: SpendQuery[] = [];
  templates.forEach((template, i) => {
    const stat = (kind: SpendKind, metricName: string, statistic: string) =>
      queries.push({
        template,
        kind,
        query: {
          Id: `${kind}${i}`,
          ReturnData: true,
          MetricStat: {
            Metric: {
              Namespace: WORKER_METRIC_NAMESPACE,
              MetricName: metricName,
              Dimensions: [
                { Name: FLEET_DIMENSION, Value: fleet },
                { Name: TEMPLATE_DIMENSION, Value: template },
              ],
            },
            Period: 86_400,
            Stat: statistic,
          },
        },
      });
    stat('runs', GPU_SECONDS_METRIC, 'SampleCount');
    stat('gpu', GPU_SECONDS_METRIC, 'Sum');
    stat('cost', COST_USD_METRIC, 'Sum');
  });
  return queries;
}

/** The queries in batches of MAX_QUERIES, every page, summed into cells by day and template. */
async function fetchCells(
  cloudWatch: CloudWatchSender,
  queries: readonly SpendQuery[],
  start: number,
  end: number,
): Promise<SpendCells> {
  const byId = new Map(queries.map((q) => [q.query.Id!, q]));
  const cells: SpendCells = new Map();
  for (let offset = 0; offset < queries.length; offset += MAX_QUERIES) {
    const batch = queries.slice(offset, offset + MAX_QUERIES).map((q) => q.query);
    let nextToken: string | undefined;
    do {
      const page = await cloudWatch.send(
        new GetMetricDataCommand({
          MetricDataQueries: batch,
          StartTime: new Date(start),
          EndTime: new Date(end),
          ScanBy: 'TimestampAscending',
          NextToken: nextToken,
        }),
      );
      for (const result of page.MetricDataResults ?? []) addResult(result, byId, cells);
      nextToken = page.NextToken;
    } while (nextToken);
  }
  return cells;
}

function addResult(
  result: MetricDataResult,
  byId: ReadonlyMap<string, { template: string; kind: SpendKind }>,
  cells: SpendCells,
): void {
  const query = byId.get(result.Id ?? '');
  if (!query) return;
  if (result.StatusCode === 'InternalError' || result.StatusCode === 'Forbidden') {
    const detail = (result.Messages ?? []).map((m) => `${m.Code}: ${m.Value}`).join('; ');
    throw new Error(
      `CloudWatch GetMetricData answered ${result.StatusCode} for ${query.template}${detail ? ` (${detail})` : ''}`,
    );
  }
  const timestamps = result.Timestamps ?? [];
  const values = result.Values ?? [];
  timestamps.forEach((timestamp, i) => {
    const key = `${timestamp.toISOString().slice(0, 10)} ${query.template}`;
    const cell = cells.get(key) ?? { runs: 0, gpuSeconds: 0, costUsd: undefined };
    const value = values[i];
    if (query.kind === 'runs') cell.runs += value;
    else if (query.kind === 'gpu') cell.gpuSeconds += value;
    else cell.costUsd = (cell.costUsd ?? 0) + value;
    cells.set(key, cell);
  });
}

/** "3h05m", "12m", "40s". */
export function formatGpuTime(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const minutes = Math.floor(s / 60);
  const h = Math.floor(minutes / 60);
  return h > 0 ? `${h}h${String(minutes % 60).padStart(2, '0')}m` : `${minutes}m`;
}
