/**
 * Checks a loaded JCasC tree against the data model: unknown keys (with did-you-mean), deprecated keys
 * (JCasC's `deprecated: reject|warn`), keys this project refuses, and type mismatches after JCasC's scalar
 * coercion. Records which plugin each used class/attribute comes from, for the plugins.txt cross-check.
 */
import { didYouMean } from '../did-you-mean';
import { describeKind } from '../load';
import { type CascNode, type CascTree, child, joinPath, type Loc, type MapNode, scalarText } from '../nodes';
import { type Problem, problemAt } from '../problem';
import { WHOLE_VARIABLE } from '../variables';
import { CASC_DOCUMENT } from './root';
import { type ClassSchema, CORE, type Field, type FieldType } from './types';

/** The first place a plugin (never CORE) is needed: the section's key, the line users look for. */
export interface PluginUse {
  readonly plugin: string;
  readonly loc: Loc;
  readonly path: string;
}

export interface SchemaCheckResult {
  readonly problems: Problem[];
  /** First use of each plugin, in document order. */
  readonly pluginUses: PluginUse[];
}

interface Context {
  readonly deprecated: 'reject' | 'warn';
  readonly unknown: 'reject' | 'warn';
  readonly problems: Problem[];
  readonly pluginUses: Map<string, PluginUse>;
}

const INTEGER = /^[+-]?\d+$/;

export function checkSchema(tree: CascTree, schema: ClassSchema = CASC_DOCUMENT): SchemaCheckResult {
  const cascSettings = child(tree.root, 'configuration-as-code');
  const ctx: Context = {
    deprecated: scalarText(child(cascSettings, 'deprecated')) === 'warn' ? 'warn' : 'reject',
    unknown: scalarText(child(cascSettings, 'unknown')) === 'warn' ? 'warn' : 'reject',
    problems: [],
    pluginUses: new Map(),
  };
  checkClass(tree.root, schema, '', ctx);
  return { problems: ctx.problems, pluginUses: [...ctx.pluginUses.values()] };
}

function usePlugin(plugin: string | undefined, loc: Loc, path: string, ctx: Context): void {
  if (plugin && plugin !== CORE && !ctx.pluginUses.has(plugin))
    ctx.pluginUses.set(plugin, { plugin, loc, path });
}

function checkClass(map: MapNode, schema: ClassSchema, path: string, ctx: Context): void {
  usePlugin(schema.plugin, map.loc, path, ctx);
  for (const { key, keyLoc, value } of map.entries) {
    const keyPath = joinPath(path, key);
    const field = schema.fields[key];
    if (!field) {
      const known = Object.keys(schema.fields).filter((k) => !schema.fields[k].rejected);
      const message = `unknown key '${key}' in ${schema.name}${didYouMean(key, known)}`;
      ctx.problems.push(problemAt(keyLoc, keyPath, message, ctx.unknown === 'warn' ? 'warning' : 'error'));
      continue;
    }
    if (field.rejected) {
      ctx.problems.push(problemAt(keyLoc, keyPath, field.rejected));
      continue;
    }
    if (field.deprecated) reportDeprecated(key, keyLoc, keyPath, schema, field, ctx);
    usePlugin(field.plugin, keyLoc, keyPath, ctx);
    // A section's plugin is reported at its key, the line users look for.
    if (field.type.kind === 'object') usePlugin(field.type.of.plugin, keyLoc, keyPath, ctx);
    checkValue(value, field.type, keyPath, ctx);
  }
}

function reportDeprecated(
  key: string,
  loc: Loc,
  path: string,
  schema: ClassSchema,
  field: Field,
  ctx: Context,
): void {
  const instead = field.replacement ? `; use '${field.replacement}'` : '';
  if (ctx.deprecated === 'warn') {
    ctx.problems.push(problemAt(loc, path, `'${key}' is deprecated in ${schema.name}${instead}`, 'warning'));
  } else {
    const message =
      `'${key}' is deprecated in ${schema.name}${instead} ` +
      '(JCasC rejects deprecated keys unless the YAML sets configuration-as-code: {deprecated: warn})';
    ctx.problems.push(problemAt(loc, path, message));
  }
}

function mismatch(node: CascNode, path: string, expected: string, ctx: Context): void {
  ctx.problems.push(
    problemAt(node.loc, path, `wrong type (expected ${expected}, got ${describeKind(node)})`),
  );
}

function checkValue(node: CascNode, type: FieldType, path: string, ctx: Context): void {
  // An empty value (`description:`) leaves the attribute unset, as JCasC does.
  if (node.kind === 'scalar' && node.value === null) return;
  // JCasC resolves `${VAR}` before converting a value, so a whole-variable scalar fits any scalar type.
  const isVariable =
    node.kind === 'scalar' && typeof node.value === 'string' && WHOLE_VARIABLE.test(node.value);
  switch (type.kind) {
    case 'any':
      return;
    case 'string':
      if (node.kind !== 'scalar') mismatch(node, path, 'a string', ctx);
      return;
    case 'int':
      if (!(isVariable || isInteger(node))) mismatch(node, path, 'an integer', ctx);
      return;
    case 'number':
      if (!(isVariable || isNumber(node))) mismatch(node, path, 'a number', ctx);
      return;
    case 'bool':
      if (!(isVariable || isBoolean(node))) mismatch(node, path, 'true or false', ctx);
      return;
    case 'enum': {
      const text = node.kind === 'scalar' ? String(node.value) : undefined;
      if (isVariable || (text !== undefined && type.values.includes(text))) return;
      const hint = text === undefined ? '' : didYouMean(text, type.values);
      mismatch(node, path, `one of ${type.values.join(', ')}`, ctx);
      if (hint) replaceLastMessage(ctx, hint);
      return;
    }
    case 'object':
      if (node.kind === 'map') checkClass(node, type.of, path, ctx);
      else mismatch(node, path, `a mapping (${type.of.name})`, ctx);
      return;
    case 'list':
      if (node.kind === 'seq')
        node.items.forEach((item, i) => checkValue(item, type.of, `${path}[${i}]`, ctx));
      else mismatch(node, path, 'a list', ctx);
      return;
    case 'stringMap':
      if (node.kind !== 'map') mismatch(node, path, 'a mapping of names to values', ctx);
      else for (const e of node.entries) checkValue(e.value, { kind: 'string' }, joinPath(path, e.key), ctx);
      return;
    case 'describable':
      checkDescribable(node, type, path, ctx);
      return;
  }
}

function checkDescribable(
  node: CascNode,
  type: Extract<FieldType, { kind: 'describable' }>,
  path: string,
  ctx: Context,
): void {
  const symbols = Object.keys(type.variants);
  const expected = `one of ${symbols.map((s) => `${s}:`).join(', ')}`;
  if (node.kind === 'scalar') {
    // `markupFormatter: plainText`: the symbol alone, for an implementation that needs no attributes.
    const symbol = String(node.value);
    const chosen = type.variants[symbol];
    if (chosen && chosen.type.kind === 'object') usePlugin(chosen.plugin, node.loc, path, ctx);
    else
      ctx.problems.push(
        problemAt(
          node.loc,
          path,
          `unknown ${type.name} '${symbol}'${didYouMean(symbol, symbols)} (expected ${expected})`,
        ),
      );
    return;
  }
  if (node.kind !== 'map' || node.entries.length !== 1) {
    const got = node.kind === 'map' ? `${node.entries.length} keys` : describeKind(node);
    ctx.problems.push(
      problemAt(
        node.loc,
        path,
        `wrong type (expected a mapping with exactly one key, ${expected}, got ${got})`,
      ),
    );
    return;
  }
  const [{ key, keyLoc, value }] = node.entries;
  const chosen = type.variants[key];
  const keyPath = joinPath(path, key);
  if (!chosen) {
    ctx.problems.push(
      problemAt(
        keyLoc,
        keyPath,
        `unknown ${type.name} '${key}'${didYouMean(key, symbols)} (expected ${expected})`,
      ),
    );
    return;
  }
  usePlugin(chosen.plugin, keyLoc, keyPath, ctx);
  // `hide: {}` or `default:` – an implementation without attributes may be given an empty value.
  if (chosen.type.kind === 'object' && value.kind === 'scalar' && value.value === null) return;
  checkValue(value, chosen.type, keyPath, ctx);
}

function replaceLastMessage(ctx: Context, hint: string): void {
  const last = ctx.problems.pop();
  if (last) ctx.problems.push({ ...last, message: `${last.message}${hint}` });
}

/** Judged on the text JCasC converts (`10.0` is a number in YAML, not an integer for an `int` attribute). */
function isInteger(node: CascNode): boolean {
  if (node.kind !== 'scalar') return false;
  const text = scalarText(node);
  return (
    (typeof node.value === 'number' || typeof node.value === 'string') &&
    text !== undefined &&
    INTEGER.test(text.trim())
  );
}

function isNumber(node: CascNode): boolean {
  if (node.kind !== 'scalar') return false;
  if (typeof node.value === 'number') return true;
  return typeof node.value === 'string' && node.value.trim() !== '' && !Number.isNaN(Number(node.value));
}

function isBoolean(node: CascNode): boolean {
  if (node.kind !== 'scalar') return false;
  if (typeof node.value === 'boolean') return true;
  return typeof node.value === 'string' && /^(true|false)$/i.test(node.value.trim());
}
