import * as fs from 'fs';
import * as path from 'path';

import { closedPortUrl, Sandbox } from './harness';
import { LOGIN_PAGE, SSHD_BOOT_CAUSE, STARTING } from './jenkins-replies';

describe('healthcheck.sh', () => {
  let sb: Sandbox;
  const stateFile = () => sb.p('run/jenkins-gpu/healthcheck-failures');

  beforeEach(async () => {
    sb = new Sandbox();
    await sb.http.start();
    sb.flag('active-jenkins');
    // Active since 100 s after boot, now 10000 s after boot: well past the 600 s grace period.
    sb.flag('active-since-us', '100000000\n');
    fs.writeFileSync(path.join(sb.dir, 'uptime'), '10000.42 20000.00\n');
  });

  afterEach(async () => {
    await sb.cleanup();
  });

  const run = (extra: Record<string, string> = {}) =>
    sb.run('healthcheck.sh', [], { JENKINS_GPU_UPTIME_FILE: path.join(sb.dir, 'uptime'), ...extra });

  test('healthy: probes /login, resets the failure count, no restart', async () => {
    sb.http.replies('GET /login', [LOGIN_PAGE]);
    fs.mkdirSync(path.dirname(stateFile()), { recursive: true });
    fs.writeFileSync(stateFile(), '2\n');

    const r = await run();

    expect(r.code).toBe(0);
    expect(sb.http.requests.map((q) => q.url)).toEqual(['/login']);
    expect(fs.readFileSync(stateFile(), 'utf8').trim()).toBe('0');
    expect(sb.calls()).not.toContain('restart');
  });

  // After a failed boot the JVM stays up answering 503 on every URL and systemd sees a live process (a real
  // boot, REFERENCE.md "Boot failure"; shapes in jenkins-replies.ts): only this check notices.
  test('a steady 503 after a failed boot: down; restarts Jenkins on the third probe, the cause in the log', async () => {
    sb.failBoot(0);

    for (const expected of ['1', '2']) {
      const r = await run();
      expect(r.code).toBe(0);
      expect(r.stderr).toContain(`(${expected}/3; HTTP 503, its boot failed: ${SSHD_BOOT_CAUSE})`);
      expect(fs.readFileSync(stateFile(), 'utf8').trim()).toBe(expected);
      expect(sb.calls()).not.toContain('systemctl restart');
    }
    const r = await run();

    expect(r.code).toBe(0);
    expect(r.stderr).toContain('3 times in a row (HTTP 503, its boot failed: ');
    expect(sb.calls()).toContain('systemctl restart jenkins.service');
    expect(fs.readFileSync(stateFile(), 'utf8').trim()).toBe('0');
  });

  // A 503 past the grace period is down even when no BootFailure was logged (a boot that hangs, or whose log
  // record was lost): only 200 counts as up.
  test('a steady 503 without a logged boot failure: down too, restarted on the third probe', async () => {
    sb.jenkinsUnavailable(0, STARTING);

    for (const expected of ['1', '2']) {
      const r = await run();
      expect(r.stderr).toContain(`(${expected}/3; HTTP 503)`);
    }
    const r = await run();

    expect(r.code).toBe(0);
    expect(r.stderr).toContain('3 times in a row (HTTP 503): restarting it');
    expect(sb.calls()).toContain('systemctl restart jenkins.service');
  });

  test('connection refused counts as a failure too', async () => {
    const r = await run({ JENKINS_URL_LOCAL: await closedPortUrl() });

    expect(r.code).toBe(0);
    expect(r.stderr).toContain('(1/3; no answer)');
    expect(fs.readFileSync(stateFile(), 'utf8').trim()).toBe('1');
  });

  test('within the grace period: no probe, no restart', async () => {
    sb.flag('active-since-us', '9700000000\n'); // active for 300 s
    fs.mkdirSync(path.dirname(stateFile()), { recursive: true });
    fs.writeFileSync(stateFile(), '2\n');

    const r = await run();

    expect(r.code).toBe(0);
    expect(sb.http.requests).toHaveLength(0);
    expect(sb.calls()).not.toContain('systemctl restart');
  });

  test('jenkins not active: systemd handles it, no probe', async () => {
    fs.rmSync(path.join(sb.fake, 'active-jenkins'));

    const r = await run();

    expect(r.code).toBe(0);
    expect(sb.http.requests).toHaveLength(0);
    expect(sb.calls()).not.toContain('systemctl restart');
  });
});
