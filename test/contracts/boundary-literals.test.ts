/**
 * Contract: every value that crosses a boundary is defined once, in lib/contracts.ts. The files the
 * instances and Jenkins run (assets/, casc/, jobs/) cannot import it, so they spell the values; this test
 * finds each spelling, look-alikes included (another tag key under `jenkins-gpu:`, another `JenkinsGpu/`
 * namespace, a metric name one typo away), and fails on one the module does not hold. The TypeScript side
 * imports the module: a second quoted spelling there fails too.
 */
import * as fs from 'fs';
import * as path from 'path';

import {
  configParameterName,
  CONTROLLER_METRIC_NAMESPACE,
  DEFAULT_JOB_TIMEOUT_HOURS,
  DEFAULT_STACK_NAME,
  FLEET_TAG_KEY,
  JENKINS_PORT,
  LAUNCH_TAG_KEYS,
  MAX_JOB_TIMEOUT_HOURS,
  METRIC_CONTRACTS,
  MIN_JOB_TIMEOUT_HOURS,
  REAPER_ENV,
  RESERVED_TAG_KEYS,
  STACK_OUTPUTS,
  WORKER_METRIC_NAMESPACE,
} from '../../lib/contracts';

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
    DEFAULT_STACK_NAME,
  ];

  it('spells no contract value as a second string literal: it imports lib/contracts.ts', () => {
    const escaped = values.map((v) => v.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
    const quoted = new RegExp(`(['"])(${escaped.join('|')})\\1`, 'g');
    expect(stray(code, quoted, () => false)).toEqual([]);
  });

  it('spells neither the port nor the config parameter name', () => {
    expect(stray(code, new RegExp(`\\b${JENKINS_PORT}\\b`, 'g'), () => false)).toEqual([]);
    expect(stray(code, /\/controller\/config\b/g, () => false)).toEqual([]);
  });
});
