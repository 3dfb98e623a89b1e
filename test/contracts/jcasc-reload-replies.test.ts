/**
 * Contract: what a real Jenkins answers to the JCasC token reload and while it boots, and how the controller
 * scripts read each answer. The fake Jenkins of the script tests sends only the replies of
 * test/scripts/jenkins-replies.ts; each test below states one of them with its source:
 * - OBSERVED: a real Jenkins with JCasC 2117 (/work/shared/REFERENCE.md, "Contracts of the real components":
 *   "JCasC reload replies", "Boot failure");
 * - JCasC: jenkinsci/configuration-as-code-plugin at the pinned tag 2117.vc05a_0b_e6b_f4e;
 * - CORE: jenkinsci/jenkins at jenkins-2.568.2 (newest tag stored; same lines at 2.516.3, the observed core).
 */
import { bundleFiles, Sandbox } from '../scripts/harness';
import * as replies from '../scripts/jenkins-replies';
import {
  JENKINS_REPLIES,
  JenkinsReply,
  LOGGING_ID,
  UNKNOWN_ROOT_ELEMENT_MESSAGE,
} from '../scripts/jenkins-replies';

const { reload, everyUrl } = JENKINS_REPLIES;

function isReply(value: unknown): value is JenkinsReply {
  return typeof value === 'object' && value !== null && 'status' in value && 'body' in value;
}

/** Text of an HTML page without tags, as a person reads it. */
function pageText(body: string): string {
  return body
    .replace(/<[^>]*>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

describe('the replies the fake Jenkins sends', () => {
  test('the table holds exactly these replies, and every reply the module exports is in it', () => {
    expect(Object.keys(reload)).toEqual([
      'applied',
      'rejected',
      'failedOutsideJcasc',
      'tokenRefused',
      'tokenNotEnabled',
    ]);
    expect(Object.keys(everyUrl)).toEqual(['starting', 'bootFailed']);
    const inTable = new Set<JenkinsReply>([
      ...Object.values(reload),
      ...Object.values(everyUrl),
      JENKINS_REPLIES.login,
    ]);
    const exported = Object.values(replies).filter(isReply);
    for (const reply of exported) expect(inTable).toContain(reply);
  });

  // OBSERVED: three concurrent reloads, no 403. JCasC TokenReloadAction.doIndex has no 403 path, and since
  // 2099 a rejection is 200 + JSON (before: the 500 Oops page), so no 500 carries JSON.
  test('no 403 "reload in progress" and no 500 with a JSON body', () => {
    const all = [...Object.values(reload), ...Object.values(everyUrl), JENKINS_REPLIES.login];
    expect(all.map((r) => r.status)).not.toContain(403);
    for (const r of all.filter((x) => x.status === 500)) {
      expect(r.contentType).not.toMatch(/json/);
      expect(() => JSON.parse(r.body)).toThrow();
    }
  });

  // OBSERVED; JCasC TokenReloadAction.java lines 63-64: configure() returns and nothing is written.
  test('a good reload: 200 with an empty body', () => {
    expect(reload.applied).toEqual({ status: 200, body: '' });
  });

  // OBSERVED; JCasC TokenReloadAction.java lines 65-71 (errorJSON("Failed to reload configuration: " + message)),
  // CORE hudson/util/HttpResponses.java JSONObjectResponse (status, then message; no status code set).
  test('a YAML JCasC rejects: 200 with JSON {"status":"error","message":"Failed to reload configuration: …"}', () => {
    expect(reload.rejected.status).toBe(200);
    expect(reload.rejected.contentType).toBe('application/json; charset=UTF-8');
    expect(reload.rejected.body).toBe(
      JSON.stringify({
        status: 'error',
        message: `Failed to reload configuration: ${UNKNOWN_ROOT_ELEMENT_MESSAGE}`,
      }),
    );
  });

  // OBSERVED; CORE hudson/init/impl/InstallUncaughtExceptionHandler.java lines 52-59, jenkins/model/Jenkins/
  // oops.jelly and oops.properties: no cause on the page (stack traces only with SHOW_STACK_TRACE).
  test("a failure outside JCasC's checks: 500 with the generic Oops page, a Logging ID and no cause", () => {
    expect(reload.failedOutsideJcasc.status).toBe(500);
    expect(pageText(reload.failedOutsideJcasc.body)).toBe(
      `Jenkins Oops! A problem occurred while processing the request. Logging ID=${LOGGING_ID}`,
    );
  });

  // OBSERVED (401); JCasC TokenReloadAction.java line 74 (sendError(401)) and line 53 (sendError(404) when
  // Jenkins runs without a reload token).
  test('a wrong token: 401; reload by token not enabled: 404', () => {
    expect(reload.tokenRefused.status).toBe(401);
    expect(reload.tokenNotEnabled.status).toBe(404);
  });

  // CORE hudson/util/HudsonIsLoading.java line 45 and HudsonIsLoading/index.jelly.
  test('while Jenkins boots: 503 "Starting Jenkins" on every URL', () => {
    expect(everyUrl.starting.status).toBe(503);
    expect(pageText(everyUrl.starting.body)).toContain('Please wait while Jenkins is getting ready to work');
  });

  // OBSERVED; JCasC ConfigurationAsCodeBootFailure.java line 16 and ConfigurationAsCode/error.jelly.
  test('after a boot JCasC stopped: 503 "Error loading configuration" on every URL', () => {
    expect(everyUrl.bootFailed.status).toBe(503);
    expect(pageText(everyUrl.bootFailed.body)).toContain(
      'Error loading configuration Invalid configuration elements for type: security Attribute was: sSHD',
    );
  });

  // jenkinsci/lib-support-log-formatter SupportLogFormatter.format, installed by winstone's Launcher.main.
  test("the fake journal's records have the shape Jenkins logs them in", () => {
    const header =
      /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\+0000 \[id=\d+\]\t(INFO|WARNING|SEVERE)\t\S+#\w+: /;
    for (const record of [
      replies.bootFailureLog(),
      replies.uncaughtExceptionLog(LOGGING_ID),
      replies.RELOAD_TRIGGERED_LOG,
      replies.BOOT_STARTED_LOG,
    ]) {
      expect(record[0]).toMatch(header);
      for (const line of record.slice(1))
        expect(line).toMatch(/^(\tat |Caused: |[a-z]+(\.[a-z]+)+\.[A-Z]\w*: )/);
    }
    // CORE hudson/util/BootFailure.java line 43: the line a script tells a failed boot from a slow one by.
    expect(replies.bootFailureLog()[0]).toMatch(
      /\tSEVERE\thudson\.util\.BootFailure#publish: Failed to initialize Jenkins$/,
    );
  });
});

describe('how the scripts read each reply', () => {
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

  /** apply-config.sh with a YAML-only change: a JCasC reload. */
  async function applyYamlChange() {
    const digest = sb.publishYamlChange();
    // No wait for a Jenkins answering 503 before the reload (apply-config.sh waits up to 300 s for one that
    // starts, tested in test/scripts/apply-config.test.ts): this file is about how each reply is read.
    const r = await sb.run('apply-config.sh', ['--expect-digest', digest], {
      APPLY_JENKINS_WAIT_SECONDS: '0',
    });
    const posts = sb.http.requests.filter((q) => q.method === 'POST').length;
    return { r, posts, active: sb.current(), digest };
  }

  test('applied: the new release stays active', async () => {
    sb.http.replies('POST /reload-configuration-as-code/', [reload.applied]);
    const { r, active, digest } = await applyYamlChange();
    expect(r.code).toBe(0);
    expect(active).toBe(digest);
  });

  test.each([
    [
      'rejected',
      reload.rejected,
      'Jenkins rejected the configuration: Failed to reload configuration: No configurator',
    ],
    [
      'failedOutsideJcasc',
      reload.failedOutsideJcasc,
      "Jenkins failed the reload outside JCasC's checks (HTTP 500",
    ],
  ])('%s: a failure; the previous release is made active and reloaded', async (_name, reply, message) => {
    sb.http.replies('POST /reload-configuration-as-code/', [reply, reload.applied]);
    const { r, posts, active } = await applyYamlChange();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`ERROR: ${message}`);
    expect(active).toBe(oldDigest);
    expect(posts).toBe(2);
  });

  test.each([
    ['tokenRefused', reload.tokenRefused, 'wrong reload token: Jenkins answered 401'],
    ['tokenNotEnabled', reload.tokenNotEnabled, 'Jenkins has no reload by token (HTTP 404)'],
  ])(
    '%s: a failure no retry or reload can mend; one POST, the previous release active',
    async (_name, reply, message) => {
      sb.http.replies('POST /reload-configuration-as-code/', [reply]);
      const { r, posts, active } = await applyYamlChange();
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`ERROR: ${message}`);
      expect(active).toBe(oldDigest);
      expect(posts).toBe(1);
    },
  );

  test.each([
    ['starting', () => sb.jenkinsUnavailable(0, everyUrl.starting), 'Jenkins is still starting (HTTP 503)'],
    [
      'bootFailed',
      () => sb.failBoot(0),
      'Jenkins failed to boot and answers 503 on every URL: io.jenkins.plugins.casc',
    ],
  ])(
    '%s (503 on every URL): Jenkins is not up; one POST, the previous release active',
    async (_name, arrange, message) => {
      arrange();
      const { r, posts, active } = await applyYamlChange();
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`ERROR: ${message}`);
      expect(active).toBe(oldDigest);
      expect(posts).toBe(1);
    },
  );

  // wait_for_jenkins_up (bootstrap.sh's wait, apply-config.sh's after a safe restart): a 503 with the
  // BootFailure record of this start is a failed boot (2) at once; a 503 without it is a slow boot that runs
  // to the deadline (1); the login page is up (0).
  test.each([
    ['the login page', 0, 1, () => sb.http.replies('GET /login', [JENKINS_REPLIES.login])],
    ['503 with BootFailure logged in this start', 2, 1, () => sb.failBoot(0)],
    ['503 without it (a slow boot)', 1, 3, () => sb.jenkinsUnavailable(0, everyUrl.starting)],
  ])('wait_for_jenkins_up 2 1 on %s: exit %i after %i polls', async (_name, code, polls, arrange) => {
    arrange();
    sb.recordSleeps();
    const r = await sb.runLib('wait_for_jenkins_up 2 1');
    expect(r.code).toBe(code);
    expect(sb.http.requests.filter((q) => q.url === '/login')).toHaveLength(polls);
    expect(sb.sleeps()).toEqual(Array(polls - 1).fill('sleep 1'));
  });
});
