/**
 * Runs the real assets/worker/run-report.sh (with the real milestone.sh) against IMDSv2 on loopback, the
 * worker's fake `aws` and `ps`, a milestone file and the price table: the line for the build page in every
 * branch of the wait rule, the price in every case, and the metrics it sends.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { REPO } from './harness';
import { WorkerSandbox } from './worker-metadata';

const Q = 1_800_000_000; // when the build was queued
const S = Q + 2; // when it started running
const PRICES = path.join(REPO, 'data', 'ec2-prices.json');
const table = JSON.parse(fs.readFileSync(PRICES, 'utf8')) as { asOf: string; region: string };
const SOURCE = `us-east-1, data/ec2-prices.json ${table.asOf}`;
const DIMENSIONS = 'Fleet=jg-fleet,Template=gpu-tensorflow-ondemand';

let w: WorkerSandbox;
beforeEach(async () => {
  w = new WorkerSandbox();
  await w.start();
  fs.writeFileSync(w.tagsFile, 'jg-fleet gpu-tensorflow-ondemand\n');
});
afterEach(() => w.cleanup());

function milestones(lines: Array<[string, number]>): void {
  fs.writeFileSync(w.milestones, lines.map(([name, at]) => `${name} ${at}\n`).join(''));
}

const report = (now: number, extra: Record<string, string> = {}, args?: string[]) =>
  w.run('run-report.sh', args ?? ['--queued-ms', `${Q}123`.slice(0, 13), '--started-ms', `${S}456`], {
    REPORT_NOW: String(now),
    MILESTONE_NOW: String(now),
    PRICES_FILE: PRICES,
    ...extra,
  });

describe('why and how long the build waited', () => {
  it('a new worker: waited until its agent connected; GPU time since the instance started', async () => {
    milestones([
      ['instance-start', Q + 10],
      ['boot-complete', Q + 40],
      ['agent-connected', Q + 48],
    ]);
    const r = await report(Q + 10 + 4320);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `g4dn.xlarge in us-east-1b; waited 48 s for its worker (launched a new worker); GPU time 1 h 12 min, $0.63 at $0.526/hour (on-demand, ${SOURCE})\n`,
    );
  });

  it('a restarted stopped worker: an earlier start in the file', async () => {
    milestones([
      ['instance-start', Q - 86_400],
      ['agent-connected', Q - 86_300],
      ['build-end', Q - 80_000],
      ['instance-start', Q + 15],
      ['boot-complete', Q + 30],
      ['agent-connected', Q + 95],
    ]);
    const r = await report(Q + 15 + 600);
    expect(r.stdout).toBe(
      `g4dn.xlarge in us-east-1b; waited 1 min 35 s for its worker (restarted a stopped worker); GPU time 10 min, $0.09 at $0.526/hour (on-demand, ${SOURCE})\n`,
    );
  });

  it('the cap: the running worker finished another build after this one was queued', async () => {
    milestones([
      ['instance-start', Q - 3600],
      ['agent-connected', Q - 3500],
      ['build-end', Q + 300],
    ]);
    const r = await report(Q + 300 + 7200);
    expect(r.stdout).toBe(
      `g4dn.xlarge in us-east-1b; waited 5 min for its worker (waited in the queue for the cap (its worker was busy with another build)); GPU time 2 h 0 min, $1.05 at $0.526/hour (on-demand, ${SOURCE})\n`,
    );
  });

  it('a worker that was already starting when the build was queued', async () => {
    milestones([
      ['instance-start', Q - 30],
      ['agent-connected', Q + 60],
    ]);
    const r = await report(Q + 60 + 59);
    expect(r.stdout).toContain(
      'waited 1 min for its worker (took a worker that was already starting); GPU time 59 s, $0.01',
    );
  });

  it('a running idle worker: no wait; GPU time since the build was queued', async () => {
    milestones([
      ['instance-start', Q - 3600],
      ['agent-connected', Q - 3500],
      ['build-end', Q - 1200],
    ]);
    const r = await report(Q + 1800);
    expect(r.stdout).toContain('waited 0 s for its worker (reused a running worker); GPU time 30 min, $0.26');
  });

  it('a worker without milestones (booted before this version): says so, GPU time since the build started', async () => {
    const r = await report(S + 120);
    expect(r.stdout).toBe(
      `g4dn.xlarge in us-east-1b; wait unknown (why unknown: no boot milestones on this worker); GPU time 2 min, $0.02 at $0.526/hour (on-demand, ${SOURCE})\n`,
    );
    expect(w.milestoneLines()).toEqual([]); // nothing to measure from: no build-end either
  });

  it('records agent-connected from the agent process when this boot has none, and build-end', async () => {
    milestones([
      ['instance-start', Q - 600],
      ['agent-connected', Q - 700], // an earlier boot's
      ['instance-start', Q + 10],
    ]);
    w.psOut('  4300 java -jar /tmp/remoting.jar -workDir /home/ubuntu/jenkins\n');
    const r = await report(Q + 4350);
    expect(r.stdout).toContain('waited 50 s for its worker (restarted a stopped worker)');
    expect(w.milestoneLines().slice(-2)).toEqual([`agent-connected ${Q + 50}`, `build-end ${Q + 4350}`]);
  });

  it('a worker still without an agent process counts as had at the report', async () => {
    milestones([['instance-start', Q + 10]]);
    w.psOut('');
    const r = await report(Q + 70);
    expect(r.stdout).toContain('waited 1 min 10 s for its worker (launched a new worker); GPU time 1 min');
  });
});

describe('the price', () => {
  beforeEach(() =>
    milestones([
      ['instance-start', Q + 10],
      ['agent-connected', Q + 48],
    ]),
  );

  it('a spot worker: the on-demand price is only a ceiling, and no CostUsd is sent', async () => {
    w.metadata.set('instance-life-cycle', 'spot');
    const r = await report(Q + 10 + 3600);
    expect(r.stdout).toBe(
      `g4dn.xlarge in us-east-1b; waited 48 s for its worker (launched a new worker); GPU time 1 h 0 min, at most $0.53 (spot: billed at the spot price; on-demand $0.526/hour, ${SOURCE})\n`,
    );
    expect(w.awsCalls('cloudwatch').map((c) => c.split('--metric-name ')[1].split(' ')[0])).toEqual([
      'GpuSeconds',
    ]);
  });

  it('another region than the table: price unknown, never guessed', async () => {
    w.metadata.set('placement/region', 'eu-west-1');
    w.metadata.set('placement/availability-zone', 'eu-west-1a');
    const r = await report(Q + 10 + 60);
    expect(r.stdout).toBe(
      "g4dn.xlarge in eu-west-1a; waited 48 s for its worker (launched a new worker); GPU time 1 min, price unknown: data/ec2-prices.json has us-east-1's prices, this worker runs in eu-west-1\n",
    );
  });

  it('a type the table does not list', async () => {
    w.metadata.set('instance-type', 'g6e.12xlarge');
    const r = await report(Q + 10 + 60);
    expect(r.stdout).toContain('GPU time 1 min, price unknown: data/ec2-prices.json lists no g6e.12xlarge\n');
  });

  it('a type whose name is a prefix-free match only (g6.xlarge is not g6e.xlarge)', async () => {
    w.metadata.set('instance-type', 'g6.xlarge');
    const r = await report(Q + 10 + 3600);
    expect(r.stdout).toContain('$0.81 at $0.805/hour');
  });

  it('no price table on the worker', async () => {
    const r = await report(Q + 10 + 60, { PRICES_FILE: path.join(w.dir, 'missing.json') });
    expect(r.stdout).toContain(`GPU time 1 min, no price table at ${w.dir}/missing.json\n`);
  });
});

describe('metrics and failures', () => {
  beforeEach(() =>
    milestones([
      ['instance-start', Q + 10],
      ['agent-connected', Q + 48],
    ]),
  );

  it('sends GpuSeconds and CostUsd (unrounded) with the fleet and template', async () => {
    const r = await report(Q + 10 + 4320);
    expect(r.code).toBe(0);
    expect(w.awsCalls('cloudwatch')).toEqual([
      `aws cloudwatch put-metric-data --region us-east-1 --cli-connect-timeout 5 --cli-read-timeout 20 --namespace JenkinsGpu/Workers --metric-name GpuSeconds --dimensions ${DIMENSIONS} --value 4320 --unit Seconds`,
      `aws cloudwatch put-metric-data --region us-east-1 --cli-connect-timeout 5 --cli-read-timeout 20 --namespace JenkinsGpu/Workers --metric-name CostUsd --dimensions ${DIMENSIONS} --value 0.631200 --unit None`,
    ]);
  });

  it('still prints its line and exits 0 when put-metric-data is refused', async () => {
    w.awsFails(
      'cloudwatch',
      'put-metric-data',
      'An error occurred (AccessDenied) when calling the PutMetricData operation: denied',
    );
    const r = await report(Q + 10 + 60);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('launched a new worker');
    expect(r.stderr).toContain(
      'WARNING: GpuSeconds not sent: aws cloudwatch put-metric-data failed (An error occurred (AccessDenied)',
    );
  });

  it('IMDS unreachable: says what it does not know, sends nothing', async () => {
    await w.imdsDown();
    const r = await report(Q + 10 + 60);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      "instance type unknown in an unknown zone; waited 48 s for its worker (launched a new worker); GPU time 1 min, price unknown: data/ec2-prices.json has us-east-1's prices, this worker runs in an unknown region\n",
    );
    expect(r.stderr).toContain('GpuSeconds and CostUsd not sent: worker tags or region unknown');
    expect(w.awsCalls('cloudwatch')).toEqual([]);
  });

  it('bad arguments: warns, reports what it can', async () => {
    const r = await report(Q + 10 + 60, {}, ['--queued-ms', 'null', '--started-ms', '', '--extra']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("WARNING: --queued-ms 'null' is not milliseconds since 1970");
    expect(r.stderr).toContain("WARNING: unknown argument '--extra'");
    expect(r.stdout).toBe(
      `g4dn.xlarge in us-east-1b; wait unknown (why unknown: no queue time); GPU time 1 min, $0.01 at $0.526/hour (on-demand, ${SOURCE})\n`,
    );
  });
});
