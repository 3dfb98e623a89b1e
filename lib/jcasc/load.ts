/**
 * Loads a JCasC tree the way the configuration-as-code plugin does: a single file, or every `*.yml` /
 * `*.yaml` file under a directory (recursively, hidden entries skipped, sorted by path), merged into one
 * document with its default `errorOnConflict` strategy (mappings merge key by key, sequences concatenate,
 * two different values for one scalar are an error). Every node keeps its file, line and column.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node as YamlNode,
  parseDocument,
  type YAMLError,
} from 'yaml';

import { type CascNode, type CascTree, joinPath, type Loc, type MapNode } from './nodes';
import { type Problem, problemAt } from './problem';

export interface LoadResult {
  /** Undefined when nothing could be loaded (syntax errors still give a partial tree of the good files). */
  readonly tree?: CascTree;
  readonly problems: Problem[];
  /** Each file that parsed, in load order: what a renderer edits and writes back, without parsing again. */
  readonly documents: readonly CascDocument[];
}

/** One YAML file as read and parsed: its text and the `yaml` Document the tree was converted from. */
export interface CascDocument {
  /** Absolute path. */
  readonly file: string;
  readonly text: string;
  /** Shared, not copied: clone it before changing it. */
  readonly document: Document;
}

/** A file name JCasC loads from a directory: `*.yml` or `*.yaml`, any case. */
export const YAML_FILE = /\.ya?ml$/i;

export function listCascFiles(cascPath: string): string[] {
  const stat = fs.statSync(cascPath);
  if (!stat.isDirectory()) return [cascPath];
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const name of fs.readdirSync(dir)) {
      if (name.startsWith('.')) continue;
      const full = path.join(dir, name);
      // A dangling link is listed like a file, so reading it reports the problem.
      if (fs.statSync(full, { throwIfNoEntry: false })?.isDirectory()) walk(full);
      else if (YAML_FILE.test(name)) found.push(full);
    }
  };
  walk(cascPath);
  return found.sort();
}

export function loadCascTree(cascPath: string): LoadResult {
  const problems: Problem[] = [];
  if (!fs.existsSync(cascPath)) {
    return {
      problems: [problemAt({ file: cascPath, line: 0, col: 0 }, '', 'no such file or directory')],
      documents: [],
    };
  }
  const files = listCascFiles(path.resolve(cascPath));
  const root: MapNode = { kind: 'map', entries: [], loc: { file: files[0] ?? cascPath, line: 1, col: 1 } };
  const documents: CascDocument[] = [];
  for (const file of files) {
    const text = readText(file, problems);
    if (text === undefined) continue;
    const parsed = parseCascDocument(file, text, problems);
    if (parsed.document) documents.push({ file, text, document: parsed.document });
    if (parsed.node) mergeMaps(root, parsed.node, '', problems);
  }
  return { tree: { root, files }, problems, documents };
}

/** A file that cannot be read (a dangling link, no permission) is a problem of that file, not a crash. */
function readText(file: string, problems: Problem[]): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    problems.push(problemAt({ file, line: 0, col: 0 }, '', `cannot read the file (${reason})`));
    return undefined;
  }
}

/**
 * Parses one file into its Document (undefined when it has syntax errors) and its tree node (undefined
 * also for an empty file or one that is not a mapping); problems go to `problems`.
 */
function parseCascDocument(
  file: string,
  text: string,
  problems: Problem[],
): { document?: Document; node?: MapNode } {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    problems.push(syntaxProblem(file, text, document.errors));
    return {};
  }
  if (document.contents === null) return { document };
  const node = convert(document.contents as YamlNode, {
    document,
    file,
    lineCounter,
    problems,
    expanding: new Set(),
  });
  if (node.kind !== 'map') {
    problems.push(
      problemAt(
        node.loc,
        '',
        `a JCasC file must be a mapping of root keys (jenkins, unclassified, …), got a ${describeKind(node)}`,
      ),
    );
    return { document };
  }
  return { document, node };
}

/**
 * One line for a file that does not parse: its first error, at the first character of the offending line
 * when the parser points at its indentation. The parser's further errors follow from the first (one slip
 * of indentation gives one per later key), so they are left out.
 */
function syntaxProblem(file: string, text: string, errors: readonly YAMLError[]): Problem {
  const first = [...errors].sort((a, b) => a.pos[0] - b.pos[0])[0];
  const line = first.linePos?.[0].line ?? 1;
  let col = first.linePos?.[0].col ?? 1;
  const lineText = text.split(/\r?\n/)[line - 1] ?? '';
  const indent = lineText.length - lineText.trimStart().length;
  if (INDENT_CODES.has(first.code) && col <= indent && lineText.trim() !== '') col = indent + 1;
  const reason = first.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  return {
    file,
    line,
    col,
    path: '',
    message: `YAML syntax error: ${reason}${indentHint(first, text, line)}`,
    severity: 'error',
  };
}

const INDENT_CODES: ReadonlySet<string> = new Set(['BAD_INDENT', 'MISSING_CHAR']);

/** For an indentation slip, the two indentations that disagree (the parser's own words name neither). */
function indentHint(error: YAMLError, text: string, line: number): string {
  if (!INDENT_CODES.has(error.code)) return '';
  const lines = text.split(/\r?\n/);
  const indentOf = (s: string): number => s.length - s.trimStart().length;
  const here = lines[line - 1] ?? '';
  if (here.trim() === '') return '';
  for (let i = line - 2; i >= 0; i--) {
    const above = lines[i];
    if (above.trim() === '' || above.trimStart().startsWith('#')) continue;
    const [mine, theirs] = [indentOf(here), indentOf(above.replace(/^(\s*)- /, '$1  '))];
    return mine === theirs ? '' : ` (this line is indented ${mine} spaces, line ${i + 1} above it ${theirs})`;
  }
  return '';
}

/** True when a problem is a file that does not parse: later checks would only repeat it. */
export function isSyntaxProblem(problem: Problem): boolean {
  return problem.col !== undefined && problem.message.startsWith('YAML syntax error: ');
}

interface ConvertContext {
  readonly document: Document;
  readonly file: string;
  readonly lineCounter: LineCounter;
  readonly problems: Problem[];
  /** Anchored nodes being expanded through aliases: an alias back into one of them is a cycle. */
  readonly expanding: Set<YamlNode>;
}

function convert(node: YamlNode, ctx: ConvertContext, fallback?: Loc): CascNode {
  const loc = locOf(node, ctx.file, ctx.lineCounter) ?? fallback ?? { file: ctx.file, line: 1, col: 1 };
  if (isAlias(node)) {
    const target = node.resolve(ctx.document) as YamlNode | undefined;
    if (!target) return { kind: 'scalar', value: null, loc };
    if (ctx.expanding.has(target)) {
      ctx.problems.push(
        problemAt(loc, '', `alias *${node.source} refers to a node that contains it (an endless document)`),
      );
      return { kind: 'scalar', value: null, loc };
    }
    ctx.expanding.add(target);
    const expanded = convert(target, ctx, loc);
    ctx.expanding.delete(target);
    return expanded;
  }
  if (isMap(node) || isSeq(node)) ctx.expanding.add(node);
  const converted = convertCollection(node, loc, ctx);
  if (isMap(node) || isSeq(node)) ctx.expanding.delete(node);
  return converted;
}

function convertCollection(node: YamlNode, loc: Loc, ctx: ConvertContext): CascNode {
  if (isMap(node)) {
    return {
      kind: 'map',
      loc,
      entries: node.items.map((pair) => {
        const keyNode = pair.key as YamlNode | null;
        const keyLoc = (keyNode && locOf(keyNode, ctx.file, ctx.lineCounter)) ?? loc;
        const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
        const value = pair.value as YamlNode | null;
        return {
          key,
          keyLoc,
          value: value === null ? { kind: 'scalar', value: null, loc: keyLoc } : convert(value, ctx, keyLoc),
        };
      }),
    };
  }
  if (isSeq(node)) {
    return {
      kind: 'seq',
      loc,
      items: node.items.map((item) =>
        item === null ? { kind: 'scalar', value: null, loc } : convert(item as YamlNode, ctx, loc),
      ),
    };
  }
  if (!isScalar(node)) return { kind: 'scalar', value: null, loc };
  const value = normaliseScalar(node.value);
  // JCasC hands the plugin the YAML text of a plain scalar (`10.0`, `010`), not the number YAML reads in it.
  const text =
    typeof value === 'number' && node.type === 'PLAIN' && typeof node.source === 'string'
      ? node.source
      : undefined;
  return text === undefined ? { kind: 'scalar', value, loc } : { kind: 'scalar', value, text, loc };
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
  if (node.value === null) return 'empty value';
  return `${typeof node.value} ${node.text ?? JSON.stringify(node.value)}`;
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
