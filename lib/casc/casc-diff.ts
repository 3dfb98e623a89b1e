/**
 * What a deploy would change in the controller's configuration: two casc trees (as loaded by load.ts, with
 * the worker scripts rendered, as in a bundle) compared per cloud (by name), per template (by description)
 * and per setting, plus the bundle's other files. Pure: the CLI (casc-diff-cli.ts) finds the bundles.
 */
import { ec2Clouds, type CloudView, type TemplateView } from './fleet';
import { walkScalars, type CascNode, type CascTree, type ScalarNode } from './nodes';

/** Dotted path → the value as JCasC hands it to the plugin (a plain number's source text). */
function scalars(node: CascNode, skip: (path: string) => boolean = () => false): Map<string, string> {
  const out = new Map<string, string>();
  walkScalars(node, '', (scalar: ScalarNode, path: string) => {
    if (!skip(path)) out.set(path, scalar.value === null ? '' : (scalar.text ?? String(scalar.value)));
  });
  return out;
}

/** A value for one line: a multi-line one (a rendered script) is only said to have changed. */
function show(value: string): string {
  return value === '' ? '(empty)' : JSON.stringify(value).slice(1, -1);
}

function settingChanges(before: Map<string, string>, after: Map<string, string>): string[] {
  const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
  const lines: string[] = [];
  for (const path of paths) {
    const [a, b] = [before.get(path), after.get(path)];
    if (a === b) continue;
    if ((a ?? '').includes('\n') || (b ?? '').includes('\n')) {
      lines.push(`${path} ${a === undefined ? 'added' : b === undefined ? 'removed' : 'changed'} (multi-line)`);
    } else if (a === undefined) lines.push(`${path} added: ${show(b!)}`);
    else if (b === undefined) lines.push(`${path} removed (was ${show(a)})`);
    else lines.push(`${path} ${show(a)} → ${show(b)}`);
  }
  return lines;
}

function templateKey(t: TemplateView): string {
  return t.description ?? t.path;
}

function templateFacts(t: TemplateView): string {
  const cap = t.text('instanceCapStr') ?? 'unlimited';
  const market = t.get('spotConfig') ? 'spot' : 'on-demand';
  return `labels ${t.labels.join(' ') || '(none)'}, ${t.type ?? 'type unset'} ${market}, cap ${cap}`;
}

function cloudKey(c: CloudView): string {
  return c.name ?? c.path;
}

function diffTemplates(cloud: string, before: TemplateView[], after: TemplateView[]): string[] {
  const lines: string[] = [];
  const old = new Map(before.map((t) => [templateKey(t), t]));
  const now = new Map(after.map((t) => [templateKey(t), t]));
  for (const [key, t] of old) if (!now.has(key)) lines.push(`cloud ${cloud}: template ${key} removed (${templateFacts(t)})`);
  for (const [key, t] of now) {
    const was = old.get(key);
    if (!was) {
      lines.push(`cloud ${cloud}: template ${key} added (${templateFacts(t)})`);
      continue;
    }
    for (const change of settingChanges(scalars(was.node), scalars(t.node))) {
      lines.push(`cloud ${cloud}: template ${key}: ${change}`);
    }
  }
  return lines;
}

/** The changes from `before` (the deployed or last synthesized bundle) to `after` (the local one), one per line. */
export function diffCascTrees(before: CascTree, after: CascTree): string[] {
  const lines: string[] = [];
  const oldClouds = new Map(ec2Clouds(before).map((c) => [cloudKey(c), c]));
  const newClouds = new Map(ec2Clouds(after).map((c) => [cloudKey(c), c]));
  const outsideTemplates = (path: string): boolean => path === 'templates' || path.startsWith('templates[');
  for (const [key, c] of oldClouds) {
    if (!newClouds.has(key)) lines.push(`cloud ${key} removed (${c.templates.map(templateKey).join(', ') || 'no templates'})`);
  }
  for (const [key, c] of newClouds) {
    const was = oldClouds.get(key);
    if (!was) {
      lines.push(`cloud ${key} added (${c.templates.map(templateKey).join(', ') || 'no templates'})`);
      continue;
    }
    for (const change of settingChanges(scalars(was.node, outsideTemplates), scalars(c.node, outsideTemplates))) {
      lines.push(`cloud ${key}: ${change}`);
    }
    lines.push(...diffTemplates(key, was.templates, c.templates));
  }
  const notClouds = (path: string): boolean => path === 'jenkins.clouds' || path.startsWith('jenkins.clouds[');
  for (const change of settingChanges(scalars(before.root, notClouds), scalars(after.root, notClouds))) {
    lines.push(`casc: ${change}`);
  }
  return lines;
}

/** The bundle's files other than its casc YAML (jobs/, plugins.txt, the lock, the core pin): which differ. */
export function diffBundleFiles(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): string[] {
  const other = (name: string): boolean => !/^casc\/.*\.ya?ml$/i.test(name);
  const names = [...new Set([...before.keys(), ...after.keys()])].filter(other).sort();
  const lines: string[] = [];
  for (const name of names) {
    if (!before.has(name)) lines.push(`file ${name} added`);
    else if (!after.has(name)) lines.push(`file ${name} removed`);
    else if (before.get(name) !== after.get(name)) lines.push(`file ${name} changed`);
  }
  return lines;
}
