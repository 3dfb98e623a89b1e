/**
 * What applying one config bundle over another changes, per cloud, template and setting: the casc-level
 * diff behind `npm run casc:diff`. A bundle is a directory with `casc/` (the JCasC YAML as the controller
 * loads it, plus plugins.txt, plugins.lock and jenkins-core.txt) and `jobs/` (lib/bundle/build-bundle.ts).
 * The YAML is read with the project's one JCasC loader, so the diff sees the merged tree the plugin applies.
 */
import * as fs from 'fs';
import * as path from 'path';

import { WORKER_LABELS_FILE } from '../bundle/worker-labels';
import { UserInputError } from '../errors';
import { loadCascTree, YAML_FILE } from '../jcasc/load';
import { type CascTree, toPlain } from '../jcasc/nodes';
import { formatProblem, isError } from '../jcasc/problem';
import { INTENT_FILE_NAME, LOCK_FILE_NAME, parseLock } from '../plugins/lock-file';
import { type CloudView, ec2Clouds, type TemplateView } from './fleet';

/** One change: where (`cloud X`, `template Y`, `jenkins`, a file) and what (`instanceCapStr 2 → 4`). */
export interface BundleChange {
  readonly where: string;
  readonly what: string;
}

/** A bundle that cannot be read as a bundle (no casc/, YAML the loader refuses): a user-facing error. */
export class BundleReadError extends UserInputError {}

/** Keys whose values are scripts: their text is summarized by line count, never printed. */
const SCRIPT_KEYS = new Set(['userData', 'initScript', 'script']);
/** Keys that identify an element of a list, so a reordered list is not a change of every element. */
const IDENTITY_KEYS = ['description', 'name', 'id'];
/** The plugin files inside a bundle (casc/ as the repository has it). */
const LOCK_PATH = `casc/${LOCK_FILE_NAME}`;
const INTENT_PATH = `casc/${INTENT_FILE_NAME}`;

/** Every change from the bundle in `beforeDir` to the one in `afterDir`, in a stable order. */
export function diffBundleDirs(beforeDir: string, afterDir: string): BundleChange[] {
  const before = readBundle(beforeDir);
  const after = readBundle(afterDir);
  return [
    ...diffFleets(before.tree, after.tree),
    ...diffSettings('jenkins', flatten(withoutClouds(before.tree)), flatten(withoutClouds(after.tree))),
    ...diffPlugins(before.plugins, after.plugins),
    ...diffOtherFiles(before.files, after.files),
  ];
}

/** One line per change: `template gpu-tensorflow-ondemand: instanceCapStr 2 → 4`. */
export function formatChanges(changes: readonly BundleChange[]): string[] {
  return changes.map((c) => `${c.where}: ${c.what}`);
}

interface ReadBundle {
  readonly tree: CascTree;
  readonly files: ReadonlyMap<string, string>;
  /** artifactId → version of each plugin in its lock. */
  readonly plugins: ReadonlyMap<string, string>;
}

function readBundle(dir: string): ReadBundle {
  const casc = path.join(dir, 'casc');
  if (!fs.existsSync(casc)) throw new BundleReadError(`${dir}: not a config bundle (no casc/ directory)`);
  const loaded = loadCascTree(casc);
  const errors = loaded.problems.filter(isError);
  if (!loaded.tree || errors.length > 0) {
    const first = errors[0] ? formatProblem(errors[0]) : 'no YAML';
    throw new BundleReadError(`${dir}: its JCasC YAML does not load: ${first}`);
  }
  const files = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const relPath = rel ? `${rel}/${name}` : name;
      if (fs.statSync(path.join(dir, relPath)).isDirectory()) walk(relPath);
      else files.set(relPath, fs.readFileSync(path.join(dir, relPath), 'utf8'));
    }
  };
  walk('');
  return { tree: loaded.tree, files, plugins: lockedVersions(dir, files.get(LOCK_PATH)) };
}

// ---- the EC2 fleet: clouds by name, templates by description ----

function diffFleets(before: CascTree, after: CascTree): BundleChange[] {
  const changes: BundleChange[] = [];
  const beforeClouds = byName(ec2Clouds(before), (c) => c.name);
  const afterClouds = byName(ec2Clouds(after), (c) => c.name);
  for (const name of union(beforeClouds, afterClouds)) {
    const b = beforeClouds.get(name);
    const a = afterClouds.get(name);
    const where = `cloud ${name}`;
    if (!b && a) changes.push({ where, what: `added (${cloudSketch(a)})` });
    else if (b && !a) changes.push({ where, what: 'removed (its workers are no longer managed)' });
    else if (b && a) {
      changes.push(...diffSettings(where, flatten(cloudSettings(b)), flatten(cloudSettings(a))));
      changes.push(...diffTemplates(b.templates, a.templates));
    }
  }
  return changes;
}

function diffTemplates(before: readonly TemplateView[], after: readonly TemplateView[]): BundleChange[] {
  const changes: BundleChange[] = [];
  const b = byName(before, (t) => t.description);
  const a = byName(after, (t) => t.description);
  for (const description of union(b, a)) {
    const where = `template ${description}`;
    const old = b.get(description);
    const now = a.get(description);
    if (!old && now) changes.push({ where, what: `added (${templateSketch(now)})` });
    else if (old && !now) changes.push({ where, what: `removed (was ${templateSketch(old)})` });
    else if (old && now)
      changes.push(...diffSettings(where, flatten(toPlain(old.node)), flatten(toPlain(now.node))));
  }
  return changes;
}

function cloudSettings(cloud: CloudView): unknown {
  const plain = { ...(toPlain(cloud.node) as Record<string, unknown>) };
  delete plain.templates;
  return plain;
}

function cloudSketch(cloud: CloudView): string {
  const cap = cloud.text('instanceCapStr');
  const n = cloud.templates.length;
  return `${n} template${n === 1 ? '' : 's'}${cap === undefined ? '' : `, instanceCapStr ${cap}`}`;
}

function templateSketch(t: TemplateView): string {
  const parts = [t.type ?? 'no type', `labels '${t.labels.join(' ')}'`];
  const cap = t.text('instanceCapStr');
  if (cap !== undefined) parts.push(`instanceCapStr ${cap}`);
  return parts.join(', ');
}

/** The tree without `jenkins.clouds[*].amazonEC2` (diffed by diffFleets); other clouds stay. */
function withoutClouds(tree: CascTree): unknown {
  const plain = toPlain(tree.root) as Record<string, unknown>;
  const jenkins = plain.jenkins as Record<string, unknown> | undefined;
  if (!jenkins || !Array.isArray(jenkins.clouds)) return plain;
  const clouds = (jenkins.clouds as unknown[]).filter(
    (c) => !(c !== null && typeof c === 'object' && 'amazonEC2' in (c as object)),
  );
  const rest = { ...jenkins };
  delete rest.clouds;
  return { ...plain, jenkins: clouds.length > 0 ? { ...rest, clouds } : rest };
}

// ---- settings: flattened paths to scalar values ----

/** `a.b[name].c` → scalar (strings, numbers, booleans, null), scripts kept whole for summarizing. */
function flatten(value: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (Array.isArray(value)) {
    const ids = value.map(identity);
    const keyed = ids.every((id) => id !== undefined) && new Set(ids).size === ids.length;
    value.forEach((item, i) => flatten(item, `${prefix}[${keyed ? ids[i] : i}]`, out));
    if (value.length === 0) out.set(prefix, '[]');
  } else if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    for (const [key, v] of entries) flatten(v, prefix ? `${prefix}.${key}` : key, out);
    if (entries.length === 0) out.set(prefix, '{}');
  } else {
    out.set(prefix, value);
  }
  return out;
}

function identity(item: unknown): string | undefined {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return undefined;
  const record = item as Record<string, unknown>;
  for (const key of IDENTITY_KEYS) {
    if (typeof record[key] === 'string') return String(record[key]);
  }
  // A one-key wrapper (`- amazonEC2: {…}`, `- string: {…}`): named by its key and the inner identity.
  const keys = Object.keys(record);
  if (keys.length === 1) {
    const inner = identity(record[keys[0]]);
    return inner === undefined ? undefined : `${keys[0]} ${inner}`;
  }
  return undefined;
}

function diffSettings(
  where: string,
  before: ReadonlyMap<string, unknown>,
  after: ReadonlyMap<string, unknown>,
): BundleChange[] {
  const changes: BundleChange[] = [];
  for (const key of union(before, after)) {
    const b = before.get(key);
    const a = after.get(key);
    if (before.has(key) && after.has(key) && b === a) continue;
    const name = key || '(root)';
    if (!before.has(key)) changes.push({ where, what: `${name} set to ${show(key, a)}` });
    else if (!after.has(key)) changes.push({ where, what: `${name} removed (was ${show(key, b)})` });
    else if (isScript(key, a) || isScript(key, b))
      changes.push({ where, what: `${name} ${scriptChange(b, a)}` });
    else changes.push({ where, what: `${name} ${show(key, b)} → ${show(key, a)}` });
  }
  return changes;
}

function isScript(key: string, value: unknown): boolean {
  const last = key.split('.').pop() ?? '';
  return SCRIPT_KEYS.has(last) || (typeof value === 'string' && value.includes('\n'));
}

function show(key: string, value: unknown): string {
  if (isScript(key, value)) return `a script of ${lineCount(value)} lines`;
  if (typeof value === 'string') return value === '' || /\s/.test(value) ? JSON.stringify(value) : value;
  return String(value);
}

function scriptChange(before: unknown, after: unknown): string {
  return `changed (${lineCount(before)} → ${lineCount(after)} lines)`;
}

function lineCount(value: unknown): number {
  return typeof value === 'string' ? value.replace(/\n$/, '').split('\n').length : 1;
}

// ---- files: plugins by id, everything else by content ----

/**
 * artifactId → version of each plugin in plugins.lock, the list the controller installs, read by the lock's
 * one parser (lib/plugins/lock-file.ts); no lock is no plugins. plugins.txt is the intent the lock is
 * generated from (`npm run plugins:lock`), so it is not diffed on its own. A lock the parser refuses makes
 * the bundle unreadable, as YAML the loader refuses does: the plugins of its bad lines would otherwise show
 * as removed.
 */
function lockedVersions(dir: string, text: string | undefined): Map<string, string> {
  const parsed = parseLock(text ?? '', LOCK_PATH);
  if (parsed.problems.length > 0) {
    throw new BundleReadError(`${dir}: its plugin lock does not parse: ${formatProblem(parsed.problems[0])}`);
  }
  return new Map(parsed.value.map((entry) => [entry.id, entry.version]));
}

function diffPlugins(b: ReadonlyMap<string, string>, a: ReadonlyMap<string, string>): BundleChange[] {
  const changes: BundleChange[] = [];
  for (const id of union(b, a)) {
    const where = `plugin ${id}`;
    if (!b.has(id)) changes.push({ where, what: `added (${a.get(id)})` });
    else if (!a.has(id)) changes.push({ where, what: `removed (was ${b.get(id)})` });
    else if (b.get(id) !== a.get(id)) changes.push({ where, what: `${b.get(id)} → ${a.get(id)}` });
  }
  return changes;
}

/** The jobs' WORKER choices, in order (the first is the default): the labels column of worker-labels.tsv. */
function workerChoices(text: string | undefined): string {
  const labels = (text ?? '')
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith('#'))
    .map((l) => l.split('\t')[0]);
  return [...new Set(labels)].join(', ') || '(none)';
}

/**
 * Files other than the YAML (diffed as a tree) and the plugin lists (diffed by plugin). worker-labels.tsv is
 * generated from the templates (lib/bundle/worker-labels.ts), whose lines show its other columns: only a
 * change of the WORKER choices (set or order) is its own line.
 */
function diffOtherFiles(
  before: ReadonlyMap<string, string>,
  after: ReadonlyMap<string, string>,
): BundleChange[] {
  const skip = (rel: string) =>
    rel === INTENT_PATH ||
    rel === LOCK_PATH ||
    rel === WORKER_LABELS_FILE ||
    (rel.startsWith('casc/') && YAML_FILE.test(rel));
  const changes: BundleChange[] = [];
  const [oldChoices, newChoices] = [
    workerChoices(before.get(WORKER_LABELS_FILE)),
    workerChoices(after.get(WORKER_LABELS_FILE)),
  ];
  if (oldChoices !== newChoices) {
    changes.push({ where: 'jobs WORKER choices', what: `${oldChoices} → ${newChoices}` });
  }
  for (const rel of union(before, after)) {
    if (skip(rel)) continue;
    const b = before.get(rel);
    const a = after.get(rel);
    if (b === a) continue;
    if (b === undefined) changes.push({ where: rel, what: `added (${lineCount(a)} lines)` });
    else if (a === undefined) changes.push({ where: rel, what: 'removed' });
    else if (!b.trim().includes('\n') && !a.trim().includes('\n')) {
      changes.push({ where: rel, what: `${b.trim()} → ${a.trim()}` });
    } else changes.push({ where: rel, what: `changed (${lineCount(b)} → ${lineCount(a)} lines)` });
  }
  return changes;
}

// ---- helpers ----

function byName<T>(items: readonly T[], name: (item: T) => string | undefined): Map<string, T> {
  const map = new Map<string, T>();
  items.forEach((item, i) => map.set(name(item) ?? `#${i + 1}`, item));
  return map;
}

/** Keys of both maps: the first map's order, then the keys only the second has. */
function union<K>(a: ReadonlyMap<K, unknown>, b: ReadonlyMap<K, unknown>): K[] {
  return [...a.keys(), ...[...b.keys()].filter((k) => !a.has(k))];
}
