/**
 * Contract: every value that crosses a boundary is defined once, in lib/contracts.ts. The files the
 * instances and Jenkins run (assets/, casc/, jobs/) cannot import it, so they spell the values; this test
 * finds each spelling, look-alikes included (another tag key under `jenkins-gpu:`, another `JenkinsGpu/`
 * namespace, a metric name one typo away), and fails on one the module does not hold. The TypeScript side
 * imports the module: a second quoted spelling there fails too.
 */
import * as fs from 'fs';
import * as path from 'path';

import { WORKER_LABELS_FILE } from '../../lib/bundle/worker-labels';
import {
  APPLY_EXIT_BOOTING,
  BUSY_TAG_INTERVAL_MINUTES,
  configParameterName,
  CONTROLLER_BIN_DIR,
  CONTROLLER_CONFIG_FIELDS,
  CONTROLLER_LOG_GROUP_PREFIX,
  CONTROLLER_METRIC_NAMESPACE,
  CONTROLLER_RELEASE_DIR,
  DEFAULT_JOB_TIMEOUT_HOURS,
  DEFAULT_STACK_NAME,
  DRAIN_ENV,
  FLEET_TAG_KEY,
  JENKINS_PORT,
  LAUNCH_TAG_KEYS,
  MAX_JOB_TIMEOUT_HOURS,
  METRIC_CONTRACTS,
  MIN_JOB_TIMEOUT_HOURS,
  QUEUE_STUCK_MINUTES,
  REAPER_ENV,
  RESERVED_TAG_KEYS,
  SAFE_RESTART_MAX_WAIT_MINUTES,
  selfReplacementsParameterName,
  SSM_SHELL_DOCUMENT,
  STACK_OUTPUTS,
  TAG_VALUE_PATTERN,
  WORKER_BOOT_COMPLETE_FILE,
  WORKER_BOOT_FAILED_FILE,
  WORKER_LOGIN_USER,
  WORKER_METRIC_NAMESPACE,
  WORKER_REMOTE_FS,
} from '../../lib/contracts';
import { BUSY_WITHOUT_AGENT_MAX_MINUTES } from '../../lib/cost/job-timeout';
import { CORE_FILE_NAME, INTENT_FILE_NAME, LOCK_FILE_NAME } from '../../lib/plugins/lock-file';

const REPO = path.resolve(__dirname, '../..');

interface SourceFile {
  /** Path from the repository root. */
  readonly file: string;
  readonly text: string;
}

/** Every text file under the given folders of the repository (binary files, with a NUL byte, skipped). */
function filesUnder(...dirs: string[]): SourceFile[] {
  const out: SourceFile[] = [];
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(REPO, rel), { withFileTypes: true })) {
      const child = path.posix.join(rel, entry.name);
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) {
        const text = fs.readFileSync(path.join(REPO, child), 'utf8');
        if (!text.includes('\0')) out.push({ file: child, text });
      }
    }
  };
  dirs.forEach(walk);
  return out;
}

/** `file:line: spelling` for every match of `pattern` (its last group that matched, if any) `allowed` refuses. */
function stray(
  files: readonly SourceFile[],
  pattern: RegExp,
  allowed: (spelling: string) => boolean,
): string[] {
  const problems: string[] = [];
  for (const { file, text } of files) {
    text.split('\n').forEach((line, i) => {
      for (const m of line.matchAll(new RegExp(pattern.source, pattern.flags.replace('g', '') + 'g'))) {
        const spelling =
          m
            .slice(1)
            .reverse()
            .find((g) => g !== undefined) ?? m[0];
        if (!allowed(spelling)) problems.push(`${file}:${i + 1}: ${spelling}`);
      }
    });
  }
  return problems;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Levenshtein distance, for metric names one or two typos away from a real one. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length];
}

/** The shell variables whose value (or default) is a contract number: every number on their assignment. */
const SHELL_NUMBERS: Readonly<Record<string, number>> = {
  QUEUE_STUCK_MINUTES, // assets/controller/controller-metrics.sh
  DEFAULT_SAFE_RESTART_MAX_WAIT_MINUTES: SAFE_RESTART_MAX_WAIT_MINUTES.default, // apply-config.sh
  BUSY_TAG_INTERVAL_MINUTES, // assets/worker/idle-watchdog.sh and payload.sh
  MAX_BUSY_NO_AGENT_MINUTES: BUSY_WITHOUT_AGENT_MAX_MINUTES, // idle-watchdog.sh's default (payload.sh renders it)
  EXIT_BOOTING: APPLY_EXIT_BOOTING, // assets/controller/apply-config.sh
};

/** A path under /opt/jenkins-gpu the contract holds: the directory itself, the scripts', the active release's. */
function isControllerPath(p: string): boolean {
  return (
    p === '/opt/jenkins-gpu' ||
    [CONTROLLER_BIN_DIR, CONTROLLER_RELEASE_DIR].some((dir) => p === dir || p.startsWith(`${dir}/`))
  );
}

/**
 * The config parameter's fields the scripts read: `config_get CONFIG '.field…'` (its first path, and for an
 * object field the fields after it, as `.bundle.digest` or `.bundle | .digest, .bucket`), and `.bundle.x`
 * anywhere (apply-config.sh matches versions by it). `field` or `field.sub` each.
 */
function configPaths(files: readonly SourceFile[]): { where: string; path: string }[] {
  const out: { where: string; path: string }[] = [];
  for (const { file, text } of files) {
    text.split('\n').forEach((line, i) => {
      const where = `${file}:${i + 1}`;
      const call = /\bconfig_get\s+\S+\s+'?\.(\w+)(.*)$/.exec(line);
      if (call && !line.trim().startsWith('#')) {
        const [, field, rest] = call;
        out.push({ where, path: field });
        const subfields = CONTROLLER_CONFIG_FIELDS[field as keyof typeof CONTROLLER_CONFIG_FIELDS];
        if (subfields?.length) {
          const direct = /^\.(\w+)/.exec(rest);
          const piped = /^\s*\|\s*([^']*)/.exec(rest);
          const names = direct ? [direct[1]] : [...(piped?.[1] ?? '').matchAll(/\.(\w+)/g)].map((m) => m[1]);
          for (const name of names) out.push({ where, path: `${field}.${name}` });
        }
      }
      if (call) return;
      for (const m of line.matchAll(/\.bundle\.(\w+)/g)) out.push({ where, path: `bundle.${m[1]}` });
    });
  }
  return out;
}

const CONFIG_PATHS = new Set(
  Object.entries(CONTROLLER_CONFIG_FIELDS).flatMap(([field, subs]) => [
    field,
    ...subs.map((s: string) => `${field}.${s}`),
  ]),
);

/** The segment after the stack in the self-replacements parameter name: `/controller/self-replacements`. */
const SELF_REPLACEMENTS_SUFFIX = selfReplacementsParameterName('S').slice('/S'.length);

const NAMESPACES = Object.keys(METRIC_CONTRACTS);
const METRIC_NAMES = Object.values(METRIC_CONTRACTS).flatMap((c) => c.metrics);
const DIMENSION_NAMES = Object.values(METRIC_CONTRACTS).flatMap((c) => c.dimensions);

/** What the checks below look for; each also runs against a planted look-alike to show it can fail. */
const checks = {
  /** Any key under the reserved prefix, also with `_`, no separator or other casing. */
  tagKeys: (files: readonly SourceFile[]) =>
    stray(files, /\bjenkins[-_]?gpu:[A-Za-z_-]+/gi, (k) => RESERVED_TAG_KEYS.includes(k)),
  /** `JenkinsGpu` alone or with a `/Path`, in any casing of Gpu; `JenkinsGpuTraining` is the stack name. */
  namespaces: (files: readonly SourceFile[]) =>
    stray(files, /\bJenkins_?G[Pp][Uu](?:\/[A-Za-z]+)?\b/g, (n) => NAMESPACES.includes(n)),
  stackNames: (files: readonly SourceFile[]) =>
    stray(
      files,
      /\bJenkins_?G[Pp][Uu][A-Z]\w*/g,
      (n) => n === DEFAULT_STACK_NAME || n.startsWith('JenkinsGpu/'),
    ),
  /** Metric names where the scripts spell them, and any CamelCase word one or two typos from one. */
  metricNames: (files: readonly SourceFile[]) => [
    ...stray(
      files,
      /(?:readonly \w*_METRIC='(\w+)'|put_metric ([A-Z][a-z]\w*)|\badd ([A-Z][a-z]\w*) |--metric-name ([A-Z][a-z]\w*)|MetricName\\?":\\?"(\w+))/g,
      (n) => METRIC_NAMES.includes(n),
    ),
    ...stray(
      files,
      /\b([A-Z][a-z]+(?:[A-Z][a-z]*)+)\b(?!\/)/g,
      (word) =>
        NAMESPACES.includes(word) ||
        METRIC_NAMES.every((name) => word === name || distance(word.toLowerCase(), name.toLowerCase()) > 2),
    ),
  ],
  /** Dimension names: `X=$v` on a `put_metric` or `--dimensions` line, JSON `"Name":"X"`, `*_DIMENSION='X'`. */
  dimensionNames: (files: readonly SourceFile[]) =>
    stray(
      files,
      /(?:readonly \w*_DIMENSION='(\w+)'|(?<=(?:put_metric|--dimensions) .*)(?<![$\w])([A-Za-z]\w*)=\$|\\"Name\\":\\"(\w+)\\",\\"Value)/g,
      (n) => DIMENSION_NAMES.includes(n),
    ),
  /** The port in a local URL, Jenkins' `--httpPort` and an SSM port forward. */
  ports: (files: readonly SourceFile[]) =>
    stray(
      files,
      /(?:localhost|127\.0\.0\.1|0\.0\.0\.0):(\d+)|--httpPort[= ](\d+)|portNumber=(\d+)/g,
      (p) => Number(p) === JENKINS_PORT,
    ),
  /** `/<stack>/controller/config` and look-alikes such as `/<stack>/controller/conf`. */
  configParameter: (files: readonly SourceFile[]) =>
    stray(files, /(\/[^\s/'"`]+\/controller\/conf\w*)/g, (p) => {
      const stack = p.split('/')[1];
      return p === configParameterName(stack);
    }),
  /** Contract numbers the scripts hold as a value or a default: `NAME=60`, `"${NAME:-60}"`, positive_int's. */
  shellNumbers: (files: readonly SourceFile[]) =>
    Object.entries(SHELL_NUMBERS).flatMap(([name, value]) =>
      stray(files, new RegExp(`^\\s*(?:readonly\\s+)?${name}=(.*)$`), (assigned) =>
        (assigned.match(/\d+/g) ?? []).every((n) => Number(n) === value),
      ),
    ),
  /** Paths on the instances: the controller's scripts, the worker's boot markers, the log group prefix. */
  instancePaths: (files: readonly SourceFile[]) => [
    ...stray(files, /(\/opt\/jenkins[-_]?gpu(?:\/[\w-]+){0,2})/gi, isControllerPath),
    ...stray(files, /(\/home\/[\w-]+\/jenkins[\w-]*)/g, (p) => p === WORKER_REMOTE_FS),
    ...stray(files, /(\/var\/lib\/jenkins[-_]?gpu\/boot[-_]?\w*)/gi, (p) =>
      [WORKER_BOOT_COMPLETE_FILE, WORKER_BOOT_FAILED_FILE].includes(p),
    ),
    ...stray(
      files,
      /(?<![\w.$-])(\/[\w-]+)\/(?:%s|<stack>|\$STACK_NAME|\$\{STACK_NAME\})\//g,
      (p) => p === CONTROLLER_LOG_GROUP_PREFIX,
    ),
  ],
  /** The plugin files a config bundle carries, as the controller scripts name them. */
  pluginFiles: (files: readonly SourceFile[]) =>
    stray(files, /\b((?:plugins?|jenkins[-_]core)[-_.]?\w*\.(?:txt|lock))\b/g, (name) =>
      [INTENT_FILE_NAME, LOCK_FILE_NAME, CORE_FILE_NAME].includes(name),
    ),
  /** The worker's login user: the templates' remoteAdmin, setup.sh's chown and build user. */
  workerUser: (files: readonly SourceFile[]) => [
    ...stray(
      files,
      /(?:remoteAdmin: *"?([\w-]+)|chown ([\w-]+):|BUILD_USER=([\w-]+))/g,
      (user) => user === WORKER_LOGIN_USER,
    ),
    ...stray(files, /remoteFS: *"?([^\s"]*)/g, (dir) => dir === WORKER_REMOTE_FS),
  ],
  /** The config parameter's fields, as the controller scripts read them with jq. */
  configFields: (files: readonly SourceFile[]) =>
    configPaths(files)
      .filter(({ path: p }) => !CONFIG_PATHS.has(p))
      .map(({ where, path: p }) => `${where}: .${p}`),
  /** `/<stack>/controller/self-replacements` and look-alikes such as `/controller/self-replacement`. */
  selfReplacementsParameter: (files: readonly SourceFile[]) =>
    stray(files, /(\/controller\/self[-_]?repl\w*)/gi, (p) => p === SELF_REPLACEMENTS_SUFFIX),
  /** TIMEOUT_HOURS' ranges (`1 to 72`, `(1-72)`) and its default in jobs/. */
  jobTimeout: (files: readonly SourceFile[]) => [
    ...stray(
      files.filter((f) => f.file.startsWith('jobs/')),
      /TIMEOUT_HOURS.*?(\d+ to \d+\b|\(\d+-\d+\))/g,
      (range) =>
        range === `${MIN_JOB_TIMEOUT_HOURS} to ${MAX_JOB_TIMEOUT_HOURS}` ||
        range === `(${MIN_JOB_TIMEOUT_HOURS}-${MAX_JOB_TIMEOUT_HOURS})`,
    ),
    ...stray(
      files,
      /stringParam\('TIMEOUT_HOURS', '(\d+)'/g,
      (hours) => Number(hours) === DEFAULT_JOB_TIMEOUT_HOURS,
    ),
  ],
};

const SHIPPED = filesUnder('assets', 'casc', 'jobs');
const file = (rel: string) => SHIPPED.find((f) => f.file === rel)!.text;

describe('boundary literals in assets/, casc/ and jobs/', () => {
  it('reads the shipped files', () => {
    expect(SHIPPED.map((f) => f.file)).toEqual(
      expect.arrayContaining([
        'casc/ec2-cloud.yaml',
        'jobs/train.Jenkinsfile',
        'assets/worker/idle-watchdog.sh',
      ]),
    );
  });

  it.each(Object.keys(checks) as (keyof typeof checks)[])(
    '%s: every spelling is one lib/contracts.ts holds',
    (name) => {
      expect(checks[name](SHIPPED)).toEqual([]);
    },
  );

  it('finds each contract value where the other side needs it', () => {
    for (const key of LAUNCH_TAG_KEYS) expect(file('casc/ec2-cloud.yaml')).toContain(`- name: "${key}"`);
    expect(file('assets/worker/milestone.sh')).toContain(`readonly FLEET_TAG_KEY='${FLEET_TAG_KEY}'`);
    for (const script of ['idle-watchdog.sh', 'milestone.sh', 'run-report.sh']) {
      expect(file(`assets/worker/${script}`)).toContain(
        `readonly METRIC_NAMESPACE='${WORKER_METRIC_NAMESPACE}'`,
      );
    }
    expect(file('assets/controller/controller-metrics.sh')).toContain(
      `NAMESPACE=${CONTROLLER_METRIC_NAMESPACE}\n`,
    );
    for (const metric of METRIC_CONTRACTS[CONTROLLER_METRIC_NAMESPACE].metrics) {
      expect(file('assets/controller/controller-metrics.sh')).toMatch(new RegExp(`\\badd ${metric} `));
    }
    expect(file('assets/controller/controller-metrics.sh')).toContain(
      `QUEUE_STUCK_MINUTES="\${QUEUE_STUCK_MINUTES:-${QUEUE_STUCK_MINUTES}}"`,
    );
    expect(file('assets/controller/apply-config.sh')).toContain(
      `DEFAULT_SAFE_RESTART_MAX_WAIT_MINUTES=${SAFE_RESTART_MAX_WAIT_MINUTES.default}\n`,
    );
    expect(file('assets/worker/idle-watchdog.sh')).toContain(
      `"\${BUSY_TAG_INTERVAL_MINUTES:-${BUSY_TAG_INTERVAL_MINUTES}}" ${BUSY_TAG_INTERVAL_MINUTES})`,
    );
    expect(file('assets/user-data/controller.sh')).toContain(`install -d -m 0755 ${CONTROLLER_BIN_DIR}\n`);
    expect(file('assets/controller/self-heal.sh')).toContain(
      `COUNTER="${selfReplacementsParameterName('$STACK_NAME')}"`,
    );
    expect(file('assets/controller/observability-setup.sh')).toContain(
      `"log_group_name": "${CONTROLLER_LOG_GROUP_PREFIX}/%s/%s"`,
    );
    expect(file('assets/worker/setup.sh')).toContain(
      `readonly BOOT_COMPLETE="$ROOT${WORKER_BOOT_COMPLETE_FILE}"`,
    );
    expect(file('assets/worker/setup.sh')).toContain(
      `readonly BOOT_FAILED="$ROOT${WORKER_BOOT_FAILED_FILE}"`,
    );
    expect(file('casc/ec2-cloud.yaml')).toContain(
      `test -f ${WORKER_BOOT_COMPLETE_FILE} || { cat ${WORKER_BOOT_FAILED_FILE} 2>/dev/null; exit 1; }`,
    );
    expect(file('assets/controller/apply-config.sh')).toContain(`EXIT_BOOTING=${APPLY_EXIT_BOOTING}\n`);
    expect(file('assets/worker/idle-watchdog.sh')).toContain(
      `"\${MAX_BUSY_NO_AGENT_MINUTES:-${BUSY_WITHOUT_AGENT_MAX_MINUTES}}" ${BUSY_WITHOUT_AGENT_MAX_MINUTES})`,
    );
    expect(file('assets/controller/systemd/jenkins.service')).toContain(
      `CASC_JENKINS_CONFIG=${CONTROLLER_RELEASE_DIR}/casc\n`,
    );
    expect(file('casc/jobs.yaml')).toContain(`- file: ${CONTROLLER_RELEASE_DIR}/jobs/seed.groovy\n`);
    for (const yaml of ['casc/ec2-cloud.yaml']) {
      expect(file(yaml)).toContain(`remoteAdmin: ${WORKER_LOGIN_USER}\n`);
      expect(file(yaml)).toContain(`remoteFS: ${WORKER_REMOTE_FS}\n`);
    }
    expect(file('assets/worker/setup.sh')).toContain(
      `chown ${WORKER_LOGIN_USER}:${WORKER_LOGIN_USER} "$ROOT${WORKER_REMOTE_FS}"`,
    );
    expect(file('assets/worker/payload.sh')).toContain(`REMOTE_FS=${WORKER_REMOTE_FS}\n`);
    expect(file('assets/worker/idle-watchdog.sh')).toContain(
      `REMOTE_FS="\${REMOTE_FS:-${WORKER_REMOTE_FS}}"`,
    );
    // The seed reads it beside itself (the bundle's jobs/ folder).
    // Every field ControllerConfig writes is read by a script, and every object field's fields too.
    const read = new Set(configPaths(SHIPPED).map((p) => p.path));
    expect([...CONFIG_PATHS].filter((p) => !read.has(p))).toEqual([]);
    expect(file('jobs/seed.groovy')).toContain(
      `new File(jobsDir, '${path.posix.basename(WORKER_LABELS_FILE)}')`,
    );
    for (const name of [INTENT_FILE_NAME, LOCK_FILE_NAME, CORE_FILE_NAME]) {
      expect(file('assets/controller/apply-config.sh')).toContain(name);
    }
    expect(file('assets/controller/jenkins-start.sh')).toContain(`--httpPort=${JENKINS_PORT}`);
    expect(file('assets/controller/lib.sh')).toContain(`http://127.0.0.1:${JENKINS_PORT}`);
    expect(file('jobs/seed.groovy')).toContain(
      `stringParam('TIMEOUT_HOURS', '${DEFAULT_JOB_TIMEOUT_HOURS}', 'Hours the training command may run (${MIN_JOB_TIMEOUT_HOURS}-${MAX_JOB_TIMEOUT_HOURS}).')`,
    );
    expect(file('jobs/train.Jenkinsfile')).toContain(
      `'must be a whole number of hours, ${MIN_JOB_TIMEOUT_HOURS} to ${MAX_JOB_TIMEOUT_HOURS}')`,
    );
  });

  it('fails on look-alike spellings', () => {
    const planted = (text: string): SourceFile[] => [{ file: 'jobs/planted.sh', text }];
    expect(checks.tagKeys(planted('aws ec2 create-tags --tags Key=jenkins-gpu:busy,Value=x'))).toEqual([
      'jobs/planted.sh:1: jenkins-gpu:busy',
    ]);
    expect(checks.tagKeys(planted('- name: "Jenkins-GPU:fleet"'))).toHaveLength(1);
    expect(checks.namespaces(planted("readonly METRIC_NAMESPACE='JenkinsGpu/Worker'"))).toHaveLength(1);
    expect(checks.namespaces(planted('NAMESPACE=JenkinsGPU/Controller'))).toHaveLength(1);
    expect(checks.stackNames(planted('--stack JenkinsGpuTrainer'))).toHaveLength(1);
    expect(checks.metricNames(planted('put_metric GpuSecond "$s" Seconds'))).not.toEqual([]);
    expect(checks.metricNames(planted('  add JenkinsHomeDiskUsedPct "$p" Percent'))).not.toEqual([]);
    expect(checks.metricNames(planted('# sends BusySignalFailure on a failure'))).toHaveLength(1);
    expect(checks.dimensionNames(planted('--dimensions "Fleets=$fleet,Template=$template"'))).toHaveLength(1);
    expect(checks.ports(planted('JG_JENKINS_URL="http://127.0.0.1:8081"'))).toHaveLength(1);
    expect(checks.ports(planted('-jar "$war" --httpPort=9090'))).toHaveLength(1);
    expect(checks.configParameter(planted('--config-parameter /S/controller/configuration'))).toHaveLength(1);
    expect(checks.configParameter(planted('--config-parameter /S/config/controller'))).toEqual([]);
    expect(checks.jobTimeout(planted("stringParam('TIMEOUT_HOURS', '6', 'Hours (1-72).')"))).toHaveLength(1);
    expect(
      checks.jobTimeout(planted("checkParameter(errors, p, 'TIMEOUT_HOURS', '[1-9]', 'hours, 1 to 48')")),
    ).toHaveLength(1);
    expect(checks.shellNumbers(planted('QUEUE_STUCK_MINUTES="${QUEUE_STUCK_MINUTES:-30}"'))).toHaveLength(1);
    expect(checks.shellNumbers(planted('readonly DEFAULT_SAFE_RESTART_MAX_WAIT_MINUTES=90'))).toHaveLength(1);
    expect(
      checks.shellNumbers(
        planted('BUSY_TAG_INTERVAL_MINUTES="$(positive_int X "${BUSY_TAG_INTERVAL_MINUTES:-5}" 10)"'),
      ),
    ).toHaveLength(1);
    expect(checks.instancePaths(planted('exec /opt/jenkins-gpu/bin2/bootstrap.sh'))).toHaveLength(1);
    expect(checks.instancePaths(planted('test -f /var/lib/jenkins-gpu/boot-completed'))).toHaveLength(1);
    expect(checks.instancePaths(planted('"log_group_name": "/jenkins_gpu/%s/%s"'))).toHaveLength(1);
    expect(checks.selfReplacementsParameter(planted('C="/$S/controller/self-replacement"'))).toHaveLength(1);
    expect(checks.shellNumbers(planted('EXIT_BOOTING=74'))).toHaveLength(1);
    expect(checks.configFields(planted(`  digest="$(config_get "$config" .bundle.sha256)"`))).toEqual([
      'jobs/planted.sh:1: .bundle.sha256',
    ]);
    expect(checks.configFields(planted(`  t="$(config_get "$c" '.alertTopic // empty')"`))).toHaveLength(1);
    expect(
      checks.configFields(
        planted(`mapfile -t m < <(config_get "$c" '.artifactMirror | (.bucket // ""), (.path // "")')`),
      ),
    ).toEqual(['jobs/planted.sh:1: .artifactMirror.path']);
    expect(checks.configFields(planted(`config_get "$c" '.vars // {} | to_entries[] | "\\(.key)"'`))).toEqual(
      [],
    );
    expect(checks.pluginFiles(planted('cp "$dir/plugin.lock" "$dest"'))).toHaveLength(1);
    expect(checks.pluginFiles(planted('read "$dir/jenkins_core.txt"'))).toHaveLength(1);
    expect(checks.shellNumbers(planted('X="${MAX_BUSY_NO_AGENT_MINUTES:-4440}"'))).toEqual([]);
    expect(
      checks.shellNumbers(planted('MAX_BUSY_NO_AGENT_MINUTES="${MAX_BUSY_NO_AGENT_MINUTES:-4380}"')),
    ).toHaveLength(1);
    expect(
      checks.instancePaths(planted('  - file: /opt/jenkins-gpu/config/curent/jobs/seed.groovy')),
    ).toHaveLength(1);
    expect(checks.instancePaths(planted('REMOTE_FS=/home/ubuntu/jenkins-agent'))).toHaveLength(1);
    expect(checks.workerUser(planted('            remoteAdmin: ec2-user'))).toHaveLength(1);
    expect(checks.workerUser(planted('            remoteFS: /data/jenkins'))).toHaveLength(1);
    expect(checks.workerUser(planted('chown jenkins:jenkins "$d"'))).toHaveLength(1);
  });

  it('accepts the spellings the module holds', () => {
    const planted: SourceFile[] = [
      {
        file: 'jobs/planted.sh',
        text: [
          `readonly TAG='${FLEET_TAG_KEY}' NS='${WORKER_METRIC_NAMESPACE}' STACK=${DEFAULT_STACK_NAME}`,
          `put_metric GpuSeconds "$s" Seconds "Fleet=$fleet" "Template=$template"`,
          `curl http://localhost:${JENKINS_PORT}/ ${configParameterName('S')}`,
          `stringParam('TIMEOUT_HOURS', '${DEFAULT_JOB_TIMEOUT_HOURS}', '(${MIN_JOB_TIMEOUT_HOURS}-${MAX_JOB_TIMEOUT_HOURS})')`,
          `QUEUE_STUCK_MINUTES="\${QUEUE_STUCK_MINUTES:-${QUEUE_STUCK_MINUTES}}"`,
          `exec ${CONTROLLER_BIN_DIR}/bootstrap.sh; test -f ${WORKER_BOOT_COMPLETE_FILE}`,
          `log "${CONTROLLER_LOG_GROUP_PREFIX}/$STACK_NAME/*" ${selfReplacementsParameterName('$S')}`,
        ].join('\n'),
      },
    ];
    for (const check of Object.values(checks)) expect(check(planted)).toEqual([]);
  });
});

describe('boundary literals in the TypeScript', () => {
  it('lib/contracts.ts imports nothing, so a Lambda bundle that uses it pulls in no aws-cdk-lib', () => {
    const text = fs.readFileSync(path.join(REPO, 'lib/contracts.ts'), 'utf8');
    expect(text).not.toMatch(/^\s*(import|export .* from)\b|require\(/m);
  });

  const sources = filesUnder('lib', 'lambda', 'bin').filter((f) => f.file !== 'lib/contracts.ts');
  /** Code lines only: comments may name a value to explain it. */
  const code = sources.map((f) => ({
    file: f.file,
    text: f.text
      .split('\n')
      .map((l) => (/^\s*(\*|\/\*|\/\/)/.test(l) ? '' : l))
      .join('\n'),
  }));
  const values = [
    ...RESERVED_TAG_KEYS,
    ...NAMESPACES,
    ...METRIC_NAMES,
    ...Object.values(STACK_OUTPUTS),
    // FLEET_TAG_VALUE is also a casc stack variable (lib/casc/stack-variables.ts), a boundary of its own.
    ...Object.values(REAPER_ENV).filter((name) => name !== REAPER_ENV.fleetTagValue),
    ...Object.values(DRAIN_ENV),
    DEFAULT_STACK_NAME,
    CONTROLLER_LOG_GROUP_PREFIX,
    SSM_SHELL_DOCUMENT,
  ];

  it('spells no contract value as a second string literal: it imports lib/contracts.ts', () => {
    const escaped = values.map(escapeRegExp);
    const quoted = new RegExp(`(['"])(${escaped.join('|')})\\1`, 'g');
    expect(stray(code, quoted, () => false)).toEqual([]);
  });

  it('spells neither the port, the parameter names, the instance paths nor the tag value pattern', () => {
    expect(stray(code, new RegExp(`\\b${JENKINS_PORT}\\b`, 'g'), () => false)).toEqual([]);
    expect(stray(code, /\/controller\/config\b/g, () => false)).toEqual([]);
    expect(stray(code, /\/controller\/self-replacements/g, () => false)).toEqual([]);
    expect(stray(code, /\/opt\/jenkins-gpu\/bin|\/var\/lib\/jenkins-gpu\/boot-/g, () => false)).toEqual([]);
    expect(
      stray(code, new RegExp(escapeRegExp(TAG_VALUE_PATTERN.source.slice(1, -1)), 'g'), () => false),
    ).toEqual([]);
  });
});
