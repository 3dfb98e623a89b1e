/**
 * apply-config.sh cannot strand the controller (issue 11): one lock serializes applies and the restart of a
 * safe restart, `current` stays the release Jenkins runs while an upgrade is pending, the wait for running
 * builds is bounded and announced, a rollback sets the config parameter back, and a deploy that finds the
 * controller booting waits for the boot. Concurrency is synchronized on log lines and held HTTP replies,
 * never on sleeps.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';

import {
  ADMIN_PASSWORD,
  answer,
  bundleFiles,
  CONTROLLER,
  fakePlugin,
  pluginFiles,
  RunResult,
  Sandbox,
  serveDownloads,
} from './harness';
import { LOGIN_PAGE, RELOAD_APPLIED, STARTING } from './jenkins-replies';

const RELOAD = 'POST /reload-configuration-as-code/';
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:alerts';
const LOCK_WAIT = 'apply.lock (another apply or a safe restart holds it)';
const TIMEOUT = 180_000;

/** A running script whose stderr can be awaited line by line. */
class Running {
  stderr = '';
  stdout = '';
  readonly done: Promise<RunResult>;
  private readonly waiters: Array<{ text: string; resolve: () => void }> = [];

  constructor(sb: Sandbox, args: string[], env: Record<string, string> = {}) {
    const child: ChildProcess = spawn('bash', [path.join(CONTROLLER, 'apply-config.sh'), ...args], {
      env: sb.env(env),
      cwd: sb.dir,
    });
    child.stdout!.on('data', (d) => (this.stdout += d));
    child.stderr!.on('data', (d) => {
      this.stderr += d;
      for (const w of this.waiters.filter((x) => this.stderr.includes(x.text))) w.resolve();
    });
    this.done = new Promise((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout: this.stdout, stderr: this.stderr }));
    });
  }

  /** Resolves once stderr holds `text`; rejects if the script ends first. */
  logged(text: string): Promise<void> {
    if (this.stderr.includes(text)) return Promise.resolve();
    const seen = new Promise<void>((resolve) => this.waiters.push({ text, resolve }));
    const ended = this.done.then((r) => {
      throw new Error(`ended (exit ${r.code}) without logging '${text}':\n${r.stderr}`);
    });
    return Promise.race([seen, ended]);
  }
}

/** A route whose replies the test sends: `next()` resolves with the held response of the next request. */
function heldRoute(sb: Sandbox, key: string): { next: () => Promise<http.ServerResponse> } {
  const queue: http.ServerResponse[] = [];
  const waiting: Array<(res: http.ServerResponse) => void> = [];
  sb.http.routes.set(key, (_req, res) => {
    const w = waiting.shift();
    if (w) w(res);
    else queue.push(res);
  });
  return {
    next: () => {
      const res = queue.shift();
      return res ? Promise.resolve(res) : new Promise((resolve) => waiting.push(resolve));
    },
  };
}

describe('apply-config.sh: applies and upgrades that cannot strand the controller', () => {
  let sb: Sandbox;
  let oldDigest: string;
  const releases = () => sb.p('opt/jenkins-gpu/config/releases');
  const pendingLink = () => sb.p('run/jenkins-gpu/pending-release');
  const pending = (): string => path.basename(fs.readlinkSync(pendingLink()));
  const snsCalls = () =>
    sb
      .calls()
      .split('\n')
      .filter((l) => l.startsWith('aws sns publish'));

  beforeEach(async () => {
    sb = new Sandbox();
    await sb.http.start();
    oldDigest = sb.installActiveRelease(bundleFiles());
    fs.writeFileSync(sb.p('run/jenkins-gpu/casc-vars/ADMIN_PASSWORD'), ADMIN_PASSWORD);
    sb.http.file(
      'GET /crumbIssuer/api/json',
      JSON.stringify({ crumbRequestField: 'Jenkins-Crumb', crumb: 'c1' }),
    );
    sb.http.sequence('POST /quietDown', [[200, '']]);
  });

  afterEach(async () => {
    await sb.cleanup();
  });

  /** A bundle with another plugin version (a restart, not a reload), published in the parameter. */
  function publishPluginBump(version: string, extra: Record<string, unknown> = {}): string {
    const plugins = [fakePlugin('ec2', version)];
    const digest = sb.putBundle(bundleFiles(pluginFiles(plugins)), `${version}.zip`);
    sb.setParameter(digest, `${version}.zip`, { alertTopicArn: TOPIC, ...extra });
    serveDownloads(sb, { plugins });
    return digest;
  }

  function parameterValue(): { bundle: { digest: string } } {
    return JSON.parse(fs.readFileSync(path.join(sb.fake, 'parameter.json'), 'utf8'));
  }

  test(
    'a plugin upgrade stays pending: current is still the running release, which a Jenkins restarted by systemd starts',
    async () => {
      const digest = publishPluginBump('9999.v1');

      const r = await sb.run('apply-config.sh', ['--expect-digest', digest]);

      expect(r.code).toBe(0);
      expect(sb.current()).toBe(oldDigest);
      expect(pending()).toBe(digest);
      expect(r.stderr).toContain('at most 60 minutes');
    },
    TIMEOUT,
  );

  test(
    'while a restart is pending, a release older than the 5 newest is kept, and so is the active one',
    async () => {
      const digest = publishPluginBump('9999.v1');
      expect((await sb.run('apply-config.sh', ['--expect-digest', digest])).code).toBe(0);
      // Make the pending and the active release the oldest, then publish a YAML-only bundle 6 times over.
      fs.utimesSync(path.join(releases(), digest), 1000, 1000);
      fs.utimesSync(path.join(releases(), oldDigest), 1001, 1001);
      for (let i = 0; i < 6; i++) {
        const dir = path.join(releases(), `${i}`.repeat(64));
        fs.mkdirSync(dir);
        fs.utimesSync(dir, 2000 + i, 2000 + i);
      }
      // The apply of a bundle equal to the pending one's digest re-stages nothing and prunes.
      const r = await sb.run('apply-config.sh', ['--expect-digest', digest]);

      expect(r.code).toBe(0);
      const left = fs.readdirSync(releases());
      expect(left).toContain(digest);
      expect(left).toContain(oldDigest);
      expect(left).not.toContain('0'.repeat(64));
      expect(pending()).toBe(digest);
    },
    TIMEOUT,
  );

  test(
    'an apply that holds the lock makes the safe restart wait before it restarts Jenkins',
    async () => {
      sb.http.sequence('GET /computer/api/json', [[200, '{"busyExecutors":0}']]);
      sb.http.replies('GET /login', [LOGIN_PAGE]);
      const reload = heldRoute(sb, RELOAD);
      const digest = sb.publishYamlChange();

      const apply = new Running(sb, ['--expect-digest', digest]);
      const reloadReply = await reload.next(); // the apply holds the lock, inside its reload
      const restart = new Running(sb, ['--safe-restart']);
      await restart.logged(LOCK_WAIT);
      expect(sb.calls()).not.toContain('systemctl restart jenkins');

      answer(reloadReply, RELOAD_APPLIED);
      const [a, s] = await Promise.all([apply.done, restart.done]);

      expect(a.code).toBe(0);
      expect(s.code).toBe(0);
      expect(s.stderr).toContain(`Jenkins is up on release ${digest}`);
      expect(sb.calls()).toContain('systemctl restart jenkins');
    },
    TIMEOUT,
  );

  test(
    "the safe restart holds the lock during the restart only: an apply waits for it and sees the restart's result",
    async () => {
      const digest = publishPluginBump('9999.v1');
      expect((await sb.run('apply-config.sh', ['--expect-digest', digest])).code).toBe(0);
      sb.http.sequence('GET /computer/api/json', [[200, '{"busyExecutors":0}']]);
      const login = heldRoute(sb, 'GET /login');

      const restart = new Running(sb, ['--safe-restart'], { RESTART_WAIT_INTERVAL: '0' });
      const loginReply = await login.next(); // restarted, waiting for Jenkins to answer: holds the lock
      const apply = new Running(sb, ['--expect-digest', digest]);
      await apply.logged(LOCK_WAIT);
      answer(loginReply, LOGIN_PAGE);
      const [s, a] = await Promise.all([restart.done, apply.done]);

      expect(s.code).toBe(0);
      expect(sb.current()).toBe(digest);
      expect(fs.existsSync(pendingLink())).toBe(false);
      // It ran after the restart: the release is active, nothing pending, nothing to do.
      expect(a.code).toBe(0);
      expect(a.stdout).toContain('already active');
    },
    TIMEOUT,
  );

  test(
    'the wait for running builds does not hold the lock: an apply meanwhile becomes the release the restart starts',
    async () => {
      const first = publishPluginBump('9999.v1');
      expect((await sb.run('apply-config.sh', ['--expect-digest', first])).code).toBe(0);
      let busy = 1;
      sb.http.routes.set('GET /computer/api/json', (_req, res) =>
        res.writeHead(200).end(JSON.stringify({ busyExecutors: busy })),
      );
      sb.http.replies('GET /login', [LOGIN_PAGE]);

      const restart = new Running(sb, ['--safe-restart'], { SAFE_RESTART_POLL: '1' });
      await restart.logged('waiting for running builds');
      const second = publishPluginBump('9999.v2');
      const a = await sb.run('apply-config.sh', ['--expect-digest', second]);
      busy = 0;
      const s = await restart.done;

      expect(a.code).toBe(0);
      expect(a.stderr).not.toContain(LOCK_WAIT);
      expect(a.stderr).toContain(`release ${second} replaces ${first}`);
      expect(sb.current()).toBe(second);
      expect(s.code).toBe(0);
      expect(s.stderr).toContain(`Jenkins is up on release ${second}`);
    },
    TIMEOUT,
  );

  test(
    'builds still running after the bound: announced when the wait begins and when it ends, then restarts anyway',
    async () => {
      const digest = publishPluginBump('9999.v1');
      expect((await sb.run('apply-config.sh', ['--expect-digest', digest])).code).toBe(0);
      sb.http.sequence('GET /computer/api/json', [[200, '{"busyExecutors":2}']]);
      sb.http.replies('GET /login', [LOGIN_PAGE]);
      // The polls' waits are recorded, not slept: the count of polls (2 s / 1 s) or the clock ends the wait.
      sb.recordSleeps();

      const r = await sb.run('apply-config.sh', ['--safe-restart'], {
        SAFE_RESTART_MAX_WAIT_SECONDS: '2',
        SAFE_RESTART_POLL: '1',
      });

      expect(r.code).toBe(0);
      expect(sb.current()).toBe(digest);
      const sns = snsCalls();
      expect(sns).toHaveLength(2);
      expect(sns[0]).toContain(
        `--topic-arn ${TOPIC} --subject Jenkins restart for an upgrade: waiting for 2 running build(s)`,
      );
      expect(sns[1]).toContain('--subject Jenkins restart for an upgrade: 2 build(s) still running');
      expect(sb.calls().indexOf(sns[1])).toBeLessThan(sb.calls().indexOf('systemctl restart jenkins'));
    },
    TIMEOUT,
  );

  test(
    'the bound comes from safeRestartMaxWaitMinutes in the config parameter',
    async () => {
      const digest = publishPluginBump('9999.v1', { safeRestartMaxWaitMinutes: 5 });
      expect((await sb.run('apply-config.sh', ['--expect-digest', digest])).code).toBe(0);
      sb.http.sequence('GET /computer/api/json', [
        [200, '{"busyExecutors":1}'],
        [200, '{"busyExecutors":0}'],
      ]);
      sb.http.replies('GET /login', [LOGIN_PAGE]);

      const r = await sb.run('apply-config.sh', ['--safe-restart']);

      expect(r.code).toBe(0);
      const sns = snsCalls();
      expect(sns).toHaveLength(1);
      expect(sns[0]).toContain(
        'waits for 1 busy executor(s), at most 5 minute(s) (setting safeRestartMaxWaitMinutes)',
      );
    },
    TIMEOUT,
  );

  test(
    'a release that does not start is rolled back and the parameter is set back to the value that names the running release',
    async () => {
      sb.setParameter(oldDigest, 'old.zip', { alertTopicArn: TOPIC });
      const oldValue = fs.readFileSync(path.join(sb.fake, 'parameter.json'), 'utf8');
      const digest = publishPluginBump('9999.v1');
      const newValue = fs.readFileSync(path.join(sb.fake, 'parameter.json'), 'utf8');
      fs.writeFileSync(path.join(sb.fake, 'parameter-history'), `${oldValue}\n${newValue}\n`);
      expect((await sb.run('apply-config.sh', ['--expect-digest', digest])).code).toBe(0);
      sb.http.sequence('GET /computer/api/json', [[200, '{"busyExecutors":0}']]);
      sb.http.replies('GET /login', [LOGIN_PAGE]);
      sb.failBoot(1);

      const r = await sb.run('apply-config.sh', ['--safe-restart'], { RESTART_WAIT_INTERVAL: '0' });

      expect(r.code).toBe(1);
      expect(sb.current()).toBe(oldDigest);
      expect(parameterValue().bundle.digest).toBe(oldDigest);
      expect(JSON.parse(fs.readFileSync(path.join(sb.fake, 'parameter.json'), 'utf8'))).toEqual(
        JSON.parse(oldValue),
      );
      expect(sb.calls()).toContain(
        'aws ssm get-parameter-history --name /jg/controller/config --region us-east-1 --output json',
      );
      expect(sb.calls()).toMatch(
        /aws ssm put-parameter --name \/jg\/controller\/config --region us-east-1 --type String --overwrite --value \{/,
      );
      const rollback = snsCalls().find((l) => l.includes('--subject Jenkins upgrade rolled back'));
      expect(rollback).toContain(
        `The config parameter /jg/controller/config names release ${oldDigest} again`,
      );
    },
    TIMEOUT,
  );

  test(
    'no earlier parameter value names the running release: the announcement says the next boot would start the failed one',
    async () => {
      const digest = publishPluginBump('9999.v1');
      expect((await sb.run('apply-config.sh', ['--expect-digest', digest])).code).toBe(0);
      sb.http.sequence('GET /computer/api/json', [[200, '{"busyExecutors":0}']]);
      sb.http.replies('GET /login', [LOGIN_PAGE]);
      sb.failBoot(1);

      const r = await sb.run('apply-config.sh', ['--safe-restart'], { RESTART_WAIT_INTERVAL: '0' });

      expect(r.code).toBe(1);
      expect(sb.current()).toBe(oldDigest);
      expect(parameterValue().bundle.digest).toBe(digest);
      expect(sb.calls()).not.toContain('ssm put-parameter');
      const rollback = snsCalls().find((l) => l.includes('--subject Jenkins upgrade rolled back'));
      expect(rollback).toContain(`still names the failed release (no earlier value names ${oldDigest})`);
    },
    TIMEOUT,
  );

  test(
    'a deploy that finds the controller booting waits for its first release and Jenkins, then applies',
    async () => {
      const current = sb.p('opt/jenkins-gpu/config/current');
      fs.unlinkSync(current);
      sb.http.sequence('GET /login', [
        [STARTING.status, STARTING.body],
        [200, 'login'],
      ]);
      sb.http.replies(RELOAD, [RELOAD_APPLIED]);
      const digest = sb.publishYamlChange();

      const apply = new Running(sb, ['--expect-digest', digest], { APPLY_WAIT_INTERVAL: '1' });
      await apply.logged('the controller is booting (no active release yet)');
      fs.symlinkSync(path.join(releases(), oldDigest), current);
      const r = await apply.done;

      expect(r.code).toBe(0);
      expect(r.stderr).toContain('Jenkins is not up yet (HTTP 503 on /login)');
      expect(sb.current()).toBe(digest);
    },
    TIMEOUT,
  );

  test(
    'a controller still booting after the wait: exit 75, its boot applies the parameter',
    async () => {
      fs.unlinkSync(sb.p('opt/jenkins-gpu/config/current'));
      const digest = sb.publishYamlChange();

      const r = await sb.run('apply-config.sh', ['--expect-digest', digest], {
        APPLY_BOOT_WAIT_SECONDS: '0',
      });

      expect(r.code).toBe(75);
      expect(r.stderr).toContain(
        'the controller is still booting (no active release after 0s): its boot applies the config parameter',
      );
      expect(sb.calls()).not.toContain('s3 cp');
    },
    TIMEOUT,
  );
});
