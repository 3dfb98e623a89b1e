/**
 * The validator and synth agree: for a casc/ the validator accepts, `new JenkinsGpuStack` builds; for one it
 * rejects, synth fails with a CascValidationError (a UserInputError: no stack trace) whose lines are exactly
 * the validator's. Many bad files are thrown at the real stack build: every value of the shipped template
 * replaced by bad values, plus broken structures and files.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { buildBundle } from '../../lib/bundle/build-bundle';
import { CascValidationError, loadValidatedCasc, type SynthCasc } from '../../lib/casc/synth-check';
import { validateCascTree } from '../../lib/casc/validate';
import { UserInputError } from '../../lib/errors';
import { formatProblem, isError } from '../../lib/jcasc/problem';
import { JenkinsGpuStack } from '../../lib/jenkins-gpu-stack';
import { resolveSettings } from '../../lib/settings/validate-settings';
import { TEST_APP_CONTEXT } from '../helpers';
import { CDK_JSON_CONTEXT, repoCopy } from '../stack/app-helpers';
import { edit, SHIPPED_FILE } from './helpers';

const REPO = repoCopy();
const OUTDIR = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-agreement-'));
const SHIPPED_CASC = Object.fromEntries(
  fs
    .readdirSync(path.join(REPO, 'casc'))
    .map((name) => [name, fs.readFileSync(path.join(REPO, 'casc', name), 'utf8')]),
);

/** casc/ of the repository copy as writeCasc last left it, by file name (repoCopy copied the shipped files). */
const onDisk = new Map(Object.entries(SHIPPED_CASC));

/**
 * Writes casc/ (the shipped files with `files` over them; `null` deletes a file) into the repository copy.
 * Only the files that differ from what is there are written or deleted: a case edits one file of seven,
 * and casc/ ends up the same as when it was rewritten whole.
 */
function writeCasc(files: Record<string, string | null>): void {
  const wanted = new Map<string, string>();
  for (const [name, text] of Object.entries({ ...SHIPPED_CASC, ...files })) {
    if (text !== null) wanted.set(name, text);
  }
  for (const name of [...onDisk.keys()]) {
    if (!wanted.has(name)) {
      fs.rmSync(path.join(REPO, 'casc', name));
      onDisk.delete(name);
    }
  }
  for (const [name, text] of wanted) {
    if (onDisk.get(name) === text) continue;
    fs.mkdirSync(path.dirname(path.join(REPO, 'casc', name)), { recursive: true });
    fs.writeFileSync(path.join(REPO, 'casc', name), text);
    onDisk.set(name, text);
  }
  expect(fs.readdirSync(path.join(REPO, 'casc')).sort()).toEqual([...wanted.keys()].sort());
}

function buildStack(context: Record<string, unknown> = {}): JenkinsGpuStack {
  const app = new App({ outdir: OUTDIR, context: { ...TEST_APP_CONTEXT, ...context } });
  return new JenkinsGpuStack(app, 'JenkinsGpuTraining', { settings: resolveSettings({}), repoRoot: REPO });
}

/**
 * The stack reads casc/ only through loadValidatedCasc (the facts for IAM and the cost guard, and the
 * loaded files buildBundle renders: lib/jenkins-gpu-stack.ts), so an accepted casc runs both and the whole stack is built once per distinct
 * set of facts: the same facts build the same stack, and a build takes far longer than a validation.
 */
const builtFacts = new Set<string>();

function acceptedButFails(): string | undefined {
  try {
    // Every fact a construct reads: not the summary (text for humans), nor the fleet and the loaded
    // files they are derived from (the bundle built from those is checked here).
    const facts: { -readonly [K in keyof SynthCasc]?: SynthCasc[K] } = { ...loadValidatedCasc(REPO) };
    buildBundle({ repoRoot: REPO, casc: facts.sources! });
    delete facts.summary;
    delete facts.fleet;
    delete facts.sources;
    const key = JSON.stringify(facts);
    if (!builtFacts.has(key)) {
      buildStack();
      builtFacts.add(key);
    }
    return undefined;
  } catch (error) {
    return String(error);
  }
}

/** What went wrong with one casc, or undefined when validator and synth agree. */
function disagreement(name: string, files: Record<string, string | null>): string | undefined {
  writeCasc(files);
  const validation = validateCascTree({
    cascPath: path.join(REPO, 'casc'),
    jobsPath: path.join(REPO, 'jobs'),
    repoRoot: REPO,
  });
  if (validation.ok) {
    const failure = acceptedButFails();
    return failure === undefined ? undefined : `${name}: the validator accepts it, synth throws ${failure}`;
  }
  const expected = validation.problems.filter(isError).map((p) => formatProblem(p, REPO));
  let error: unknown;
  try {
    buildStack();
  } catch (caught) {
    error = caught;
  }
  if (!(error instanceof CascValidationError) || !(error instanceof UserInputError)) {
    return `${name}: the validator rejects it, synth gives ${error === undefined ? 'no error' : (error as Error).stack}`;
  }
  const [header, ...lines] = error.message.split('\n');
  if (!header.startsWith('casc/ is invalid (') || JSON.stringify(lines) !== JSON.stringify(expected)) {
    return `${name}: synth says ${JSON.stringify(error.message)}, the validator ${JSON.stringify(expected)}`;
  }
  if (lines.length === 0 || lines.some((line) => !/^(casc|jobs)\/[^:\s]+:\d+(:\d+)?: /.test(line))) {
    return `${name}: not one FILE:LINE line per problem: ${JSON.stringify(error.message)}`;
  }
  return undefined;
}

/** Values a user might write for any key: empty, zero, negative, too big, spaces, wrong kinds, markers. */
const BAD_VALUES = [
  '""',
  '"0"',
  '"-1"',
  '"10080"',
  '"2147483648"',
  '" 3"',
  '10.0',
  '[]',
  '{}',
  '"${NOPE}"',
  '"@render:nope.sh"',
];

/** Each distinct `key: value` line of the shipped ec2-cloud.yaml (its first occurrence), by key. */
function valueLines(): Map<string, string[]> {
  const byKey = new Map<string, string[]>();
  for (const line of new Set(SHIPPED_FILE.split('\n'))) {
    const m = /^\s+(?:- )?([A-Za-z]+): \S/.exec(line);
    if (m && !line.trim().startsWith('#')) byKey.set(m[1], [...(byKey.get(m[1]) ?? []), line]);
  }
  return byKey;
}

/** That line with every bad value. */
function mutationsOf(line: string): Array<[string, Record<string, string>]> {
  const [, indent, key] = /^(\s+(?:- )?)([A-Za-z]+):/.exec(line)!;
  return BAD_VALUES.map((bad) => [
    `${key}: ${bad}`,
    { 'ec2-cloud.yaml': SHIPPED_FILE.replace(line, `${indent}${key}: ${bad}`) },
  ]);
}

const STRUCTURES: Array<[string, Record<string, string | null>]> = [
  ['no cloud', { 'ec2-cloud.yaml': 'jenkins:\n  clouds: []\n' }],
  ['no ec2-cloud.yaml', { 'ec2-cloud.yaml': null }],
  ['clouds is a scalar', { 'ec2-cloud.yaml': 'jenkins:\n  clouds: amazonEC2\n' }],
  ['amazonEC2 is a scalar', { 'ec2-cloud.yaml': 'jenkins:\n  clouds:\n    - amazonEC2: x\n' }],
  [
    'templates is a mapping',
    {
      'ec2-cloud.yaml':
        'jenkins:\n  clouds:\n    - amazonEC2:\n        name: x\n        instanceCapStr: "1"\n        templates: {a: 1}\n',
    },
  ],
  [
    'a template is a scalar',
    {
      'ec2-cloud.yaml':
        'jenkins:\n  clouds:\n    - amazonEC2:\n        name: x\n        instanceCapStr: "1"\n        templates: [x]\n',
    },
  ],
  ['an empty file', { 'ec2-cloud.yaml': '' }],
  ['a list at the top', { 'ec2-cloud.yaml': '- jenkins\n' }],
  ['a scalar at the top', { 'ec2-cloud.yaml': 'jenkins\n' }],
  ['a syntax error', { 'ec2-cloud.yaml': 'jenkins:\n  clouds: [\n' }],
  ['a tab indent', { 'ec2-cloud.yaml': 'jenkins:\n\tclouds: []\n' }],
  [
    'a duplicate key',
    {
      'ec2-cloud.yaml': edit(
        SHIPPED_FILE,
        'instanceCapStr: "4"',
        'instanceCapStr: "4"\n        instanceCapStr: "5"',
      ),
    },
  ],
  ['an alias into itself', { 'ec2-cloud.yaml': 'jenkins: &j\n  nodes:\n    - *j\n' }],
  ['binary bytes', { 'ec2-cloud.yaml': '\u0000\u0001\u00ff' }],
  ['a conflicting second file', { 'z.yaml': 'jenkins:\n  numExecutors: 3\n' }],
  ['an unknown root key', { 'z.yaml': 'jenkinz:\n  numExecutors: 0\n' }],
  ['security.sSHD', { 'z.yaml': 'security:\n  sSHD:\n    port: -1\n' }],
  ['no plugins.txt', { 'plugins.txt': null }],
  ['an empty plugins.txt', { 'plugins.txt': '' }],
  [
    'a template without idle minutes',
    { 'ec2-cloud.yaml': SHIPPED_FILE.replace('            idleTerminationMinutes: "10"\n', '') },
  ],
  [
    'a cloud without templates',
    {
      'ec2-cloud.yaml': SHIPPED_FILE.replace(
        / {8}templates:\n[\s\S]*(?= {8}cleanUpOrphanedNodes)/,
        '        templates: []\n',
      ),
    },
  ],
];

describe('validator and synth agree on casc/', () => {
  it('the shipped casc/ validates and builds', () => {
    expect(disagreement('shipped', {})).toBeUndefined();
    expect(validateCascTree({ cascPath: path.join(REPO, 'casc'), repoRoot: REPO }).ok).toBe(true);
  });

  it('the largest values the validator accepts synthesize, cdk-nag and CloudFormation rules included', () => {
    let yaml = edit(SHIPPED_FILE, 'instanceCapStr: "4"', 'instanceCapStr: "2147483647"');
    for (const [from, to] of [
      ['idleTerminationMinutes: "10"', 'idleTerminationMinutes: "1440"'],
      ['launchTimeoutStr: "1200"', 'launchTimeoutStr: "3600"'],
    ]) {
      yaml = yaml.split(from).join(to);
    }
    expect(disagreement('largest', { 'ec2-cloud.yaml': yaml })).toBeUndefined();
    writeCasc({ 'ec2-cloud.yaml': yaml });
    // As lib/app.ts builds it: cdk.json's context (the CloudFormation rules fail synth) and cdk-nag.
    const stack = buildStack(CDK_JSON_CONTEXT);
    // The reaper's hard lifetime grows with the idle stop and stays within its absolute limit.
    expect(stack.node.findChild('CostGuard')).toMatchObject({ maxRunningHours: 30, maxBusyHours: 96 });
    const app = stack.node.root as App;
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  it('one more idle minute than the bound is a validator error, not a CostGuard stack trace', () => {
    const yaml = SHIPPED_FILE.split('idleTerminationMinutes: "10"').join('idleTerminationMinutes: "10080"');
    writeCasc({ 'ec2-cloud.yaml': yaml });
    expect(() => buildStack()).toThrow(CascValidationError);
    expect(disagreement('a week idle', { 'ec2-cloud.yaml': yaml })).toBeUndefined();
  });

  const keys = [...valueLines()];
  it('mutates every key of the shipped ec2-cloud.yaml', () => {
    expect(keys.length).toBeGreaterThanOrEqual(38);
  });

  it.each(keys)(
    'every value of %s replaced by a bad one: one FILE:LINE line per problem, never a stack trace',
    (_key, lines) => {
      const cases = lines.flatMap(mutationsOf);
      expect(cases.map(([name, files]) => disagreement(name, files)).filter(Boolean)).toEqual([]);
    },
  );

  it.each(STRUCTURES)('%s', (name, files) => {
    expect(disagreement(name, files)).toBeUndefined();
  });
});
