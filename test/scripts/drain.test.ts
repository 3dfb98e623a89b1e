import { spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';

import { checkedDetail, drainCommand } from '../../lambda/controller-drain/index';
import { DRAIN_SCRIPT } from '../../lib/controller-replacement';
import { ADMIN_PASSWORD, closedPortUrl, CONTROLLER, expectNoSecrets, Sandbox } from './harness';

/**
 * The replies of the Jenkins admin API the drain uses, as the pinned core sends them (jenkinsci/jenkins at
 * jenkins-2.568.2, the newest tag in the stored snapshot):
 * - GET /crumbIssuer/api/json: the exported `crumb` and `crumbRequestField` of the crumb issuer
 *   (core/src/main/java/hudson/security/csrf/CrumbIssuer.java lines 61-73), field name "Jenkins-Crumb"
 *   (DEFAULT_CRUMB_NAME, line 55), with the `_class` every exported bean carries.
 * - POST /quietDown: `@RequirePOST`, needs MANAGE, takes the banner text as `message`, and answers
 *   `new HttpRedirect(".")`, Stapler's 302 to the root (core/src/main/java/jenkins/model/Jenkins.java lines
 *   4142-4162).
 * - GET /computer/api/json?tree=busyExecutors: `{"_class":"hudson.model.ComputerSet","busyExecutors":N}`
 *   (core/src/main/java/hudson/model/ComputerSet.java lines 213-223, `@Exported getBusyExecutors`).
 */
const CRUMB = {
  _class: 'hudson.security.csrf.DefaultCrumbIssuer',
  crumb: 'c0ffee',
  crumbRequestField: 'Jenkins-Crumb',
};
const busy = (n: number) => JSON.stringify({ _class: 'hudson.model.ComputerSet', busyExecutors: n });

const INSTANCE = 'i-0123456789abcdef0';
const GROUP = 'JenkinsGpuTraining-ControllerAsgASG1A2B3C4D-0EF5GH6IJ7KL';
const HOOK = 'JenkinsGpuTraining-DrainHook1A2B3C4D-MNOPQRSTUV';
const TOKEN = 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d';
const TOPIC = 'arn:aws:sns:us-east-1:111122223333:JenkinsGpuTraining-AlarmTopic';

function args(minutes = 20): string[] {
  return [
    ...['--instance-id', INSTANCE, '--group', GROUP, '--hook', HOOK, '--token', TOKEN],
    ...['--minutes', String(minutes), '--alert-topic', TOPIC, '--region', 'us-east-1'],
  ];
}

const COMPLETE =
  `aws autoscaling complete-lifecycle-action --region us-east-1 --auto-scaling-group-name ${GROUP} ` +
  `--lifecycle-hook-name ${HOOK} --lifecycle-action-token ${TOKEN} --lifecycle-action-result CONTINUE`;

describe('drain.sh', () => {
  let sb: Sandbox;
  let quietDownBody: string | undefined;

  beforeEach(async () => {
    sb = new Sandbox();
    await sb.http.start();
    fs.mkdirSync(sb.p('run/jenkins-gpu/casc-vars'), { recursive: true });
    fs.writeFileSync(sb.p('run/jenkins-gpu/casc-vars/ADMIN_PASSWORD'), ADMIN_PASSWORD);
    quietDownBody = undefined;
    sb.http.sequence('GET /login', [[200, 'login']]);
    sb.http.file('GET /crumbIssuer/api/json', JSON.stringify(CRUMB));
    sb.http.routes.set('POST /quietDown', (req: http.IncomingMessage, res: http.ServerResponse) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        quietDownBody = body;
        res.writeHead(302, { location: `${sb.http.url}/` }).end();
      });
    });
  });

  afterEach(async () => {
    await sb.cleanup();
  });

  const polls = () => sb.http.requests.filter((q) => q.url === '/computer/api/json?tree=busyExecutors');
  const calls = () => sb.calls().split('\n');

  test('quiets down with the crumb and a banner, announces, waits for the builds, then hands over', async () => {
    sb.http.sequence('GET /computer/api/json', [
      [200, busy(2)],
      [200, busy(2)],
      [200, busy(1)],
      [200, busy(0)],
    ]);

    const r = await sb.run('drain.sh', args(), { DRAIN_POLL_SECONDS: '0' });

    expect(r.code).toBe(0);
    const quiet = sb.http.requests.find((q) => q.url === '/quietDown')!;
    expect(quiet.method).toBe('POST');
    expect(quiet.headers['jenkins-crumb']).toBe('c0ffee');
    expect(quiet.headers.authorization).toBe(
      `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`,
    );
    expect(new URLSearchParams(quietDownBody).get('message')).toBe(
      'Controller replacement: this Jenkins stops within 20 minutes. Running builds may finish; new builds wait for the new controller.',
    );
    // The announcement counts the busy executors after quiet-down; the wait polls until none is busy.
    expect(polls()).toHaveLength(4);
    const announcement = calls().find((c) => c.startsWith('aws sns publish'));
    expect(announcement).toContain(
      `--topic-arn ${TOPIC} --subject Jenkins controller replacement: draining for up to 20 minutes`,
    );
    expect(announcement).toContain(`Jenkins controller ${INSTANCE}`);
    expect(announcement).toContain('2 busy executor(s) get up to 20 minutes to finish');
    expect(calls().filter((c) => c.startsWith('aws sns publish'))).toHaveLength(1);
    // Jenkins saves its state before the instance goes; only then may Auto Scaling terminate it.
    const stop = calls().indexOf('systemctl stop jenkins.service');
    const complete = calls().indexOf(COMPLETE);
    expect(stop).toBeGreaterThan(-1);
    expect(complete).toBeGreaterThan(stop);
    expect(calls()).toContain('systemctl stop jenkins-gpu-safe-restart.service');
    expectNoSecrets(sb, r);
  });

  test('the wait is bounded: builds still running at the end are announced, and the action completes', async () => {
    sb.http.sequence('GET /computer/api/json', [[200, busy(3)]]);

    // One minute polled every 30 s, naps recorded instead of slept: the count of polls (60 s / 30 s) ends
    // the wait, the clock never gets there.
    sb.recordSleeps();
    const r = await sb.run('drain.sh', args(1), { DRAIN_POLL_SECONDS: '30' });

    expect(r.code).toBe(0);
    expect(sb.sleeps()).toEqual(['sleep 30', 'sleep 30']);
    // The announcement's count, then one poll before each nap and one after the last.
    expect(polls()).toHaveLength(4);
    const published = calls().filter((c) => c.startsWith('aws sns publish'));
    expect(published).toHaveLength(2);
    expect(published[1]).toContain('--subject Jenkins controller replacement: 3 executor(s) still busy');
    expect(published[1]).toContain('After 1 minutes 3 executor(s) are still busy');
    expect(calls().indexOf(COMPLETE)).toBeGreaterThan(calls().indexOf('systemctl stop jenkins.service'));
  });

  test('Jenkins down: no quiet-down and no wait; announced, and the action completes at once', async () => {
    const r = await sb.run('drain.sh', args(), { JENKINS_URL_LOCAL: await closedPortUrl() });

    expect(r.code).toBe(0);
    expect(sb.http.requests).toHaveLength(0);
    const published = calls().filter((c) => c.startsWith('aws sns publish'));
    expect(published).toHaveLength(1);
    expect(published[0]).toContain('--subject Jenkins controller replaced without a drain');
    expect(published[0]).toContain('does not answer there (HTTP 000 on /login)');
    expect(calls()).toContain(COMPLETE);
  });

  test('Jenkins up but its boot failed (503 on every URL): no wait either', async () => {
    sb.http.sequence('GET /login', [[503, 'Error loading configuration']]);

    const r = await sb.run('drain.sh', args());

    expect(r.code).toBe(0);
    expect(sb.http.requests.map((q) => q.url)).toEqual(['/login']);
    expect(sb.calls()).toContain('HTTP 503 on /login');
    expect(calls()).toContain(COMPLETE);
  });

  test('quiet-down refused: announced as no drain, Jenkins stopped, the action completes', async () => {
    sb.http.sequence('POST /quietDown', [[403, 'Access denied']]);

    const r = await sb.run('drain.sh', args());

    expect(r.code).toBe(0);
    expect(r.stderr).toContain('quietDown failed');
    expect(polls()).toHaveLength(0);
    expect(sb.calls()).toContain('Jenkins refused quiet-down');
    expect(calls().indexOf(COMPLETE)).toBeGreaterThan(calls().indexOf('systemctl stop jenkins.service'));
  });

  test('no admin password file: no quiet-down possible, so no wait; the action completes', async () => {
    fs.rmSync(sb.p('run/jenkins-gpu/casc-vars/ADMIN_PASSWORD'));

    const r = await sb.run('drain.sh', args());

    expect(r.code).toBe(0);
    expect(r.stderr).toContain('no admin password file');
    expect(sb.http.requests.map((q) => q.url)).toEqual(['/login']);
    expect(calls()).toContain(COMPLETE);
  });

  test('stopped in the middle of the wait (SIGTERM): the exit still completes the action', async () => {
    sb.http.sequence('GET /computer/api/json', [[200, busy(1)]]);
    const child = spawn('bash', [path.join(CONTROLLER, 'drain.sh'), ...args()], {
      env: sb.env({ DRAIN_POLL_SECONDS: '600' }),
      cwd: sb.dir,
      detached: true, // its own process group, so the signal reaches its sleep too
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    // 'exit', not 'close': a sleep forked just after the signal was sent never got it and may keep stderr
    // open for its 600 s after bash (and its EXIT trap) is done; it is killed below.
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Wait until the drain sleeps between polls, then stop it as a timeout would.
    while (!stderr.includes('waiting for 1 busy executor(s)')) await new Promise((r) => setTimeout(r, 50));
    process.kill(-child.pid!, 'SIGTERM');
    const code = await exited;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // the group is already gone
    }

    // 143: the TERM trap ended the wait at once (no signal-killed shell, no 600 s sleep to sit out).
    expect(code).toBe(143);
    expect(calls()).toContain(COMPLETE);
  });

  test('completion refused (the action already timed out): three attempts, then a non-zero exit', async () => {
    sb.http.sequence('GET /computer/api/json', [[200, busy(0)]]);
    sb.flag('complete-fails');

    const r = await sb.run('drain.sh', args(), { COMPLETE_RETRY_DELAY: '0' });

    expect(r.code).toBe(1);
    expect(calls().filter((c) => c === COMPLETE)).toHaveLength(3);
    expect(r.stderr).toContain('No active Lifecycle Action found with token');
    expect(r.stderr).toContain('Auto Scaling continues when the hook times out');
  });

  test('accepts the exact command line the drain Lambda sends (the cross-language contract)', async () => {
    sb.http.sequence('GET /computer/api/json', [[200, busy(0)]]);
    const detail = checkedDetail({
      EC2InstanceId: INSTANCE,
      AutoScalingGroupName: GROUP,
      LifecycleHookName: HOOK,
      LifecycleActionToken: TOKEN,
      LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
    });
    const [script, ...lambdaArgs] = drainCommand(detail, {
      drainMinutes: 20,
      alertTopicArn: TOPIC,
      region: 'us-east-1',
    }).split(' ');
    // The user data unpacks assets/controller/ into /opt/jenkins-gpu/bin (assets/user-data/controller.sh).
    expect(script).toBe(DRAIN_SCRIPT);
    expect(path.basename(script)).toBe('drain.sh');

    const r = await sb.run('drain.sh', lambdaArgs);

    expect(r.code).toBe(0);
    expect(calls()).toContain(COMPLETE);
  });

  test('refuses arguments that are not what the Auto Scaling event carries, before touching anything', async () => {
    const bad = args().map((a) => (a === TOKEN ? `${TOKEN.slice(0, 35)};` : a));

    const r = await sb.run('drain.sh', bad);

    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--token must match');
    expect(sb.calls()).toBe('');
    expect(sb.http.requests).toHaveLength(0);
  });
});
