/**
 * The loaded JCasC tree: YAML nodes that remember where they came from, so every problem can name
 * `FILE:LINE`. Plain data, no YAML library types leak out of `load.ts`.
 */
export interface Loc {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export type ScalarValue = string | number | boolean | null;

export interface ScalarNode {
  readonly kind: 'scalar';
  readonly value: ScalarValue;
  /** Source text of a plain number (`10.0`, `010`): what JCasC passes to the plugin. */
  readonly text?: string;
  readonly loc: Loc;
}

export interface SeqNode {
  readonly kind: 'seq';
  readonly items: CascNode[];
  readonly loc: Loc;
}

export interface MapEntry {
  readonly key: string;
  readonly keyLoc: Loc;
  readonly value: CascNode;
}

export interface MapNode {
  readonly kind: 'map';
  readonly entries: MapEntry[];
  readonly loc: Loc;
}

export type CascNode = ScalarNode | SeqNode | MapNode;

/** The merged JCasC document (all files of the casc directory) and the files it came from. */
export interface CascTree {
  readonly root: MapNode;
  readonly files: readonly string[];
}

export function entry(map: CascNode | undefined, key: string): MapEntry | undefined {
  return map?.kind === 'map' ? map.entries.find((e) => e.key === key) : undefined;
}

export function child(map: CascNode | undefined, key: string): CascNode | undefined {
  return entry(map, key)?.value;
}

/** A scalar as the plugin receives it (a plain number's source text); undefined when absent, null or not a scalar. */
export function scalarText(node: CascNode | undefined): string | undefined {
  if (node?.kind !== 'scalar' || node.value === null) return undefined;
  return node.text ?? String(node.value);
}

export function items(node: CascNode | undefined): CascNode[] {
  return node?.kind === 'seq' ? node.items : [];
}

/** Plain JavaScript value of a node (what js-yaml would give). */
export function toPlain(node: CascNode): unknown {
  switch (node.kind) {
    case 'scalar':
      return node.value;
    case 'seq':
      return node.items.map(toPlain);
    case 'map':
      return Object.fromEntries(node.entries.map((e) => [e.key, toPlain(e.value)]));
  }
}

/** Visits every scalar with its dotted path (`jenkins.clouds[0].amazonEC2.name`) and its key. */
export function walkScalars(
  node: CascNode,
  path: string,
  visit: (scalar: ScalarNode, path: string, key: string | undefined) => void,
  key?: string,
): void {
  if (node.kind === 'scalar') visit(node, path, key);
  else if (node.kind === 'seq')
    node.items.forEach((item, i) => walkScalars(item, `${path}[${i}]`, visit, key));
  else for (const e of node.entries) walkScalars(e.value, joinPath(path, e.key), visit, e.key);
}

export function joinPath(parent: string, key: string): string {
  return parent ? `${parent}.${key}` : key;
}
