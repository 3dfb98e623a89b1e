/**
 * A tiny EC2 + CloudFormation + CloudWatch endpoint on 127.0.0.1 for end-to-end tests of the `workers` CLI:
 * the real AWS SDK serializes the requests (Query protocol for EC2 and CloudFormation, AWS JSON 1.0 for
 * CloudWatch, SigV4) and parses these answers, so the test covers what a mock client cannot. Only what the
 * CLI uses: EC2 DescribeInstances (filters and pagination as EC2 applies them), StopInstances/
 * TerminateInstances (recorded, state not changed), CloudFormation DescribeStacks, and CloudWatch ListMetrics
 * and GetMetricData over stored data points. Wire shapes follow the SDK's schemas in `@aws-sdk/client-ec2`,
 * `@aws-sdk/client-cloudformation` and `@aws-sdk/client-cloudwatch` (e.g. EC2 sends `StateTransitionReason`
 * as `<reason>`; CloudWatch is AWS JSON 1.0 with target prefix `GraniteServiceVersion20100801` and epoch-second
 * timestamps).
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

import { WORKER_METRIC_NAMESPACE } from '../../lib/contracts';

export interface FakeInstance {
  readonly instanceId: string;
  /** Instances launched together share a reservation; defaults to one reservation per instance. */
  readonly reservationId?: string;
  readonly imageId: string;
  readonly state: 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';
  readonly instanceType: string;
  readonly launchTime: Date;
  /** Empty for a running instance; `User initiated (YYYY-MM-DD HH:MM:SS GMT)` once stopped. */
  readonly stateTransitionReason?: string;
  readonly tags: Readonly<Record<string, string>>;
  /** EC2 sends `instanceLifecycle` only for spot (and scheduled) instances. */
  readonly instanceLifecycle?: 'spot';
}

/** One data point CloudWatch stored (PutMetricData), in namespace JenkinsGpu/Workers unless given. */
export interface FakeDatum {
  readonly namespace?: string;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly timestamp: Date;
  readonly value: number;
}

export interface FakeStack {
  readonly name: string;
  readonly outputs: Readonly<Record<string, string>>;
}

export interface RecordedRequest {
  /** The SigV4 signing service from the Authorization header (`ec2`, `cloudformation`), or '' if unsigned. */
  readonly signingService: string;
  readonly authorization: string;
  readonly action: string;
  /** The form parameters, without Action and Version. */
  readonly params: Readonly<Record<string, string>>;
  /** The parsed JSON body of a JSON-protocol request (CloudWatch). */
  readonly json?: unknown;
}

export interface FakeAwsOptions {
  readonly instances: readonly FakeInstance[];
  readonly stacks: readonly FakeStack[];
  /** Instances on a DescribeInstances page without NextToken; later pages hold the rest (up to MaxResults). */
  readonly firstPageSize: number;
  /** CloudWatch's stored data points. */
  readonly metrics?: readonly FakeDatum[];
  /** Metrics per ListMetrics page (CloudWatch: up to 500). */
  readonly listMetricsPageSize?: number;
}

const EC2_VERSION = '2016-11-15';
const CLOUDWATCH_TARGET = 'GraniteServiceVersion20100801';
const CFN_VERSION = '2010-05-15';
const EC2_XMLNS = `http://ec2.amazonaws.com/doc/${EC2_VERSION}/`;
const CFN_XMLNS = `http://cloudformation.amazonaws.com/doc/${CFN_VERSION}/`;
const STATE_CODES: Record<FakeInstance['state'], number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class FakeAwsEndpoint {
  readonly requests: RecordedRequest[] = [];
  /** Every NextToken handed out, in order. */
  readonly nextTokensIssued: string[] = [];
  private readonly server: Server;
  private requestCounter = 0;
  /** NextToken → the request's filters and the offset where the next page starts. */
  private readonly pageTokens = new Map<string, { filterKey: string; offset: number }>();

  constructor(private readonly options: FakeAwsOptions) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  /** Starts listening on 127.0.0.1 on a free port; returns the endpoint URL. */
  async start(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((e) => (e ? reject(e) : resolve())));
  }

  /** Recorded requests of one action, in order. */
  calls(action: string): RecordedRequest[] {
    return this.requests.filter((r) => r.action === action);
  }

  reset(): void {
    this.requests.length = 0;
    this.nextTokensIssued.length = 0;
    this.pageTokens.clear();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string') {
      this.handleJson(req, res, target, Buffer.concat(chunks).toString('utf8'));
      return;
    }
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const action = form.get('Action') ?? '';
    const version = form.get('Version') ?? '';
    const params: Record<string, string> = {};
    for (const [k, v] of form) if (k !== 'Action' && k !== 'Version') params[k] = v;
    const authorization = req.headers.authorization ?? '';
    const signingService = signingServiceOf(authorization);
    this.requests.push({ signingService, authorization, action, params });
    const requestId = this.nextRequestId();

    const isEc2 = version === EC2_VERSION;
    try {
      if (req.method !== 'POST') throw new ApiError(400, 'InvalidAction', `Unsupported method ${req.method}`);
      let body: string;
      if (isEc2 && action === 'DescribeInstances') body = this.describeInstances(params, requestId);
      else if (isEc2 && (action === 'StopInstances' || action === 'TerminateInstances'))
        body = this.changeState(action, params, requestId);
      else if (version === CFN_VERSION && action === 'DescribeStacks')
        body = this.describeStacks(params, requestId);
      else throw new ApiError(400, 'InvalidAction', `The action ${action} (version ${version}) is not valid`);
      send(res, 200, body, requestId);
    } catch (error) {
      const e =
        error instanceof ApiError
          ? error
          : new ApiError(500, 'InternalError', String((error as Error).message));
      send(res, e.status, isEc2 ? ec2Error(e, requestId) : queryError(e, requestId), requestId);
    }
  }

  /** A fresh request id, in the UUID form AWS returns. */
  private nextRequestId(): string {
    return `00000000-0000-4000-8000-${String(++this.requestCounter).padStart(12, '0')}`;
  }

  /** CloudWatch over AWS JSON 1.0: the operation is the X-Amz-Target header, the input the JSON body. */
  private handleJson(req: IncomingMessage, res: ServerResponse, target: string, body: string): void {
    const authorization = req.headers.authorization ?? '';
    const signingService = signingServiceOf(authorization);
    const [prefix, action] = target.split('.');
    const requestId = this.nextRequestId();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(body || '{}') as Record<string, unknown>;
    } catch {
      // recorded as sent; answered below as a serialization error
    }
    this.requests.push({ signingService, authorization, action, params: {}, json });
    try {
      if (req.headers['content-type'] !== 'application/x-amz-json-1.0' || prefix !== CLOUDWATCH_TARGET)
        throw new ApiError(400, 'SerializationException', `not a CloudWatch JSON 1.0 request: ${target}`);
      let answer: unknown;
      if (action === 'ListMetrics') answer = this.listMetrics(json);
      else if (action === 'GetMetricData') answer = this.getMetricData(json);
      else throw new ApiError(400, 'UnknownOperationException', `The action ${action} is not valid`);
      sendJson(res, 200, answer, requestId);
    } catch (error) {
      const e = error instanceof ApiError ? error : new ApiError(500, 'InternalFailure', String(error));
      sendJson(
        res,
        e.status,
        { __type: `com.amazonaws.cloudwatch#${e.code}`, message: e.message },
        requestId,
      );
    }
  }

  /** Distinct metrics (namespace, name, full dimension set) matching the request; NextToken paging. */
  private listMetrics(input: Record<string, unknown>): unknown {
    const wanted = (input.Dimensions as { Name: string; Value?: string }[] | undefined) ?? [];
    const seen = new Map<string, { Namespace: string; MetricName: string; Dimensions: object[] }>();
    for (const d of this.options.metrics ?? []) {
      const namespace = d.namespace ?? WORKER_METRIC_NAMESPACE;
      if (input.Namespace !== undefined && input.Namespace !== namespace) continue;
      if (input.MetricName !== undefined && input.MetricName !== d.metricName) continue;
      if (
        !wanted.every(
          (w) => w.Name in d.dimensions && (w.Value === undefined || d.dimensions[w.Name] === w.Value),
        )
      )
        continue;
      const dimensions = Object.entries(d.dimensions).map(([Name, Value]) => ({ Name, Value }));
      seen.set(JSON.stringify([namespace, d.metricName, dimensions]), {
        Namespace: namespace,
        MetricName: d.metricName,
        Dimensions: dimensions,
      });
    }
    const all = [...seen.values()];
    const offset = typeof input.NextToken === 'string' ? Number(input.NextToken.replace(/^metrics-/, '')) : 0;
    const size = this.options.listMetricsPageSize ?? 500;
    const page = all.slice(offset, offset + size);
    const next = offset + page.length < all.length ? `metrics-${offset + page.length}` : undefined;
    return { Metrics: page, ...(next ? { NextToken: next } : {}) };
  }

  /**
   * Per query: the data points of exactly that metric (all its dimensions named) in [StartTime, EndTime),
   * grouped in periods counted from StartTime, with the query's statistic; one result per query Id,
   * StatusCode Complete (GetMetricData API reference).
   */
  private getMetricData(input: Record<string, unknown>): unknown {
    const start = Number(input.StartTime) * 1000;
    const end = Number(input.EndTime) * 1000;
    const ascending = input.ScanBy === 'TimestampAscending';
    const queries = input.MetricDataQueries as {
      Id: string;
      MetricStat: {
        Metric: { Namespace: string; MetricName: string; Dimensions?: { Name: string; Value: string }[] };
        Period: number;
        Stat: string;
      };
    }[];
    const results = queries.map((q) => {
      const metric = q.MetricStat.Metric;
      const dims = Object.fromEntries((metric.Dimensions ?? []).map((d) => [d.Name, d.Value]));
      const periodMs = q.MetricStat.Period * 1000;
      const buckets = new Map<number, number[]>();
      for (const d of this.options.metrics ?? []) {
        const t = d.timestamp.getTime();
        if (
          (d.namespace ?? WORKER_METRIC_NAMESPACE) !== metric.Namespace ||
          d.metricName !== metric.MetricName
        )
          continue;
        if (
          JSON.stringify(Object.entries(d.dimensions).sort()) !== JSON.stringify(Object.entries(dims).sort())
        )
          continue;
        if (t < start || t >= end) continue;
        const bucket = start + Math.floor((t - start) / periodMs) * periodMs;
        buckets.set(bucket, [...(buckets.get(bucket) ?? []), d.value]);
      }
      const times = [...buckets.keys()].sort((a, b) => (ascending ? a - b : b - a));
      return {
        Id: q.Id,
        Label: metric.MetricName,
        Timestamps: times.map((t) => t / 1000),
        Values: times.map((t) => statistic(q.MetricStat.Stat, buckets.get(t)!)),
        StatusCode: 'Complete',
      };
    });
    return { MetricDataResults: results, Messages: [] };
  }

  private describeInstances(params: Record<string, string>, requestId: string): string {
    if (Object.keys(params).some((k) => k.startsWith('InstanceId.')) && params.MaxResults !== undefined) {
      throw new ApiError(400, 'InvalidParameterCombination', 'MaxResults cannot be used with InstanceIds');
    }
    const maxResults = params.MaxResults === undefined ? Infinity : Number(params.MaxResults);
    if (
      params.MaxResults !== undefined &&
      !(Number.isInteger(maxResults) && maxResults >= 5 && maxResults <= 1000)
    ) {
      throw new ApiError(
        400,
        'InvalidParameterValue',
        `Value ( ${params.MaxResults} ) for parameter maxResults is invalid`,
      );
    }
    const filters = parseFilters(params);
    const filterKey = JSON.stringify(filters);
    let offset = 0;
    let pageSize = this.options.firstPageSize;
    if (params.NextToken !== undefined) {
      const page = this.pageTokens.get(params.NextToken);
      if (!page || page.filterKey !== filterKey)
        throw new ApiError(400, 'InvalidParameterValue', `Invalid value '${params.NextToken}' for nextToken`);
      offset = page.offset;
      pageSize = maxResults;
    }
    const matching = this.options.instances.filter((i) => filters.every((f) => matchesFilter(i, f)));
    const pageInstances = matching.slice(offset, offset + Math.min(pageSize, maxResults));
    const nextOffset = offset + pageInstances.length;
    let nextToken = '';
    if (nextOffset < matching.length) {
      nextToken = Buffer.from(`page-${requestId}`).toString('base64');
      this.pageTokens.set(nextToken, { filterKey, offset: nextOffset });
      this.nextTokensIssued.push(nextToken);
    }

    // Consecutive instances of one reservation share a reservation item, as EC2 returns them.
    const reservations: { id: string; instances: FakeInstance[] }[] = [];
    for (const instance of pageInstances) {
      const id = instance.reservationId ?? `r-${instance.instanceId.slice(2)}`;
      const last = reservations[reservations.length - 1];
      if (last?.id === id) last.instances.push(instance);
      else reservations.push({ id, instances: [instance] });
    }
    const reservationItems = reservations
      .map(
        (r) =>
          `<item><reservationId>${esc(r.id)}</reservationId><ownerId>123456789012</ownerId><groupSet/>` +
          `<instancesSet>${r.instances.map(instanceXml).join('')}</instancesSet></item>`,
      )
      .join('');
    return (
      `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeInstancesResponse xmlns="${EC2_XMLNS}">` +
      `<requestId>${requestId}</requestId><reservationSet>${reservationItems}</reservationSet>` +
      (nextToken ? `<nextToken>${esc(nextToken)}</nextToken>` : '') +
      `</DescribeInstancesResponse>`
    );
  }

  /** Answers like EC2 but changes no state: the tests only check that these calls were (not) made. */
  private changeState(action: string, params: Record<string, string>, requestId: string): string {
    const ids = Object.entries(params)
      .filter(([k]) => /^InstanceId\.\d+$/.test(k))
      .map(([, v]) => v);
    const items = ids
      .map((id) => {
        const instance = this.options.instances.find((i) => i.instanceId === id);
        if (!instance)
          throw new ApiError(400, 'InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
        const next = action === 'StopInstances' ? 'stopping' : 'shutting-down';
        return (
          `<item><instanceId>${esc(id)}</instanceId>` +
          `<currentState><code>${STATE_CODES[next]}</code><name>${next}</name></currentState>` +
          `<previousState><code>${STATE_CODES[instance.state]}</code><name>${instance.state}</name></previousState></item>`
        );
      })
      .join('');
    return (
      `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${EC2_XMLNS}">` +
      `<requestId>${requestId}</requestId><instancesSet>${items}</instancesSet></${action}Response>`
    );
  }

  private describeStacks(params: Record<string, string>, requestId: string): string {
    const name = params.StackName;
    const stacks =
      name === undefined ? this.options.stacks : this.options.stacks.filter((s) => s.name === name);
    if (stacks.length === 0)
      throw new ApiError(400, 'ValidationError', `Stack with id ${name} does not exist`);
    const members = stacks
      .map((s) => {
        const outputs = Object.entries(s.outputs)
          .map(
            ([k, v]) =>
              `<member><OutputKey>${esc(k)}</OutputKey><OutputValue>${esc(v)}</OutputValue></member>`,
          )
          .join('');
        return (
          `<member><StackId>arn:aws:cloudformation:us-east-1:123456789012:stack/${esc(s.name)}/` +
          `0f000000-0000-4000-8000-000000000000</StackId><StackName>${esc(s.name)}</StackName>` +
          `<CreationTime>2026-01-05T09:00:00.000Z</CreationTime><StackStatus>UPDATE_COMPLETE</StackStatus>` +
          `<Outputs>${outputs}</Outputs></member>`
        );
      })
      .join('');
    return (
      `<DescribeStacksResponse xmlns="${CFN_XMLNS}"><DescribeStacksResult><Stacks>${members}</Stacks>` +
      `</DescribeStacksResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata>` +
      `</DescribeStacksResponse>`
    );
  }
}

interface Filter {
  readonly name: string;
  readonly values: string[];
}

/** `Filter.N.Name` / `Filter.N.Value.M` (EC2 Query, flattened lists) → filters in N order. */
function parseFilters(params: Record<string, string>): Filter[] {
  const byIndex = new Map<number, { name?: string; values: [number, string][] }>();
  for (const [key, value] of Object.entries(params)) {
    const m = /^Filter\.(\d+)\.(Name|Value\.(\d+))$/.exec(key);
    if (!m) continue;
    const entry = byIndex.get(Number(m[1])) ?? { values: [] };
    if (m[2] === 'Name') entry.name = value;
    else entry.values.push([Number(m[3]), value]);
    byIndex.set(Number(m[1]), entry);
  }
  return [...byIndex.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, entry]) => {
      if (entry.name === undefined)
        throw new ApiError(400, 'InvalidParameterValue', `Filter.${index} has no Name`);
      return { name: entry.name, values: entry.values.sort(([a], [b]) => a - b).map(([, v]) => v) };
    });
}

/** EC2 filter semantics: the values of one filter are ORed, with `*` and `?` wildcards; filters are ANDed. */
function matchesFilter(instance: FakeInstance, filter: Filter): boolean {
  const anyValue = (actual: string | undefined) =>
    actual !== undefined && filter.values.some((pattern) => wildcard(pattern).test(actual));
  if (filter.name.startsWith('tag:')) return anyValue(instance.tags[filter.name.slice(4)]);
  switch (filter.name) {
    case 'tag-key':
      return Object.keys(instance.tags).some((k) => anyValue(k));
    case 'instance-state-name':
      return anyValue(instance.state);
    case 'instance-id':
      return anyValue(instance.instanceId);
    case 'image-id':
      return anyValue(instance.imageId);
    default:
      throw new ApiError(400, 'InvalidParameterValue', `The filter '${filter.name}' is invalid`);
  }
}

function wildcard(pattern: string): RegExp {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`);
}

function instanceXml(i: FakeInstance): string {
  const tags = Object.entries(i.tags)
    .map(([k, v]) => `<item><key>${esc(k)}</key><value>${esc(v)}</value></item>`)
    .join('');
  return (
    `<item><instanceId>${esc(i.instanceId)}</instanceId><imageId>${esc(i.imageId)}</imageId>` +
    `<instanceState><code>${STATE_CODES[i.state]}</code><name>${i.state}</name></instanceState>` +
    `<privateDnsName/><dnsName/><reason>${esc(i.stateTransitionReason ?? '')}</reason>` +
    `<amiLaunchIndex>0</amiLaunchIndex><productCodes/><instanceType>${esc(i.instanceType)}</instanceType>` +
    `<launchTime>${i.launchTime.toISOString()}</launchTime>` +
    (i.instanceLifecycle ? `<instanceLifecycle>${i.instanceLifecycle}</instanceLifecycle>` : '') +
    `<placement><availabilityZone>us-east-1a</availabilityZone><tenancy>default</tenancy></placement>` +
    `<monitoring><state>disabled</state></monitoring>` +
    (tags ? `<tagSet>${tags}</tagSet>` : '') +
    `</item>`
  );
}

function ec2Error(e: ApiError, requestId: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${esc(e.code)}</Code>` +
    `<Message>${esc(e.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`
  );
}

function queryError(e: ApiError, requestId: string): string {
  return (
    `<ErrorResponse xmlns="${CFN_XMLNS}"><Error><Type>${e.status < 500 ? 'Sender' : 'Receiver'}</Type>` +
    `<Code>${esc(e.code)}</Code><Message>${esc(e.message)}</Message></Error>` +
    `<RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}

function send(res: ServerResponse, status: number, body: string, requestId: string): void {
  res.writeHead(status, {
    'content-type': 'text/xml;charset=UTF-8',
    'content-length': Buffer.byteLength(body),
    'x-amzn-requestid': requestId,
  });
  res.end(body);
}

/** The SigV4 signing service from the Authorization header (`ec2`, `monitoring`), or '' if unsigned. */
function signingServiceOf(authorization: string): string {
  return /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(authorization)?.[1] ?? '';
}

function statistic(stat: string, values: number[]): number {
  switch (stat) {
    case 'Sum':
      return values.reduce((a, b) => a + b, 0);
    case 'SampleCount':
      return values.length;
    case 'Average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'Minimum':
      return Math.min(...values);
    case 'Maximum':
      return Math.max(...values);
    default:
      throw new ApiError(400, 'InvalidParameterValue', `The statistic ${stat} is not valid`);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, requestId: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': requestId,
  });
  res.end(text);
}

function esc(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] as string,
  );
}
