/**
 * Jenkins' plugin version ordering, as `hudson.util.VersionNumber` (jenkinsci/lib-version-number, used by
 * Jenkins core's plugin manager and by the plugin installation manager) defines it. A reimplementation from
 * its documented rules, not a port:
 *
 * - A version splits into items at `.` and `-` and where digits meet letters: `1511.v2e3cb_0008ef0` is
 *   1511, "v", 2, "e", 3, "cb_", 8, "ef" (trailing zeros, empty strings and empty lists are dropped).
 * - A `-` followed by a digit after a number opens a sub-list: `2.19.0-192.v2b…` is 2, 19, (192, "v", …),
 *   so `1-1 < 1.1` and a sub-list sorts below any number at the same place.
 * - Numbers compare numerically and above strings and sub-lists; strings are qualifiers ordered
 *   snapshot < alpha < beta < milestone < rc < "" (release) < sp < anything else (then by text);
 *   `a1`/`b1`/`m1` mean alpha/beta/milestone, `ga`/`final` mean release, `cr`/`ea` mean rc.
 * - `*` is a wildcard above everything at its place; `-SNAPSHOT` and Maven timestamps mark snapshots.
 *
 * Only compares; what counts as an exact, lockable version is decided in `./lock-file.ts`.
 */

type Item =
  | { readonly kind: 'number'; readonly value: bigint }
  | { readonly kind: 'qualifier'; readonly value: string }
  | { readonly kind: 'list'; readonly items: Item[] }
  | { readonly kind: 'wildcard' };

/** Known qualifiers, lowest first; the empty string is a plain release. */
const QUALIFIERS = ['snapshot', 'alpha', 'beta', 'milestone', 'rc', '', 'sp'];
const QUALIFIER_ALIASES: Readonly<Record<string, string>> = { ga: '', final: '', cr: 'rc', ea: 'rc' };
const LETTER_BEFORE_DIGIT: Readonly<Record<string, string>> = { a: 'alpha', b: 'beta', m: 'milestone' };
const RELEASE_RANK = rank('');
/** `-SNAPSHOT` or a Maven timestamp (`-20170207.105042-1`), optionally followed by ` (…)`. */
const SNAPSHOT = /^.*((?:-\d{8}\.\d{6}-\d+)|-SNAPSHOT)( \(.*\))?$/d;

function rank(qualifier: string): string {
  const i = QUALIFIERS.indexOf(qualifier);
  return i === -1 ? `${QUALIFIERS.length}-${qualifier}` : String(i);
}

function qualifier(text: string, beforeDigit: boolean): Item {
  const expanded = beforeDigit && text.length === 1 ? (LETTER_BEFORE_DIGIT[text] ?? text) : text;
  return { kind: 'qualifier', value: QUALIFIER_ALIASES[expanded] ?? expanded };
}

function token(isDigit: boolean, text: string): Item {
  return isDigit ? { kind: 'number', value: BigInt(text) } : qualifier(text, false);
}

function isNull(item: Item): boolean {
  switch (item.kind) {
    case 'number':
      return item.value === 0n;
    case 'qualifier':
      return rank(item.value) === RELEASE_RANK;
    case 'list':
      return item.items.length === 0;
    case 'wildcard':
      return false;
  }
}

/** Drops trailing items that mean nothing: `1.0` = `1`, `1-0` = `1`. */
function normalize(items: Item[]): void {
  while (items.length > 0 && isNull(items[items.length - 1])) items.pop();
}

function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `a` against `b`, where `b` missing means "the other version has ended here". */
function compareItem(a: Item, b: Item | undefined): number {
  switch (a.kind) {
    case 'wildcard':
      return b?.kind === 'wildcard' ? 0 : 1;
    case 'number':
      if (!b) return a.value === 0n ? 0 : 1;
      if (b.kind === 'number') return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
      return b.kind === 'wildcard' ? 0 : 1;
    case 'qualifier':
      if (!b) return sign(compareText(rank(a.value), RELEASE_RANK));
      if (b.kind === 'qualifier') return sign(compareText(rank(a.value), rank(b.value)));
      return -1;
    case 'list':
      if (!b) return a.items.length === 0 ? 0 : compareItem(a.items[0], undefined);
      if (b.kind === 'number' || b.kind === 'wildcard') return -1;
      if (b.kind === 'qualifier') return 1;
      return compareLists(a.items, b.items);
  }
}

function compareLists(left: readonly Item[], right: readonly Item[]): number {
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const result = i < left.length ? compareItem(left[i], right[i]) : -compareItem(right[i], undefined);
    if (result !== 0) return result;
  }
  return 0;
}

interface Parsed {
  readonly items: Item[];
  readonly snapshot?: string;
}

function parse(version: string): Parsed {
  let text = version;
  let snapshot: string | undefined;
  const m = SNAPSHOT.exec(text);
  if (m?.indices?.[1]) {
    snapshot = m[1];
    text = `${text.slice(0, m.indices[1][0])}-SNAPSHOT`;
  }
  text = text.toLowerCase();
  const root: Item[] = [];
  const lists: Item[][] = [root];
  let list = root;
  let isDigit = false;
  let start = 0;
  const pushPending = (end: number): void => {
    list.push(end === start ? { kind: 'number', value: 0n } : token(isDigit, text.slice(start, end)));
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '.' || c === '-') {
      pushPending(i);
      start = i + 1;
      if (c === '-' && isDigit) {
        normalize(list);
        if (/\d/.test(text[i + 1] ?? '')) {
          const sub: Item[] = [];
          list.push({ kind: 'list', items: sub });
          list = sub;
          lists.push(sub);
        }
      }
    } else if (c === '*') {
      list.push({ kind: 'wildcard' });
      start = i + 1;
    } else if (/\d/.test(c)) {
      if (!isDigit && i > start) {
        list.push(qualifier(text.slice(start, i), true));
        start = i;
      }
      isDigit = true;
    } else if (/\s/.test(c)) {
      if (i > start) {
        list.push(isDigit ? token(true, text.slice(start, i)) : qualifier(text.slice(start, i), true));
        start = i;
      }
      isDigit = false;
    } else {
      if (isDigit && i > start) {
        list.push(token(true, text.slice(start, i)));
        start = i;
      }
      isDigit = false;
    }
  }
  if (text.length > start) list.push(token(isDigit, text.slice(start)));
  for (const l of lists.reverse()) normalize(l);
  return { items: root, snapshot };
}

function compareSnapshots(a: string | undefined, b: string | undefined): number {
  if (a === undefined) return b === undefined ? 0 : -1;
  if (b === undefined) return 1;
  if (a === '-SNAPSHOT' || b === '-SNAPSHOT') return 0;
  const stamp = sign(compareText(a.slice(1, 16), b.slice(1, 16)));
  return stamp !== 0 ? stamp : sign(Number(a.slice(17)) - Number(b.slice(17)));
}

/**
 * `parse` of each version seen, as it is a pure function of the text and its result is only read: a check of
 * the lock compares the same few hundred versions every time casc/ is validated, and parsing is most of that.
 */
const PARSED = new Map<string, Parsed>();

function parsed(version: string): Parsed {
  let result = PARSED.get(version);
  if (!result) {
    result = parse(version);
    PARSED.set(version, result);
  }
  return result;
}

/** Negative, zero or positive as `a` is older than, the same as or newer than `b`, in Jenkins' order. */
export function compareVersions(a: string, b: string): number {
  const pa = parsed(a);
  const pb = parsed(b);
  return compareLists(pa.items, pb.items) || compareSnapshots(pa.snapshot, pb.snapshot);
}

/** True when `version` is at least `minimum` (a dependency's requirement is met). */
export function satisfies(version: string, minimum: string): boolean {
  return compareVersions(version, minimum) >= 0;
}
