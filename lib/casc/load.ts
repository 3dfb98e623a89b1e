/**
 * Loads a JCasC tree the way the configuration-as-code plugin does: a single file, or every `*.yml` /
 * `*.yaml` file under a directory (recursively, hidden entries skipped, sorted by path), merged into one
 * document with its default `errorOnConflict` strategy (mappings merge key by key, sequences concatenate,
 * two different values for one scalar are an error). Every node keeps its file, line and column.
 */
import * as fs from 'fs';
import * as path from 'path';
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode, type Document } from 'yaml';

import { joinPath, type CascNode, type CascTree, type Loc, type MapNode } from './nodes';
import { problemAt, type Problem } from './problem';

export interface LoadResult {
  /** Undefined when nothing could be loaded (syntax errors still give a partial tree of the good files). */
  readonly tree?: CascTree;
  readonly problems: Problem[];
}

const YAML_FILE = /\.ya?ml$/i;

export function listCascFiles(cascPath: string): string[] {
  const stat = fs.statSync(cascPath);
  if (!stat.isDirectory()) return [cascPath];
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const name of fs.readdirSync(dir)) {
      if (name.startsWith('.')) continue;
      const full = path.join(dir, name);
      if (fs.statSync(full).isDirectory()) walk(full);
      else if (YAML_FILE.test(name)) found.push(full);
    }
  };
  walk(cascPath);
  return found.sort();
}

export function loadCascTree(cascPath: string): LoadResult {
  const problems: Problem[] = [];
  if (!fs.existsSync(cascPath)) {
    return { problems: [problemAt({ file: cascPath, line: 0, col: 0 }, '', 'no such file or directory')] };
  }
  const files = listCascFiles(path.resolve(cascPath));
  const root: MapNode = { kind: 'map', entries: [], loc: { file: files[0] ?? cascPath, line: 1, col: 1 } };
  for (const file of files) {
    const document = parseCascFile(file, fs.readFileSync(file, 'utf8'), problems);
    if (document) mergeMaps(root, document, '', problems);
  }
  return { tree: { root, files }, problems };
}

/** Parses one file; `undefined` for an empty file or one with errors (reported in `problems`). */
export function parseCascFile(file: string, text: string, problems: Problem[]): MapNode | undefined {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    for (const error of document.errors) {
      const [line, col] = error.linePos ? [error.linePos[0].line, error.linePos[0].col] : [1, 1];
      const reason = error.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      problems.push({
        file,
        line,
        col,
        path: '',
        message: `YAML syntax error: ${reason}`,
        severity: 'error',
      });
    }
    return undefined;
  }
  if (document.contents === null) return undefined;
  const node = convert(document.contents as YamlNode, document, file, lineCounter);
  if (node.kind !== 'map') {
    problems.push(problemAt(node.loc, '', `a JCasC file must be a mapping of root keys (jenkins, unclassified, …), got a ${describeKind(node)}`));
    return undefined;
  }
  return node;
}

function convert(node: YamlNode, document: Document, file: string, lineCounter: LineCounter, fallback?: Loc): CascNode {
  const loc = locOf(node, file, lineCounter) ?? fallback ?? { file, line: 1, col: 1 };
  if (isAlias(node)) {
    const target = node.resolve(document);
    return target ? convert(target as YamlNode, document, file, lineCounter, loc) : { kind: 'scalar', value: null, loc };
  }
  if (isMap(node)) {
    return {
      kind: 'map',
      loc,
      entries: node.items.map((pair) => {
        const keyNode = pair.key as YamlNode | null;
        const keyLoc = (keyNode && locOf(keyNode, file, lineCounter)) ?? loc;
        const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
        const value = pair.value as YamlNode | null;
        return {
          key,
          keyLoc,
          value: value === null ? { kind: 'scalar', value: null, loc: keyLoc } : convert(value, document, file, lineCounter, keyLoc),
        };
      }),
    };
  }
  if (isSeq(node)) {
    return {
      kind: 'seq',
      loc,
      items: node.items.map((item) =>
        item === null ? { kind: 'scalar', value: null, loc } : convert(item as YamlNode, document, file, lineCounter, loc),
      ),
    };
  }
  const value = isScalar(node) ? node.value : null;
  return { kind: 'scalar', value: normaliseScalar(value), loc };
}

function normaliseScalar(value: unknown): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return String(value);
}

function locOf(node: YamlNode, file: string, lineCounter: LineCounter): Loc | undefined {
  if (!node.range) return undefined;
  const pos = lineCounter.linePos(node.range[0]);
  return { file, line: pos.line, col: pos.col };
}

export function describeKind(node: CascNode): string {
  if (node.kind === 'map') return 'mapping';
  if (node.kind === 'seq') return 'list';
  return node.value === null ? 'empty value' : `${typeof node.value} ${JSON.stringify(node.value)}`;
}

function mergeMaps(target: MapNode, source: MapNode, parentPath: string, problems: Problem[]): void {
  for (const incoming of source.entries) {
    const existing = target.entries.find((e) => e.key === incoming.key);
    if (!existing) {
      target.entries.push(incoming);
      continue;
    }
    const entryPath = joinPath(parentPath, incoming.key);
    const [a, b] = [existing.value, incoming.value];
    if (a.kind === 'map' && b.kind === 'map') mergeMaps(a, b, entryPath, problems);
    else if (a.kind === 'seq' && b.kind === 'seq') a.items.push(...b.items);
    else {
      const other = `${path.relative(process.cwd(), existing.keyLoc.file)}:${existing.keyLoc.line}`;
      const why =
        a.kind === b.kind
          ? `conflicting value, also set in ${other} (JCasC rejects conflicting values across files)`
          : `incompatible with ${other} (a ${describeKind(b)} here, a ${describeKind(a)} there)`;
      problems.push(problemAt(incoming.keyLoc, entryPath, why));
    }
  }
}
