import * as fs from 'fs';
import * as path from 'path';

import {
  ADMIN_PASSWORD,
  bundleFiles,
  closedPortUrl,
  DEFAULT_PLUGINS,
  expectNoSecrets,
  fakePlugin,
  pluginFiles,
  RELOAD_TOKEN,
  Sandbox,
  serveDownloads,
} from './harness';
import {
  bootFailureLog,
  LOGGING_ID,
  LOGIN_PAGE,
  oopsPage,
  RELOAD_APPLIED,
  RELOAD_TOKEN_REFUSED,
  RELOAD_TRIGGERED_LOG,
  reloadRejected,
  SSHD_BOOT_CAUSE,
  STARTING,
  uncaughtExceptionLog,
  UNKNOWN_ROOT_ELEMENT_MESSAGE,
} from './jenkins-replies';

const RELOAD = 'POST /reload-configuration-as-code/';

describe('apply-config.sh', () => {
  let sb: Sandbox;
  let oldDigest: string;

  beforeEach(async () => {
    sb = new Sandbox();
    await sb.http.start();
    oldDigest = sb.installActiveRelease(bundleFiles());
  });

  afterEach(async () => {
    await sb.cleanup();
  });

  const publishYamlChange = (): string => sb.publishYamlChange();
  /** The release the scheduled safe restart starts (lock.sh). */
  const pending = (): string => path.basename(fs.readlinkSync(sb.p('run/jenkins-gpu/pending-release')));

  test('happy path: swaps current, reloads with the token, writes the variable files', async () => {
    const digest = publishYamlChange();
    sb.http.replies(RELOAD, [RELOAD_APPLIED]);

    const r = await sb.run('apply-config.sh', ['--expect-digest', digest]);

    expect(r.stderr).toContain('applied by a JCasC reload');
    expect(r.code).toBe(0);
    expect(sb.current()).toBe(digest);
    const reloads = sb.http.requests.filter((q) => q.url.startsWith('/reload-configuration-as-code/'));
    expect(reloads).toHaveLength(1);
    expect(reloads[0].url).toBe(`/reload-configuration-as-code/?casc-reload-token=${RELOAD_TOKEN}`);
    const vars = sb.p('run/jenkins-gpu/casc-vars');
    expect(fs.readFileSync(path.join(vars, 'JENKINS_URL'), 'utf8')).toBe('http://jenkins.example.com/');
    expect(fs.readFileSync(path.join(vars, 'ADMIN_PASSWORD'), 'utf8')).toBe(ADMIN_PASSWORD);
    expect(fs.statSync(path.join(vars, 'ADMIN_PASSWORD')).mode & 0o777).toBe(0o400);
    expect(sb.calls()).toContain('chown jenkins:jenkins');
    expect(sb.calls()).not.toContain('systemd-run');
    expectNoSecrets(sb, r);
  });

  test('a deploy-time apply also logs to the file the CloudWatch agent ships (once it is set up)', async () => {
    fs.mkdirSync(sb.p('var/log/jenkins-gpu'), { recursive: true });
    const digest = publishYamlChange();
    sb.http.replies(RELOAD, [RELOAD_APPLIED]);

    const r = await sb.run('apply-config.sh', ['--expect-digest', digest]);

    expect(r.code).toBe(0);
    const log = fs.readFileSync(sb.p('var/log/jenkins-gpu/apply-config.log'), 'utf8');
    expect(log).toContain('applied by a JCasC reload');
    expect(r.stderr).toContain('applied by a JCasC reload');
    expect(log).not.toContain(ADMIN_PASSWORD);
  });

  test('same bundle, changed variables (e.g. a new worker AMI id): rewrites them and reloads', async () => {
    sb.setParameter(oldDigest, 'old.zip');
    sb.http.replies(RELOAD, [RELOAD_APPLIED]);

    const r = await sb.run('apply-config.sh', ['--expect-digest', oldDigest]);

    expect(r.code).toBe(0);
    expect(sb.current()).toBe(oldDigest);
    expect(fs.readFileSync(sb.p('run/jenkins-gpu/casc-vars/JENKINS_URL'), 'utf8')).toBe(
      'http://jenkins.example.com/',
    );
    expect(sb.http.requests.filter((q) => q.url.startsWith('/reload-configuration-as-code/'))).toHaveLength(
      1,
    );
    expectNoSecrets(sb, r);
  });

  test('already active with the same variables: exits 0 without downloading or reloading', async () => {
    sb.setParameter(oldDigest, 'old.zip');
    sb.http.replies(RELOAD, [RELOAD_APPLIED]);
    expect((await sb.run('apply-config.sh', ['--expect-digest', oldDigest])).code).toBe(0);
    const requestsBefore = sb.http.requests.length;

    const r = await sb.run('apply-config.sh', ['--expect-digest', oldDigest]);

    expect(r.code).toBe(0);
    expect(r.stdout).toContain('already active');
    expect(sb.calls()).not.toContain('s3 cp');
    expect(sb.http.requests).toHaveLength(requestsBefore);
  });

  test('parameter holds another digest than the deploy expects: fails before touching anything', async () => {
    const digest = publishYamlChange();
    const expected = 'a'.repeat(64);

    const r = await sb.run('apply-config.sh', ['--expect-digest', expected]);

    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`parameter holds digest ${digest}, deploy expected ${expected}`);
    expect(sb.current()).toBe(oldDigest);
  });

  test('downloaded bundle does not match the digest: error, nothing changed', async () => {
    const digest = publishYamlChange();
    // Replace the S3 object with another bundle: the parameter's digest no longer matches.
    const other = sb.putBundle(bundleFiles({ 'casc/clouds.yaml': 'tampered: true\n' }), 'new.zip');
    expect(other).not.toBe(digest);

    const r = await sb.run('apply-config.sh', ['--expect-digest', digest]);

    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('bundle digest mismatch');
    expect(sb.current()).toBe(oldDigest);
    expect(fs.existsSync(sb.p(`opt/jenkins-gpu/config/releases/${digest}`))).toBe(false);
    expect(sb.http.requests).toHaveLength(0);
  });

  test('S3 unreachable: clear error, exit non-zero, nothing changed', async () => {
    const digest = publishYamlChange();
    sb.flag('s3-unreachable');

    const r = await sb.run('apply-config.sh', ['--expect-digest', digest]);

    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /cannot download the config bundle s3:\/\/assets-bucket\/new\.zip.*nothing changed/,
    );
    expect(sb.current()).toBe(oldDigest);
    expect(fs.readdirSync(sb.p('opt/jenkins-gpu/config/releases'))).toEqual([oldDigest]);
  });

  // Reply shapes: test/scripts/jenkins-replies.ts (a real Jenkins' reload replies, REFERENCE.md, and the
  // pinned JCasC's TokenReloadAction).
  test('Jenkins rejects the YAML (200 with JSON status error): message printed, previous release active and reloaded, exit 1', async () => {
    const digest = publishYamlChange();
    sb.http.replies(RELOAD, [reloadRejected(UNKNOWN_ROOT_ELEMENT_MESSAGE), RELOAD_APPLIED]);

    const r = await sb.run('apply-config.sh', ['--expect-digest', digest]);

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `Jenkins rejected the configuration: Failed to reload configuration: ${UNKNOWN_ROOT_ELEMENT_MESSAGE}; rolled back to ${oldDigest}`,
    );
    expect(r.stderr).toContain(`previous release ${oldDigest} reloaded`);
    expect(sb.current()).toBe(oldDigest);
    expect(sb.http.requests.filter((q) => q.method === 'POST')).toHaveLength(2);
    // The previous variable files are back too.
    expect(fs.readFileSync(sb.p('run/jenkins-gpu/casc-vars/JENKINS_URL'), 'utf8')).toBe(
      'http://old.example.com/',
    );
    expectNoSecrets(sb, r);
  });

  test("a failure outside JCasC's checks (500 Oops page): rolled back; the message carries Jenkins' log record of the page's Logging ID", async () => {
    const digest = publishYamlChange();
    sb.journal([
      ...uncaughtExceptionLog('0a1b2c3d-0000-4000-8000-000000000000', 'java.io.IOException: an earlier one'),
      ...RELOAD_TRIGGERED_LOG,
      ...uncaughtExceptionLog(LOGGING_ID),
    ]);
    sb.http.replies(RELOAD, [oopsPage(LOGGING_ID), RELOAD_APPLIED]);

    const r = await sb.run('apply-config.sh', ['--expect-digest', digest]);

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `Jenkins failed the reload outside JCasC's checks (HTTP 500, Logging ID=${LOGGING_ID}); rolled back to ${oldDigest}; Jenkins log:\n` +
        `  WARNING h.i.i.InstallUncaughtExceptionHandler#handleException: Caught unhandled exception with ID ${LOGGING_ID}` +
        " | java.lang.IllegalStateException: Unable to resolve variable 'WORKER_AMI_ID'. Aborting configuration reload.",
    );
    expect(r.stderr).not.toContain('an earlier one');
    expect(r.stderr).not.toContain('Configuration reload triggered');
    expect(r.stderr).not.toContain('\tat ');
    expect(r.stderr).not.toContain('<h1');
    // Only what the Jenkins running now logged, and only since the reload began.
    expect(sb.calls()).toMatch(
      /journalctl _SYSTEMD_INVOCATION_ID=7f3a9c2e5b1d4e6f8a0b2c4d00000000 --no-pager -o cat --since @\d+/,
    );
    expect(sb.current()).toBe(oldDigest);
    expect(sb.http.requests.filter((q) => q.method === 'POST')).toHaveLength(2);
  });

  test('a 500 Oops page whose id Jenkins did not log: the message says where to look', async () => {
    const digest = publishYamlChange();
    sb.http.replies(RELOAD, [oopsPage(LOGGING_ID), RELOAD_APPLIED]);

    const r = await sb.run('apply-config.sh', ['--expect-digest', digest]);

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `(HTTP 500, Logging ID=${LOGGING_ID}); rolled back to ${oldDigest}; Jenkins logged no record of it (journalctl -u jenkins)`,
    );
  });

  test('wrong reload token (401): says so, no retry and no reload of the previous release, previous release stays active', async () => {
    const digest = publishYamlChange();
    sb.http.replies(RELOAD, [RELOAD_TOKEN_REFUSED]);

    const r = await sb.run('apply-config.sh', ['--expect-digest', digest]);

    expect(r.code).toBe(1);
    expect(r.stderr).toContain('wrong reload token: Jenkins answered 401');
    expect(r.stderr).toContain(`the previous release ${oldDigest} stays active`);
    expect(sb.http.requests.filter((q) => q.method === 'POST')).toHaveLength(1);
    expect(sb.current()).toBe(oldDigest);
    expect(fs.readFileSync(sb.p('run/jenkins-gpu/casc-vars/JENKINS_URL'), 'utf8')).toBe(
      'http://old.example.com/',
    );
    expectNoSecrets(sb, r);
  });

  test('Jenkins whose boot failed (503 on every URL, BootFailure logged): no reload of the previous release, the cause in the message', async () => {
    const digest = publishYamlChange();
    sb.failBoot(0);

    const r = await sb.run('apply-config.sh', ['--expect-digest', digest]);

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `Jenkins failed to boot and answers 503 on every URL: ${SSHD_BOOT_CAUSE}; the previous release ${oldDigest} stays active`,
    );
    expect(sb.http.requests.filter((q) => q.method === 'POST')).toHaveLength(1);
    expect(sb.current()).toBe(oldDigest);
  });

  test('Jenkins down: clear message, previous release stays active', async () => {
    const digest = publishYamlChange();

    const r = await sb.run('apply-config.sh', ['--expect-digest', digest], {
      JENKINS_URL_LOCAL: await closedPortUrl(),
      APPLY_JENKINS_WAIT_SECONDS: '0',
    });

    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Jenkins is not running');
    expect(r.stderr).toContain(`previous release ${oldDigest} stays active`);
    expect(sb.current()).toBe(oldDigest);
    expectNoSecrets(sb, r);
  });

  test('plugin change: staged plugin set, swap, safe restart scheduled with systemd-run, no reload', async () => {
    const plugins = [DEFAULT_PLUGINS[0], fakePlugin('ec2', '2060.v1')];
    serveDownloads(sb, { plugins });
    const files = bundleFiles(pluginFiles(plugins));
    const digest = sb.putBundle(files, 'plugins.zip');
    sb.setParameter(digest, 'plugins.zip');

    const r = await sb.run('apply-config.sh', ['--expect-digest', digest]);

    expect(r.code).toBe(0);
    expect(r.stderr).toContain('restarts once running builds have finished');
    // Jenkins still runs the old release: the new one is pending until the safe restart.
    expect(sb.current()).toBe(oldDigest);
    expect(pending()).toBe(digest);
    const calls = sb.calls();
    expect(calls).not.toMatch(/^java /m);
    expect(sb.http.requests.some((q) => q.url === '/plugins/ec2/2060.v1/ec2.hpi')).toBe(true);
    expect(calls).toMatch(/systemd-run --unit jenkins-gpu-safe-restart .*apply-config\.sh --safe-restart/);
    const sets = fs.readdirSync(sb.p('opt/jenkins-gpu/plugins')).filter((n) => !n.startsWith('.'));
    expect(sets).toHaveLength(1);
    expect(fs.readdirSync(sb.p(`opt/jenkins-gpu/plugins/${sets[0]}`)).sort()).toEqual([
      '.complete',
      'configuration-as-code.jpi',
      'ec2.jpi',
    ]);
    expect(sb.http.requests.some((q) => q.url.startsWith('/reload'))).toBe(false);
    expectNoSecrets(sb, r);
  });

  test('a plugin the lock does not hold: exit 1 and nothing active changes', async () => {
    serveDownloads(sb);
    const digest = sb.putBundle(bundleFiles({ 'casc/plugins.txt': 'ec2:9999.bogus\n' }), 'bad.zip');
    sb.setParameter(digest, 'bad.zip');

    const r = await sb.run('apply-config.sh', ['--expect-digest', digest]);

    expect(r.code).toBe(1);
    expect(r.stderr).toContain('casc/plugins.txt pins ec2:9999.bogus, which casc/plugins.lock does not hold');
    expect(sb.current()).toBe(oldDigest);
    expect(sb.calls()).not.toContain('systemd-run');
  });

  test('keeps the last 5 releases', async () => {
    const releases = sb.p('opt/jenkins-gpu/config/releases');
    for (let i = 0; i < 6; i++) {
      const dir = path.join(releases, `${i}`.repeat(64));
      fs.mkdirSync(dir);
      fs.utimesSync(dir, 1000 + i, 1000 + i);
    }
    fs.utimesSync(path.join(releases, oldDigest), 2000, 2000);
    const digest = publishYamlChange();
    sb.http.replies(RELOAD, [RELOAD_APPLIED]);

    const r = await sb.run('apply-config.sh', ['--expect-digest', digest]);

    expect(r.code).toBe(0);
    expect(fs.readdirSync(releases).sort()).toEqual(
      [digest, oldDigest, '5'.repeat(64), '4'.repeat(64), '3'.repeat(64)].sort(),
    );
  });

  test('--safe-restart: quiet down as admin with a crumb, wait for builds, restart', async () => {
    fs.writeFileSync(sb.p('run/jenkins-gpu/casc-vars/ADMIN_PASSWORD'), ADMIN_PASSWORD);
    sb.http.file(
      'GET /crumbIssuer/api/json',
      JSON.stringify({ crumbRequestField: 'Jenkins-Crumb', crumb: 'c1' }),
    );
    sb.http.sequence('POST /quietDown', [[200, '']]);
    sb.http.sequence('GET /computer/api/json', [
      [200, '{"busyExecutors":1}'],
      [200, '{"busyExecutors":0}'],
    ]);
    sb.http.replies('GET /login', [LOGIN_PAGE]);

    const r = await sb.run('apply-config.sh', ['--safe-restart']);

    expect(r.code).toBe(0);
    expect(r.stderr).toContain('Jenkins is up on release');
    const quiet = sb.http.requests.find((q) => q.url === '/quietDown');
    expect(quiet?.method).toBe('POST');
    expect(quiet?.headers['jenkins-crumb']).toBe('c1');
    expect(quiet?.headers.authorization).toBe(
      `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`,
    );
    expect(sb.http.requests.filter((q) => q.url.startsWith('/computer/api/json'))).toHaveLength(2);
    expect(sb.calls()).toContain('systemctl restart jenkins');
    expectNoSecrets(sb, r);
  });

  /** A staged plugin upgrade (release `digest`) and a Jenkins with no build running, ready for --safe-restart. */
  async function stageUpgrade(topic: string): Promise<string> {
    const plugins = [fakePlugin('ec2', '9999.v0')];
    const digest = sb.putBundle(bundleFiles(pluginFiles(plugins)), 'new.zip');
    sb.setParameter(digest, 'new.zip', { alertTopicArn: topic });
    serveDownloads(sb, { plugins });
    expect((await sb.run('apply-config.sh', ['--expect-digest', digest])).code).toBe(0);
    expect(pending()).toBe(digest);
    fs.writeFileSync(sb.p('run/jenkins-gpu/casc-vars/ADMIN_PASSWORD'), ADMIN_PASSWORD);
    sb.http.file(
      'GET /crumbIssuer/api/json',
      JSON.stringify({ crumbRequestField: 'Jenkins-Crumb', crumb: 'c1' }),
    );
    sb.http.sequence('POST /quietDown', [[200, '']]);
    sb.http.sequence('GET /computer/api/json', [[200, '{"busyExecutors":0}']]);
    sb.http.replies('GET /login', [LOGIN_PAGE]);
    return digest;
  }

  const loginPolls = () => sb.http.requests.filter((q) => q.url === '/login').length;

  // Boot failure shape (503 on every URL, BootFailure in the log): jenkins-replies.ts, from a real boot.
  test('new release whose boot fails: rolled back at the first 503 with BootFailure logged, not after the wait', async () => {
    const topic = 'arn:aws:sns:us-east-1:123456789012:alerts';
    const digest = await stageUpgrade(topic);
    sb.failBoot(1); // the restart onto the new release; the rollback's restart (start 2) comes up

    // Waiting the whole 5 s would make 6 polls on the failed start.
    const r = await sb.run('apply-config.sh', ['--safe-restart'], {
      RESTART_WAIT_SECONDS: '5',
      RESTART_WAIT_INTERVAL: '1',
    });

    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      `release ${digest} failed to start (Jenkins failed to boot: ${SSHD_BOOT_CAUSE} (it answers 503 on every URL; see journalctl -u jenkins)); rolled back to ${oldDigest}`,
    );
    expect(sb.current()).toBe(oldDigest);
    expect(sb.calls().match(/systemctl restart jenkins/g)).toHaveLength(2);
    expect(loginPolls()).toBe(2); // one 503 of the failed start, one 200 after the rollback
    // CloudFormation already reported the deploy as done: the operators hear of it through the alarm topic.
    expect(sb.calls()).toMatch(
      new RegExp(
        `aws sns publish --topic-arn ${topic} --subject Jenkins upgrade rolled back --message Release ${digest} \\(new core or plugins\\) did not start: Jenkins failed to boot: io\\.jenkins\\.plugins\\.casc\\.UnknownAttributesException`,
      ),
    );
  });

  test('new release that keeps booting (503 without BootFailure): waits the whole RESTART_WAIT_SECONDS, then rolls back', async () => {
    const digest = await stageUpgrade('arn:aws:sns:us-east-1:123456789012:alerts');
    sb.jenkinsUnavailable(1, STARTING);
    // A boot failure logged by an earlier start of Jenkins does not make this slow one a failed one.
    sb.journal(bootFailureLog(), 0);
    sb.recordSleeps();

    const r = await sb.run('apply-config.sh', ['--safe-restart'], {
      RESTART_WAIT_SECONDS: '2',
      RESTART_WAIT_INTERVAL: '1',
    });

    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(
      `release ${digest} failed to start (Jenkins did not answer on /login within 2s (last HTTP 503)); rolled back to ${oldDigest}`,
    );
    expect(sb.current()).toBe(oldDigest);
    expect(loginPolls()).toBe(4); // at 0, 1 and 2 s on the new release, then 200 after the rollback
    expect(sb.sleeps()).toEqual(['sleep 1', 'sleep 1']);
  });
});
