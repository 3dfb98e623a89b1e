/**
 * The typed Fleet (lib/casc/fleet.ts) built from a loaded tree, without synth: the numbers, labels, markets
 * and lists every reader after validation uses, and the one place it is built (the validation).
 */
import * as path from 'path';

import {
  buildFleet,
  ec2Clouds,
  type Fleet,
  isSpotTemplate,
  JAVA_INT_MAX,
  readCap,
} from '../../lib/casc/fleet';
import { quotaNeeds } from '../../lib/casc/fleet-arithmetic';
import { loadCasc } from '../../lib/casc/load-casc';
import { UserInputError } from '../../lib/errors';
import { loadCascTree } from '../../lib/jcasc/load';
import { edit, lineOf, REPO, SHIPPED_EC2_YAML, SHIPPED_FILE, tempTree, validateEc2 } from './helpers';

function fleetOf(files: Record<string, string>): Fleet {
  const { tree, problems } = loadCascTree(path.join(tempTree(files), 'casc'));
  expect(problems).toEqual([]);
  return buildFleet(ec2Clouds(tree!));
}

const cloud = (name: string, cap: string, templates: string[]): string =>
  [
    'jenkins:',
    '  clouds:',
    '    - amazonEC2:',
    `        name: ${name}`,
    `        instanceCapStr: "${cap}"`,
    '        templates:',
    ...templates,
  ].join('\n') + '\n';

const template = (description: string, extra: string[] = []): string =>
  [
    `          - description: ${description}`,
    '            type: g5.xlarge',
    `            labelString: ${description}`,
    '            instanceCapStr: "3"',
    '            idleTerminationMinutes: "15"',
    ...extra.map((line) => `            ${line}`),
  ].join('\n');

describe('the Fleet of the shipped casc/', () => {
  const fleet = fleetOf({ 'casc/ec2-cloud.yaml': SHIPPED_FILE });

  it('has the cloud with its cap as a number', () => {
    expect(fleet.clouds.map((c) => [c.name, c.cap])).toEqual([['gpu-workers-${STACK_NAME}', 4]]);
  });

  it('has both templates with caps and idle minutes as numbers, labels, market and instance type', () => {
    expect(
      fleet.templates.map((t) => [t.description, t.instanceType, t.labels, t.cap, t.idleMinutes, t.spot]),
    ).toEqual([
      ['gpu-tensorflow-ondemand', 'g4dn.xlarge', ['tensorflow'], 2, 10, false],
      ['gpu-tensorflow-spot', 'g4dn.xlarge', ['tensorflow-spot'], 2, 10, true],
    ]);
  });

  it('keeps the stack-filled references as written and the tags by name', () => {
    const [onDemand] = fleet.templates;
    expect(onDemand.ami).toBe('${WORKER_AMI_ID}');
    expect(onDemand.subnetIds).toEqual(['${WORKER_SUBNET_IDS}']);
    expect(onDemand.securityGroups).toEqual(['${WORKER_SECURITY_GROUP_ID}']);
    expect(onDemand.tags).toMatchObject({
      Name: 'managed-by-jenkins',
      'jenkins-gpu:fleet': '${FLEET_TAG_VALUE}',
    });
  });

  it('points each template at its labelString line', () => {
    expect(fleet.templates.map((t) => t.labelsLoc.line)).toEqual([
      lineOf(SHIPPED_FILE, 'labelString: tensorflow\n'),
      lineOf(SHIPPED_FILE, 'labelString: tensorflow-spot'),
    ]);
  });
});

describe('buildFleet', () => {
  it('keeps several clouds apart, in file order, each with its own cap and templates', () => {
    const fleet = fleetOf({
      'casc/a.yaml': cloud('first', '5', [template('one'), template('two', ['spotConfig: {}'])]),
      'casc/b.yaml': cloud('second', '1', [template('three')]),
    });
    expect(fleet.clouds.map((c) => [c.name, c.cap, c.templates.map((t) => t.description)])).toEqual([
      ['first', 5, ['one', 'two']],
      ['second', 1, ['three']],
    ]);
    expect(fleet.templates.map((t) => [t.description, t.spot])).toEqual([
      ['one', false],
      ['two', true],
      ['three', false],
    ]);
    expect(fleet.templates[2].labelsLoc.file).toMatch(/casc[/\\]b\.yaml$/);
  });

  it('splits labelString on whitespace and subnetId as the plugin does', () => {
    const [t] = fleetOf({
      'casc/a.yaml': cloud('c', '2', [
        template('x', ['subnetId: "subnet-1, subnet-2;subnet-3 subnet-4"']).replace(
          'labelString: x',
          'labelString: "gpu   big\tcuda"',
        ),
      ]),
    }).templates;
    expect(t.labels).toEqual(['gpu', 'big', 'cuda']);
    expect(t.subnetIds).toEqual(['subnet-1', 'subnet-2', 'subnet-3', 'subnet-4']);
  });

  it('reads an unset instanceCapStr as the plugin does: no cap', () => {
    const fleet = fleetOf({
      'casc/a.yaml': cloud('c', '', [template('x').replace('            instanceCapStr: "3"\n', '')]),
    });
    expect(fleet.clouds[0].cap).toBe(Number.POSITIVE_INFINITY);
    expect(fleet.templates[0].cap).toBe(Number.POSITIVE_INFINITY);
  });

  it('refuses a cap or idle time that is not a whole number with one line naming the file and key', () => {
    const yaml = cloud('c', '2', [template('x').replace('"15"', '"ten"')]);
    const { tree } = loadCascTree(path.join(tempTree({ 'casc/a.yaml': yaml }), 'casc'));
    expect(() => buildFleet(ec2Clouds(tree!))).toThrow(UserInputError);
    expect(() => buildFleet(ec2Clouds(tree!))).toThrow(
      new RegExp(
        `a\\.yaml:${lineOf(yaml, 'idleTerminationMinutes')}: jenkins\\.clouds\\[0\\]\\.amazonEC2\\.templates\\[0\\]\\.idleTerminationMinutes: expected a positive integer \\(digits only: no sign, spaces or leading zeros\\), got "ten" \\(npm run check:casc lists every problem\\)$`,
      ),
    );
  });
});

describe('buildFleet on caps the rules refuse (a tree built without them)', () => {
  const refusal = (cap: string) => () => fleetOf({ 'casc/a.yaml': cloud('c', cap, [template('x')]) });
  it('reads "0" as the plugin does: no launch', () => {
    expect(fleetOf({ 'casc/a.yaml': cloud('c', '0', [template('x')]) }).clouds[0].cap).toBe(0);
  });
  it.each([
    ['2.5', 'expected a positive integer (digits only: no sign, spaces or leading zeros), got "2.5"'],
    [' 3', 'expected a positive integer (digits only: no sign, spaces or leading zeros), got " 3"'],
    ['2147483648', 'expected a positive integer up to 2147483647, got "2147483648"'],
  ])('refuses %j with one line naming the file and key', (cap, message) => {
    expect(refusal(cap)).toThrow(UserInputError);
    expect(refusal(cap)).toThrow(`a.yaml:5: jenkins.clouds[0].amazonEC2.instanceCapStr: ${message}`);
  });
});

describe('readCap: the one reader of instanceCapStr (the rule, the arithmetic and the Fleet all use it)', () => {
  it.each([
    [undefined, { kind: 'unlimited' }],
    ['', { kind: 'unlimited' }],
    ['  ', { kind: 'unlimited' }],
    ['0', { kind: 'blocks' }],
    ['1', { kind: 'cap', value: 1 }],
    ['12', { kind: 'cap', value: 12 }],
    [String(JAVA_INT_MAX), { kind: 'cap', value: 2_147_483_647 }],
    [String(JAVA_INT_MAX + 1), { kind: 'too-large' }],
    ['-1', { kind: 'malformed' }],
    ['4.5', { kind: 'malformed' }],
    ['07', { kind: 'malformed' }],
    [' 3', { kind: 'malformed' }],
    ['${CAP}', { kind: 'malformed' }],
  ])('%j reads as %j', (text, reading) => {
    expect(readCap(text)).toEqual(reading);
  });
});

describe('isSpotTemplate: the one definition of a spot template (the Fleet, the quotas and the rules all use it)', () => {
  const views = (yaml: string) =>
    ec2Clouds(loadCascTree(path.join(tempTree({ 'casc/a.yaml': yaml }), 'casc')).tree!);

  it.each([
    ['spotConfig: ~', false],
    ['spotConfig:', false],
    ['spotConfig: {}', true],
    ['spotConfig:\n              useBidPrice: false', true],
  ])('%j is spot: %j', (line, spot) => {
    const [cloudView] = views(cloud('c', '3', [template('a', [line])]));
    expect(isSpotTemplate(cloudView.templates[0])).toBe(spot);
    expect(buildFleet([cloudView]).templates[0].spot).toBe(spot);
  });

  it('an empty spotConfig (JCasC leaves it unset) is on demand for the Fleet, the quota summary and spot-terminates alike', () => {
    // The shipped on-demand template stops on idle (stopOnTerminate: true): fine on demand, refused on spot.
    const result = validateEc2(
      edit(SHIPPED_EC2_YAML, 'numExecutors: 1', 'numExecutors: 1\n            spotConfig: ~'),
    );
    expect(result.lines).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.fleet!.templates.map((t) => t.spot)).toEqual([false]);
    expect(result.summary).toContain(
      'vCPU quota needed: 8 of L-DB2E81BA (Running On-Demand G and VT instances);',
    );
    expect(result.summary).not.toContain('Spot');
    const [cloudView] = views(
      edit(SHIPPED_EC2_YAML, 'numExecutors: 1', 'numExecutors: 1\n            spotConfig: ~'),
    );
    expect(quotaNeeds([cloudView])).toEqual(['8 of L-DB2E81BA (Running On-Demand G and VT instances)']);
    // With a spotConfig mapping the same template is spot everywhere: the rule refuses its stopOnTerminate.
    const spot = validateEc2(
      edit(
        SHIPPED_EC2_YAML,
        'numExecutors: 1',
        'numExecutors: 1\n            spotConfig:\n              useBidPrice: false',
      ),
    );
    expect(spot.lines.join('\n')).toContain('[spot-terminates]');
  });
});

describe('loadCasc', () => {
  const options = (dir: string) => ({
    cascPath: path.join(dir, 'casc'),
    jobsPath: path.join(dir, 'jobs'),
    repoRoot: dir,
  });

  it('returns the Documents, the verdict and the Fleet of one load of the shipped casc/', () => {
    const loaded = loadCasc(options(REPO));
    expect(loaded.validation.ok).toBe(true);
    expect(loaded.fleet?.templates.map((t) => t.cap)).toEqual([2, 2]);
    expect(loaded.documents.map((d) => path.relative(REPO, d.file))).toEqual(
      loaded.validation.tree!.files.map((f) => path.relative(REPO, f)),
    );
    expect(loaded.documents.every((d) => d.document.errors.length === 0)).toBe(true);
  });

  it('has no Fleet for a casc/ the validator refuses', () => {
    const dir = tempTree({
      'casc/ec2-cloud.yaml': edit(SHIPPED_FILE, 'instanceCapStr: "4"', 'instanceCapStr: "four"'),
    });
    const loaded = loadCasc({ cascPath: path.join(dir, 'casc'), repoRoot: REPO });
    expect(loaded.validation.ok).toBe(false);
    expect(loaded.fleet).toBeUndefined();
  });
});
