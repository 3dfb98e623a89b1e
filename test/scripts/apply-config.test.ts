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

  /** A new bundle that only changes JCasC YAML (same core, same plugins). */
  function publishYamlChange(): string {
    const digest = sb.putBundle(
      bundleFiles({ 'casc/clouds.yaml': 'jenkins:\n  clouds: [] # cap 4\n' }),
      'new.zip',
    );
    sb.setParameter(digest, 'new.zip');
    return digest;
  }

  test('happy path: swaps current, reloads with the token, writes the variable files', async () => {
    const digest = publishYamlChange();
    sb.http.sequence(RELOAD, [[200, '']]);

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

  test('same bundle, changed variables (e.g. a new worker AMI id): rewrites them and reloads', async () => {
    sb.setParameter(oldDigest, 'old.zip');
    sb.http.sequence(RELOAD, [[200, '']]);

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
    sb.http.sequence(RELOAD, [[200, '']]);
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

  test('Jenkins rejects the YAML: message printed, previous release active and reloaded, exit 1', async () => {
    const digest = publishYamlChange();
    const page =
      '<html><body><h2>HTTP ERROR 500</h2><pre>io.jenkins.plugins.casc.UnknownAttributesException: ' +
      'amazonEC2: Invalid configuration elements for type: class hudson.plugins.ec2.EC2Cloud : instanceCap.</pre></body></html>';
    sb.http.sequence(RELOAD, [
      [500, page],
      [200, ''],
    ]);

    const r = await sb.run('apply-config.sh', ['--expect-digest', digest]);

    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Jenkins rejected the configuration (HTTP 500)');
    expect(r.stderr).toContain(
      'Invalid configuration elements for type: class hudson.plugins.ec2.EC2Cloud : instanceCap.',
    );
    expect(r.stderr).not.toContain('<pre>');
    expect(sb.current()).toBe(oldDigest);
    expect(sb.http.requests.filter((q) => q.method === 'POST')).toHaveLength(2);
    // The previous variable files are back too.
    expect(fs.readFileSync(sb.p('run/jenkins-gpu/casc-vars/JENKINS_URL'), 'utf8')).toBe(
      'http://old.example.com/',
    );
    expectNoSecrets(sb, r);
  });

  test.each([
    [500, 'JCasC releases that answer 500'],
    [200, 'JCasC releases whose JSON error reply keeps HTTP 200'],
  ])(
    'Jenkins rejects the YAML with a JSON reply (HTTP %i, %s): rolled back, message printed',
    async (status) => {
      const digest = publishYamlChange();
      const reply = JSON.stringify({
        status: 'error',
        message: 'Failed to reload configuration: No configurator for the following root elements: clouds2',
      });
      sb.http.sequence(RELOAD, [
        [status, reply],
        [200, JSON.stringify({ status: 'ok' })],
      ]);

      const r = await sb.run('apply-config.sh', ['--expect-digest', digest]);

      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `Jenkins rejected the configuration (HTTP ${status}): Failed to reload configuration: No configurator for the following root elements: clouds2`,
      );
      expect(sb.current()).toBe(oldDigest);
      expect(sb.http.requests.filter((q) => q.method === 'POST')).toHaveLength(2);
      expectNoSecrets(sb, r);
    },
  );

  test("a generic 500 page (failure outside JCasC checks): the message adds Jenkins' recent errors", async () => {
    const digest = publishYamlChange();
    sb.flag(
      'journal',
      'INFO: started\nSEVERE: io.jenkins.plugins.casc.ConfiguratorException: Unable to resolve ${WORKER_AMI_ID}\n',
    );
    sb.http.sequence(RELOAD, [
      [500, '<html><body><h1>Oops!</h1></body></html>'],
      [200, ''],
    ]);

    const r = await sb.run('apply-config.sh', ['--expect-digest', digest]);

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'Jenkins log: SEVERE: io.jenkins.plugins.casc.ConfiguratorException: Unable to resolve',
    );
    expect(r.stderr).not.toContain('INFO: started');
    expect(sb.current()).toBe(oldDigest);
  });

  test('a JSON success reply counts as applied', async () => {
    const digest = publishYamlChange();
    sb.http.sequence(RELOAD, [[200, JSON.stringify({ status: 'ok' })]]);

    const r = await sb.run('apply-config.sh', ['--expect-digest', digest]);

    expect(r.code).toBe(0);
    expect(sb.current()).toBe(digest);
  });

  test('reload answers 403 while reloading (JCasC #2524): retried until it succeeds', async () => {
    const digest = publishYamlChange();
    sb.http.sequence(RELOAD, [
      [403, 'reload in progress'],
      [403, 'reload in progress'],
      [200, ''],
    ]);

    const r = await sb.run('apply-config.sh', ['--expect-digest', digest]);

    expect(r.code).toBe(0);
    expect(sb.http.requests.filter((q) => q.method === 'POST')).toHaveLength(3);
    expect(sb.current()).toBe(digest);
  });

  test('Jenkins down: clear message, previous release stays active', async () => {
    const digest = publishYamlChange();

    const r = await sb.run('apply-config.sh', ['--expect-digest', digest], {
      JENKINS_URL_LOCAL: await closedPortUrl(),
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
    expect(sb.current()).toBe(digest);
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
    sb.http.sequence(RELOAD, [[200, '']]);

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
    sb.http.sequence('GET /login', [[200, 'login']]);

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

  test('plugin change whose release does not start: the safe restart rolls back to the previous release', async () => {
    const plugins = [fakePlugin('ec2', '9999.v0')];
    const digest = sb.putBundle(bundleFiles(pluginFiles(plugins)), 'new.zip');
    const topic = 'arn:aws:sns:us-east-1:123456789012:alerts';
    sb.setParameter(digest, 'new.zip', { alertTopicArn: topic });
    serveDownloads(sb, { plugins });
    expect((await sb.run('apply-config.sh', ['--expect-digest', digest])).code).toBe(0);
    expect(sb.current()).toBe(digest);

    fs.writeFileSync(sb.p('run/jenkins-gpu/casc-vars/ADMIN_PASSWORD'), ADMIN_PASSWORD);
    sb.http.file(
      'GET /crumbIssuer/api/json',
      JSON.stringify({ crumbRequestField: 'Jenkins-Crumb', crumb: 'c1' }),
    );
    sb.http.sequence('POST /quietDown', [[200, '']]);
    sb.http.sequence('GET /computer/api/json', [[200, '{"busyExecutors":0}']]);
    // The new release never answers; after the rollback the old one does.
    sb.http.sequence('GET /login', [
      [503, 'starting'],
      [503, 'starting'],
      [200, 'login'],
    ]);

    const r = await sb.run('apply-config.sh', ['--safe-restart'], {
      RESTART_WAIT_SECONDS: '1',
      RESTART_WAIT_INTERVAL: '1',
    });

    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`release ${digest} failed to start; rolled back to ${oldDigest}`);
    expect(sb.current()).toBe(oldDigest);
    expect(sb.calls().match(/systemctl restart jenkins/g)).toHaveLength(2);
    // CloudFormation already reported the deploy as done: the operators hear of it through the alarm topic.
    expect(sb.calls()).toMatch(
      new RegExp(
        `aws sns publish --topic-arn ${topic} --subject Jenkins upgrade rolled back --message Release ${digest}`,
      ),
    );
  });
});
