/**
 * What a real Jenkins answers and logs, in one place: the fake Jenkins of the controller script tests sends
 * only these replies and its fake journal holds only lines of these shapes. The contract test
 * (test/contracts/jcasc-reload-replies.test.ts) states each shape.
 *
 * Sources:
 * - OBSERVED: a boot and reloads of a real Jenkins with JCasC 2117 (/work/shared/REFERENCE.md, "Contracts of
 *   the real components": "JCasC reload replies" and "Boot failure").
 * - JCasC: jenkinsci/configuration-as-code-plugin at the pinned tag 2117.vc05a_0b_e6b_f4e.
 * - CORE: jenkinsci/jenkins at jenkins-2.568.2, the newest tag in the stored snapshot (the pinned 2.580.1 is
 *   not in it); the lines cited are the same at jenkins-2.516.3, the core of the observed boot.
 */

export interface JenkinsReply {
  readonly status: number;
  /** The Content-Type header; absent when Jenkins writes no body. */
  readonly contentType?: string;
  readonly body: string;
}

// --- the reload endpoint: POST /reload-configuration-as-code/?casc-reload-token=… -------------------------

/**
 * A good reload: 200, empty body. OBSERVED; JCasC TokenReloadAction.java lines 63-64: `configure()` returns and
 * doIndex writes nothing.
 */
export const RELOAD_APPLIED: JenkinsReply = { status: 200, body: '' };

/**
 * A YAML JCasC rejects: 200 (not 500) with `{"status":"error","message":"Failed to reload configuration: …"}`,
 * and Jenkins keeps its old configuration. OBSERVED; JCasC TokenReloadAction.java lines 65-71 (catch
 * ConfiguratorException, `HttpResponses.errorJSON("Failed to reload configuration: " + message)`), since
 * 2099.ve3a_6e23f4960 whose TokenReloadActionTest asserts SC_OK; CORE hudson/util/HttpResponses.java lines
 * 111 and 200-225 (JSONObjectResponse: "status" then "message", `application/json; charset=UTF-8`, no status
 * set). Releases before 2099 answered this with the 500 page below.
 */
export function reloadRejected(jcascMessage: string): JenkinsReply {
  return {
    status: 200,
    contentType: 'application/json; charset=UTF-8',
    body: JSON.stringify({ status: 'error', message: `Failed to reload configuration: ${jcascMessage}` }),
  };
}

/**
 * A message JCasC gives for a YAML it rejects, exactly as 2117 builds it: ConfigurationAsCode.java lines
 * 870-875 format it, UnknownConfiguratorException.java line 11 appends the names once more (no separator).
 */
export const UNKNOWN_ROOT_ELEMENT_MESSAGE =
  'No configurator found for the following root element: clouds2. This may indicate that the required ' +
  'plugin is not installed or failed to load. Verify that the plugin is installed and check the Jenkins ' +
  'startup logs for plugin loading errors.clouds2';

/**
 * A failure outside JCasC's own checks (e.g. a variable file missing under strict resolution: JCasC
 * SecretSourceResolver.java line 134 throws IllegalStateException, which TokenReloadAction does not catch):
 * 500 with the generic "Oops!" page; the cause is only in Jenkins' log, under the page's Logging ID. OBSERVED;
 * CORE hudson/init/impl/InstallUncaughtExceptionHandler.java lines 52-59 (new id, log, status 500, render
 * /oops) and jenkins/model/Jenkins/oops.jelly with oops.properties (heading "Oops!", "A problem occurred while
 * processing the request.", "Logging ID=<id>"; the stack trace only with -Dhudson.model.Jenkins.SHOW_STACK_TRACE).
 * The page's layout chrome (header, scripts, footer) is left out here.
 */
export function oopsPage(loggingId: string): JenkinsReply {
  return {
    status: 500,
    contentType: 'text/html;charset=utf-8',
    body: [
      '<!DOCTYPE html><html><head><title>Jenkins</title></head><body>',
      '<div id="main-panel">',
      '<h1 style="text-align: center">',
      '<img src="/static/5b2f1c0e/images/rage.svg" height="179" width="154"> ' +
        '<span style="font-size:50px">&nbsp;Oops!</span>',
      '</h1>',
      '<div id="error-description">',
      '<h2 style="text-align: center">A problem occurred while processing the request.</h2>',
      `<p style="text-align: center">Logging ID=${loggingId}</p>`,
      '</div>',
      '</div>',
      '</body></html>',
    ].join('\n'),
  };
}

/**
 * A wrong token: 401. OBSERVED; JCasC TokenReloadAction.java line 74 (`response.sendError(401)`). The body is
 * the servlet container's error page; this minimal shape of Jetty's was not checked against a real one.
 */
export const RELOAD_TOKEN_REFUSED: JenkinsReply = containerErrorPage(401, 'Unauthorized');

/**
 * Reload by token not enabled (Jenkins started without CASC_RELOAD_TOKEN): 404. JCasC TokenReloadAction.java
 * lines 52-53 (`response.sendError(404)`); not part of the observation. Body as for the 401.
 */
export const RELOAD_TOKEN_NOT_ENABLED: JenkinsReply = containerErrorPage(404, 'Not Found');

function containerErrorPage(status: number, reason: string): JenkinsReply {
  return {
    status,
    contentType: 'text/html;charset=iso-8859-1',
    body:
      `<html><head><title>Error ${status} ${reason}</title></head><body>` +
      `<h2>HTTP ERROR ${status} ${reason}</h2></body></html>`,
  };
}

// --- any URL while Jenkins boots, and after a failed boot ------------------------------------------------

/**
 * Booting: 503 on every URL with the "Starting Jenkins" page. CORE hudson/util/HudsonIsLoading.java line 45
 * and HudsonIsLoading/index.jelly lines 27-51 (layout chrome left out).
 */
export const STARTING: JenkinsReply = {
  status: 503,
  contentType: 'text/html;charset=UTF-8',
  body:
    '<!DOCTYPE html><html><head><title>Starting Jenkins</title></head><body><div class="simple-page">' +
    '<h1 class="loading">Please wait while Jenkins is getting ready to work</h1>' +
    '<p class="restarting">Your browser will reload automatically when Jenkins is ready.</p></div></body></html>',
};

/**
 * After a boot JCasC stopped: the JVM stays up and answers 503 on every URL, so systemd sees a live process.
 * OBSERVED; JCasC ConfigurationAsCode.java line 392 (init throws ConfigurationAsCodeBootFailure),
 * ConfigurationAsCodeBootFailure.java line 16 (503, then handleExceptionOnReloading, lines 196-212) and
 * ConfigurationAsCode/error.jelly (title "Error loading configuration", the error message, the configurator,
 * "Attribute was:"); CORE hudson/util/ErrorObject.java line 56 (503 for any other BootFailure). Layout chrome
 * and the list of valid attributes left out.
 */
export function bootFailedPage(
  errorMessage: string,
  configurator: string,
  invalidAttribute: string,
): JenkinsReply {
  return {
    status: 503,
    contentType: 'text/html;charset=UTF-8',
    body:
      '<!DOCTYPE html><html><head><title>Error loading configuration</title></head><body><div id="main-panel">' +
      `<h1>Error loading configuration</h1><p>${errorMessage}<pre><code>${configurator}</code></pre></p>` +
      `<p>Attribute was: <pre><code>${invalidAttribute}</code></pre></p></div></body></html>`,
  };
}

/** The page of the boot failure OBSERVED with `security.sSHD` (UnknownAttributesException's parts). */
export const SSHD_BOOT_FAILED_PAGE = bootFailedPage(
  'Invalid configuration elements for type: ',
  'security',
  'sSHD',
);

/** Jenkins up: the login page (any 200 counts for the scripts). */
export const LOGIN_PAGE: JenkinsReply = {
  status: 200,
  contentType: 'text/html;charset=utf-8',
  body: '<!DOCTYPE html><html><head><title>Sign in [Jenkins]</title></head><body></body></html>',
};

// --- Jenkins' log, as journalctl -u jenkins -o cat prints it ---------------------------------------------

/**
 * One record as Jenkins logs it: winstone's Launcher.main installs io.jenkins.lib.support_log_formatter.
 * SupportLogFormatter (jenkinsci/lib-support-log-formatter SupportLogFormatter.java `format`): UTC time as
 * "yyyy-MM-dd HH:mm:ss.SSSZ", " [id=<thread>]", a tab, the level, a tab, the source class (leading packages
 * cut to their first letter to fit 32 characters) "#method: message"; then the exception, innermost cause
 * first, frames as "<tab>at …" and each wrapper as "Caused: …". systemd stores each line as a journal entry.
 */
export function logRecord(
  time: string,
  thread: number,
  level: 'INFO' | 'WARNING' | 'SEVERE',
  source: string,
  message: string,
  thrown: readonly string[] = [],
): string[] {
  return [`${time} [id=${thread}]\t${level}\t${source}: ${message}`, ...thrown];
}

/** The start of a boot (CORE jenkins/InitReactorRunner.java line 91, hudson/init/InitMilestone.java line 62). */
export const BOOT_STARTED_LOG = logRecord(
  '2026-11-30 08:02:12.406+0000',
  38,
  'INFO',
  'jenkins.InitReactorRunner$1#onAttained',
  'Started initialization',
);

/**
 * The cause JCasC gives when a YAML section's plugin is missing (OBSERVED with `security.sSHD` and no sshd
 * plugin): UnknownAttributesException from BaseConfigurator.java lines 499-506, prefixed with the
 * configurator's name (ConfiguratorException.java `getMessage`). Its second line ("Available attributes : …")
 * is left out.
 */
export const SSHD_BOOT_CAUSE =
  'io.jenkins.plugins.casc.UnknownAttributesException: security: Invalid configuration elements for type: ' +
  'class jenkins.model.GlobalConfigurationCategory$Security : sSHD.';

/**
 * The record of a failed boot: CORE hudson/util/BootFailure.java line 43 logs SEVERE "Failed to initialize
 * Jenkins" with the failure, which WebAppMain.java line 272 publishes when JCasC's initializer throws
 * (JCasC ConfigurationAsCode.java line 392). OBSERVED early in the log of a boot JCasC stopped.
 */
export function bootFailureLog(cause: string = SSHD_BOOT_CAUSE): string[] {
  return logRecord(
    '2026-11-30 08:02:41.118+0000',
    38,
    'SEVERE',
    'hudson.util.BootFailure#publish',
    'Failed to initialize Jenkins',
    [
      cause,
      '\tat io.jenkins.plugins.casc.BaseConfigurator.handleUnknown(BaseConfigurator.java:506)',
      'Caused: io.jenkins.plugins.casc.ConfigurationAsCodeBootFailure',
      '\tat io.jenkins.plugins.casc.ConfigurationAsCode.init(ConfigurationAsCode.java:392)',
    ],
  );
}

/**
 * The record behind an "Oops!" page: CORE InstallUncaughtExceptionHandler.java line 54 logs it as WARNING
 * (not SEVERE) with the page's Logging ID; the exception is the one the reload threw (here JCasC's strict
 * resolution, SecretSourceResolver.java lines 134-135). The wrappers the web layer adds are left out.
 */
export function uncaughtExceptionLog(
  loggingId: string,
  cause = "java.lang.IllegalStateException: Unable to resolve variable 'WORKER_AMI_ID'. Aborting configuration reload.",
): string[] {
  return logRecord(
    '2026-11-30 09:15:03.271+0000',
    91,
    'WARNING',
    'h.i.i.InstallUncaughtExceptionHandler#handleException',
    `Caught unhandled exception with ID ${loggingId}`,
    [
      cause,
      '\tat io.jenkins.plugins.casc.SecretSourceResolver$UnresolvedLookup.lookup(SecretSourceResolver.java:134)',
    ],
  );
}

/** JCasC's own record of a token reload it starts (TokenReloadAction.java line 61). */
export const RELOAD_TRIGGERED_LOG = logRecord(
  '2026-11-30 09:15:03.102+0000',
  91,
  'INFO',
  'i.j.p.casc.TokenReloadAction#doIndex',
  'Configuration reload triggered via token',
);

/** A Logging ID as the Oops page and the log carry it (java.util.UUID). */
export const LOGGING_ID = '3f2b8c1e-7d4a-4e9b-a1c6-5e0d9f8b7a21';

/**
 * Every reply the fake Jenkins sends, by what it means. The reload endpoint gets one of `reload`; while
 * Jenkins boots or after its boot failed, every URL (the reload endpoint and /login included) gets one of
 * `everyUrl`; /login of a running Jenkins gets `login`. Nothing else: no 403 "reload in progress" (three
 * concurrent reloads on a real Jenkins each got their own answer) and no 500 with a JSON body (JCasC before
 * 2099 answered 500 with the Oops page; 2099 and later answer a rejection with 200).
 */
export const JENKINS_REPLIES = {
  reload: {
    applied: RELOAD_APPLIED,
    rejected: reloadRejected(UNKNOWN_ROOT_ELEMENT_MESSAGE),
    failedOutsideJcasc: oopsPage(LOGGING_ID),
    tokenRefused: RELOAD_TOKEN_REFUSED,
    tokenNotEnabled: RELOAD_TOKEN_NOT_ENABLED,
  },
  everyUrl: {
    starting: STARTING,
    bootFailed: SSHD_BOOT_FAILED_PAGE,
  },
  login: LOGIN_PAGE,
} as const;
