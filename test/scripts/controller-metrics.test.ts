import * as fs from 'fs';
import * as path from 'path';

import {
  CONTROLLER_METRIC_NAMESPACE,
  CONTROLLER_METRICS,
  CONTROLLER_STACK_DIMENSION,
  QUEUE_STUCK_MINUTES,
} from '../../lib/contracts';
import { ADMIN_PASSWORD, closedPortUrl, expectNoSecrets, RunResult, Sandbox } from './harness';
import { LOGIN_PAGE, SSHD_BOOT_FAILED_PAGE } from './jenkins-replies';

interface Datum {
  MetricName: string;
  Value: number;
  Unit: string;
  Dimensions: Array<{ Name: string; Value: string }>;
}

const ARGS = ['--stack-name', 'jg', '--region', 'us-east-1'];
const MINUTE_MS = 60_000;

describe('controller-metrics.sh', () => {
  let sb: Sandbox;

  beforeEach(async () => {
    sb = new Sandbox();
    await sb.http.start();
    // Root 40% used (Used/(Used+Available) rounded up, as df -P prints it); JENKINS_HOME mounted, 86% used.
    sb.flag('df-mounts', `${sb.root} /dev/nvme0n1p1 31440900 12000000 18000000\n`);
    fs.mkdirSync(sb.p('run/jenkins-gpu/casc-vars'), { recursive: true });
    fs.writeFileSync(sb.p('run/jenkins-gpu/casc-vars/ADMIN_PASSWORD'), ADMIN_PASSWORD);
  });

  afterEach(async () => {
    await sb.cleanup();
  });

  const mountHome = (used: number, avail: number) =>
    fs.appendFileSync(
      path.join(sb.fake, 'df-mounts'),
      `${sb.p('var/lib/jenkins')} /dev/nvme1n1 51343840 ${used} ${avail}\n`,
    );

  /** Jenkins' JSON as its remote API sends it (hudson.model.Queue.Item, hudson.model.ComputerSet). */
  const jenkinsApi = (busyExecutors: number, items: Array<{ buildable: boolean; ageMinutes: number }>) => {
    sb.http.file(
      'GET /computer/api/json',
      JSON.stringify({ _class: 'hudson.model.ComputerSet', busyExecutors }),
    );
    sb.http.file(
      'GET /queue/api/json',
      JSON.stringify({
        _class: 'hudson.model.Queue',
        items: items.map((it, i) => ({
          _class: it.buildable ? 'hudson.model.Queue$BuildableItem' : 'hudson.model.Queue$WaitingItem',
          buildable: it.buildable,
          inQueueSince: Date.now() - it.ageMinutes * MINUTE_MS,
          id: i + 1,
        })),
      }),
    );
  };

  /** The metric data of the one put-metric-data call, by metric name. */
  const sent = (): Record<string, Datum> => {
    const calls = sb
      .calls()
      .split('\n')
      .filter((l) => l.startsWith('aws cloudwatch put-metric-data'));
    expect(calls).toHaveLength(1);
    expect(calls[0]).toContain(`--namespace ${CONTROLLER_METRIC_NAMESPACE} `);
    const data = JSON.parse(/--metric-data (\[.*\])$/.exec(calls[0])![1]) as Datum[];
    for (const d of data) {
      expect(d.Dimensions).toEqual([{ Name: CONTROLLER_STACK_DIMENSION, Value: 'jg' }]);
    }
    return Object.fromEntries(data.map((d) => [d.MetricName, d]));
  };
  const value = (name: keyof typeof CONTROLLER_METRICS) => sent()[CONTROLLER_METRICS[name]]?.Value;

  const run = (extra: Record<string, string> = {}): Promise<RunResult> =>
    sb.run('controller-metrics.sh', ARGS, extra);

  test('a healthy controller: up, no restart, both disks, nothing stuck, in one call without the password', async () => {
    sb.http.replies('GET /login', [LOGIN_PAGE]);
    jenkinsApi(1, [{ buildable: true, ageMinutes: 300 }]);
    mountHome(44000000, 7000000);

    const r = await run();

    expect(r.code).toBe(0);
    expect(sent()).toEqual({
      JenkinsUp: expect.objectContaining({ Value: 1, Unit: 'Count' }),
      JenkinsRestarts: expect.objectContaining({ Value: 0, Unit: 'Count' }),
      JenkinsHomeDiskUsedPercent: expect.objectContaining({ Value: 87, Unit: 'Percent' }),
      RootDiskUsedPercent: expect.objectContaining({ Value: 40, Unit: 'Percent' }),
      QueueStuckItems: expect.objectContaining({ Value: 0, Unit: 'Count' }),
    });
    // Jenkins' API needs Overall/Read: the script authenticates, with the password on no command line.
    const api = sb.http.requests.filter((q) => q.url.startsWith('/queue') || q.url.startsWith('/computer'));
    expect(api.every((q) => q.headers.authorization?.startsWith('Basic '))).toBe(true);
    expectNoSecrets(sb, r);
  });

  test(`queue stuck: buildable items older than ${QUEUE_STUCK_MINUTES} minutes while no executor is busy`, async () => {
    sb.http.replies('GET /login', [LOGIN_PAGE]);
    jenkinsApi(0, [
      { buildable: true, ageMinutes: QUEUE_STUCK_MINUTES + 2 },
      { buildable: true, ageMinutes: QUEUE_STUCK_MINUTES + 30 },
      { buildable: true, ageMinutes: QUEUE_STUCK_MINUTES - 2 },
      { buildable: false, ageMinutes: QUEUE_STUCK_MINUTES + 30 },
    ]);

    const r = await run();

    expect(r.code).toBe(0);
    expect(value('queueStuckItems')).toBe(2);
  });

  test('a steady 503 after a failed boot is down, and the queue is not asked', async () => {
    sb.http.everyUrl = () => SSHD_BOOT_FAILED_PAGE;

    const r = await run();

    expect(r.code).toBe(0);
    expect(value('jenkinsUp')).toBe(0);
    expect(sent()).not.toHaveProperty(CONTROLLER_METRICS.queueStuckItems);
    expect(sb.http.requests.map((q) => q.url)).toEqual(['/login']);
  });

  test('nothing listening is down too', async () => {
    const r = await run({ JENKINS_URL_LOCAL: await closedPortUrl() });

    expect(r.code).toBe(0);
    expect(value('jenkinsUp')).toBe(0);
  });

  test('Jenkins up but its API refused: no QueueStuckItems sample, the rest is sent', async () => {
    sb.http.replies('GET /login', [LOGIN_PAGE]);
    sb.http.sequence('GET /computer/api/json', [[403, 'Access Denied']]);

    const r = await run();

    expect(r.code).toBe(0);
    expect(r.stderr).toContain('no QueueStuckItems sample');
    expect(value('jenkinsUp')).toBe(1);
    expect(sent()).not.toHaveProperty(CONTROLLER_METRICS.queueStuckItems);
  });

  test('JENKINS_HOME not mounted: no JENKINS_HOME sample (df would name the root filesystem)', async () => {
    const r = await run({ JENKINS_URL_LOCAL: await closedPortUrl() });

    expect(r.code).toBe(0);
    expect(sent()).not.toHaveProperty(CONTROLLER_METRICS.jenkinsHomeDiskUsed);
    expect(value('rootDiskUsed')).toBe(40);
  });

  describe('restarts of jenkins.service between samples', () => {
    const nrestarts = (n: number) => sb.flag('jenkins-nrestarts', `${n}\n`);
    const startJenkins = () => sb.flag('jenkins-starts', String(sb.jenkinsStart() + 1));
    const sample = async () => {
      fs.writeFileSync(path.join(sb.fake, 'calls.log'), '');
      const r = await run({ JENKINS_URL_LOCAL: await closedPortUrl() });
      expect(r.code).toBe(0);
      return value('jenkinsRestarts');
    };

    test("counts systemd's automatic restarts (NRestarts) since the previous sample", async () => {
      nrestarts(0);
      expect(await sample()).toBe(0);
      nrestarts(2);
      startJenkins();
      startJenkins();
      expect(await sample()).toBe(2);
      expect(await sample()).toBe(0);
    });

    test('a restart by a job (NRestarts back to 0, a new invocation) counts as one', async () => {
      nrestarts(4);
      expect(await sample()).toBe(0);
      nrestarts(0);
      startJenkins();
      expect(await sample()).toBe(1);
    });

    test('after a manual restart, the automatic ones since it', async () => {
      nrestarts(5);
      expect(await sample()).toBe(0);
      nrestarts(2);
      startJenkins();
      startJenkins();
      startJenkins();
      expect(await sample()).toBe(2);
    });
  });

  test('a failed put-metric-data fails the unit with the reason', async () => {
    fs.writeFileSync(
      path.join(sb.bin, 'aws'),
      '#!/usr/bin/env bash\necho "Could not connect to the endpoint URL: \\"https://monitoring.us-east-1.amazonaws.com/\\"" >&2\nexit 255\n',
    );
    const r = await run({ JENKINS_URL_LOCAL: await closedPortUrl() });

    expect(r.code).toBe(1);
    expect(r.stderr).toContain("put-metric-data failed: this minute's sample is lost");
  });

  test('refuses a stack name that is not one', async () => {
    const r = await sb.run('controller-metrics.sh', ['--stack-name', 'a"b', '--region', 'us-east-1']);

    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--stack-name must be a CloudFormation stack name, got a"b');
  });
});
