/**
 * The EC2 fleet as the YAML declares it: every `amazonEC2` cloud and its templates, with the nodes kept
 * for messages (`CloudView`, `TemplateView`: what the rules read), and the typed `Fleet` built from them
 * once the rules have passed (what everything after validation reads).
 */
import * as path from 'path';

import { UserInputError } from '../errors';
import {
  type CascNode,
  type CascTree,
  child,
  items,
  type Loc,
  type MapNode,
  scalarText,
} from '../jcasc/nodes';

export interface TemplateView {
  readonly node: MapNode;
  readonly path: string;
  readonly description?: string;
  readonly type?: string;
  readonly labels: string[];
  get(key: string): CascNode | undefined;
  text(key: string): string | undefined;
}

export interface CloudView {
  readonly node: MapNode;
  readonly path: string;
  readonly name?: string;
  readonly templates: TemplateView[];
  get(key: string): CascNode | undefined;
  text(key: string): string | undefined;
}

export function ec2Clouds(tree: CascTree): CloudView[] {
  const clouds: CloudView[] = [];
  items(child(child(tree.root, 'jenkins'), 'clouds')).forEach((cloud, i) => {
    const node = child(cloud, 'amazonEC2');
    if (node?.kind !== 'map') return;
    const path = `jenkins.clouds[${i}].amazonEC2`;
    const templates: TemplateView[] = [];
    items(child(node, 'templates')).forEach((template, j) => {
      if (template.kind === 'map') templates.push(view(template, `${path}.templates[${j}]`));
    });
    clouds.push({ ...accessors(node), node, path, name: scalarText(child(node, 'name')), templates });
  });
  return clouds;
}

export function allTemplates(tree: CascTree): TemplateView[] {
  return ec2Clouds(tree).flatMap((c) => c.templates);
}

function view(node: MapNode, path: string): TemplateView {
  const labelString = scalarText(child(node, 'labelString')) ?? '';
  return {
    ...accessors(node),
    node,
    path,
    description: scalarText(child(node, 'description')),
    type: scalarText(child(node, 'type')),
    labels: labelString.split(/\s+/).filter(Boolean),
  };
}

function accessors(node: MapNode): Pick<TemplateView, 'get' | 'text'> {
  return { get: (key) => child(node, key), text: (key) => scalarText(child(node, key)) };
}

/**
 * A spot template: its `spotConfig` is a mapping. The plugin builds a SpotConfiguration only from an object;
 * an empty `spotConfig:` / `spotConfig: ~` leaves the attribute unset, as JCasC does (and the schema check,
 * lib/jcasc/schema/check.ts, accepts it as such), so that template is on demand. The one definition: the
 * Fleet, the quota arithmetic and the rules all use it.
 */
export function isSpotTemplate(view: Pick<TemplateView, 'get'>): boolean {
  return view.get('spotConfig')?.kind === 'map';
}

/** `stopOnTerminate: true`: the plugin stops an idle worker instead of terminating it. The one reader of the key. */
export function stopsOnTerminate(view: Pick<TemplateView, 'text'>): boolean {
  return view.text('stopOnTerminate')?.trim() === 'true';
}

/**
 * The fleet as typed data, built once from a validated tree (lib/casc/load-casc.ts): what synth, the
 * bundle, IAM and the cost guard read, so none of them parses YAML text again.
 */
export interface Fleet {
  readonly clouds: readonly FleetCloud[];
  /** Every cloud's templates, in order. */
  readonly templates: readonly FleetTemplate[];
}

export interface FleetCloud {
  /** `name`, with its `${VARS}` as written (`gpu-workers-${STACK_NAME}`). */
  readonly name: string;
  /** `instanceCapStr`: the most workers of this cloud running at once (unset: unlimited, `Infinity`). */
  readonly cap: number;
  readonly templates: readonly FleetTemplate[];
  /** The dotted path in the merged tree (`jenkins.clouds[0].amazonEC2`). */
  readonly path: string;
  readonly loc: Loc;
}

export interface FleetTemplate {
  /** `description`: the template's name in the EC2 plugin and in the `jenkins-gpu:template` tag. */
  readonly description?: string;
  /** `type`, the EC2 instance type. */
  readonly instanceType?: string;
  /** `labelString` split on whitespace, in order. */
  readonly labels: readonly string[];
  /** Where `labelString` is (the template when it has none): the line to change a label. */
  readonly labelsLoc: Loc;
  /** `instanceCapStr` (unset: unlimited, `Infinity`). */
  readonly cap: number;
  /** `idleTerminationMinutes`. */
  readonly idleMinutes: number;
  /** True for a spot template ({@link isSpotTemplate}: its `spotConfig` is a mapping). */
  readonly spot: boolean;
  /** `subnetId` split on spaces, commas and semicolons, as the plugin does (`${WORKER_SUBNET_IDS}` as written). */
  readonly subnetIds: readonly string[];
  /** `ami`: `${WORKER_AMI_ID}` or a literal `ami-…`. */
  readonly ami?: string;
  /** `tags` as name → value, in order. */
  readonly tags: Readonly<Record<string, string>>;
  /** `securityGroups` split on commas. */
  readonly securityGroups: readonly string[];
  readonly iamInstanceProfile?: string;
  /** `customDeviceMapping` as written (the plugin's DeviceMappingParser format). */
  readonly customDeviceMapping?: string;
  /** The dotted path in the merged tree (`jenkins.clouds[0].amazonEC2.templates[1]`). */
  readonly path: string;
  readonly loc: Loc;
}

/**
 * The Fleet of a tree's EC2 clouds. Meant for a tree the casc rules have passed: a cap or idle time that is not
 * a whole number is refused here with the validator's kind of line, never turned into `NaN`.
 */
export function buildFleet(clouds: readonly CloudView[]): Fleet {
  const built = clouds.map((cloud): FleetCloud => ({
    name: cloud.name ?? '',
    cap: capOf(cloud),
    templates: cloud.templates.map(fleetTemplate),
    path: cloud.path,
    loc: cloud.node.loc,
  }));
  return { clouds: built, templates: built.flatMap((c) => c.templates) };
}

function fleetTemplate(template: TemplateView): FleetTemplate {
  const tags = items(template.get('tags')).map((tag) => [
    scalarText(child(tag, 'name')) ?? '',
    scalarText(child(tag, 'value')) ?? '',
  ]);
  return {
    description: template.description,
    instanceType: template.type,
    labels: template.labels,
    labelsLoc: template.get('labelString')?.loc ?? template.node.loc,
    cap: capOf(template),
    idleMinutes: positiveInteger(template, 'idleTerminationMinutes'),
    spot: isSpotTemplate(template),
    subnetIds: listOf(template.text('subnetId'), /[\s,;]+/),
    ami: template.text('ami'),
    tags: Object.fromEntries(tags),
    securityGroups: listOf(template.text('securityGroups'), /,/),
    iamInstanceProfile: template.text('iamInstanceProfile'),
    customDeviceMapping: template.text('customDeviceMapping'),
    path: template.path,
    loc: template.node.loc,
  };
}

/** Integer.MAX_VALUE: the plugin parses caps as Java ints (EC2Cloud.java 279, SlaveTemplate.java 410). */
export const JAVA_INT_MAX = 2_147_483_647;
/**
 * A positive number as this project accepts it: digits only. Stricter than the plugin's `Integer.parseInt`,
 * which also takes `+4` and `04` (and throws on a space, failing the whole JCasC apply), so one spelling
 * means one number everywhere.
 */
export const POSITIVE_INTEGER = /^[1-9]\d*$/;
/** How the Fleet's refusals say what a positive integer is. */
const POSITIVE_INTEGER_TEXT = 'a positive integer (digits only: no sign, spaces or leading zeros)';

/**
 * What the EC2 plugin makes of an `instanceCapStr` (ec2-plugin 2059): empty is no cap at all (EC2Cloud.java 276-280,
 * SlaveTemplate.java 407-411), "0" blocks every launch, otherwise a Java int. The one reader of the field: the rule
 * `instance-cap` turns each reading into its message, the fleet arithmetic and the Fleet into numbers.
 */
export type CapReading =
  | { readonly kind: 'unlimited' }
  | { readonly kind: 'blocks' }
  | { readonly kind: 'cap'; readonly value: number }
  | { readonly kind: 'malformed' }
  | { readonly kind: 'too-large' };

export function readCap(text: string | undefined): CapReading {
  if (text === undefined || text.trim() === '') return { kind: 'unlimited' };
  if (text.trim() === '0') return { kind: 'blocks' };
  if (!POSITIVE_INTEGER.test(text)) return { kind: 'malformed' };
  const value = Number(text);
  return value > JAVA_INT_MAX ? { kind: 'too-large' } : { kind: 'cap', value };
}

/** The cap as a number: unlimited is `Infinity`, "0" is 0; what the rule refuses is refused here too, never `NaN`. */
function capOf(view: CloudView | TemplateView): number {
  const reading = readCap(view.text('instanceCapStr'));
  switch (reading.kind) {
    case 'unlimited':
      return Number.POSITIVE_INFINITY;
    case 'blocks':
      return 0;
    case 'cap':
      return reading.value;
    case 'malformed':
      return refuse(view, 'instanceCapStr', POSITIVE_INTEGER_TEXT);
    case 'too-large':
      return refuse(view, 'instanceCapStr', `a positive integer up to ${JAVA_INT_MAX}`);
  }
}

/** `idleTerminationMinutes` as the rule `idle-termination` takes it. */
function positiveInteger(view: CloudView | TemplateView, key: string): number {
  const text = view.text(key);
  return text !== undefined && POSITIVE_INTEGER.test(text)
    ? Number(text)
    : refuse(view, key, POSITIVE_INTEGER_TEXT);
}

/** The validator's kind of line for a value the rules should have refused (a tree built without them). */
function refuse(view: CloudView | TemplateView, key: string, expected: string): never {
  const text = view.text(key);
  const loc = view.get(key)?.loc ?? view.node.loc;
  throw new UserInputError(
    `${path.relative(process.cwd(), loc.file)}:${loc.line}: ${view.path}.${key}: expected ${expected}, got ${text === undefined ? 'none' : JSON.stringify(text)} (npm run check:casc lists every problem)`,
  );
}

function listOf(text: string | undefined, separator: RegExp): string[] {
  return (text ?? '')
    .split(separator)
    .map((s) => s.trim())
    .filter(Boolean);
}
