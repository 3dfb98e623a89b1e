/**
 * Reads what pipelines and Job DSL scripts in `jobs/` ask of the casc tree, with regular expressions on
 * the Groovy text (comments blanked out first, line numbers kept). What is recognised:
 *
 * - labels: `agent { label 'x' }` / `label "x"` (declarative, also inside `node { }`), `node('x')`,
 *   `node(label: 'x')`, Job DSL `label('x')`; the value may be a quoted literal, `params.NAME`, or a
 *   double-quoted string with `${params.NAME}` / `${NAME}` inside. A parameter is expanded to its values:
 *   every choice of `choice(name: 'NAME', choices: [...])` / `choices: 'a\nb'` / Job DSL
 *   `choiceParam('NAME', [...])`, or the default of `string(name: 'NAME', defaultValue: '…')` / Job DSL
 *   `stringParam('NAME', '…')`. Parameters are collected from all job files (the seed may declare what
 *   the Jenkinsfile uses). Job DSL `choiceParam('NAME', servedLabels, …)` is the seed's list read from the
 *   bundle's jobs/worker-labels.tsv, which synth writes from the templates' labels (lib/bundle/worker-labels.ts):
 *   every value is served by construction, so a label that is exactly `${params.NAME}` needs no check.
 *   Anything else built at runtime is reported as a warning, not checked.
 *   `sh(label: …)` and other steps' `label:` arguments are not agent labels and are ignored.
 * - credential ids: `credentials('id')`, `credentialsId: 'id'`, `x.credentialsId = 'id'` (so `file(…)`, `usernamePassword(…)`,
 *   `sshUserPrivateKey(…)`, `string(…)` bindings), Job DSL `credentialsId('id')`. Ids containing `$`
 *   are dynamic and skipped.
 */
import * as fs from 'fs';
import * as path from 'path';

export interface LabelUse {
  readonly file: string;
  readonly line: number;
  /** The expression as written (for messages). */
  readonly source: string;
  /** Concrete label expressions to check; empty when it could not be resolved. */
  readonly expressions: string[];
  /** Set when the label is built at runtime from something this scan cannot resolve. */
  readonly unresolved?: string;
  /** For `${params.X}`: where each value of X is declared (the seed's choices), the place to change it. */
  readonly declaredAt?: ReadonlyMap<string, readonly Declaration[]>;
}

/** Where a parameter value is declared: a choice or a default in a job file. */
export interface Declaration {
  readonly parameter: string;
  readonly file: string;
  readonly line: number;
}

export interface CredentialUse {
  readonly file: string;
  readonly line: number;
  readonly id: string;
}

export interface JobsScan {
  readonly files: string[];
  readonly labels: LabelUse[];
  readonly credentials: CredentialUse[];
}

const JOB_FILE = /^(Jenkinsfile.*|.*\.groovy|.*\.jenkinsfile)$/i;

function listJobFiles(jobsPath: string): string[] {
  if (!fs.existsSync(jobsPath)) return [];
  if (!fs.statSync(jobsPath).isDirectory()) return [jobsPath];
  const found: string[] = [];
  for (const name of fs.readdirSync(jobsPath).sort()) {
    if (name.startsWith('.')) continue;
    const full = path.join(jobsPath, name);
    if (fs.statSync(full).isDirectory()) found.push(...listJobFiles(full));
    else if (JOB_FILE.test(name)) found.push(full);
  }
  return found;
}

export function scanJobs(jobsPath: string): JobsScan {
  const files = listJobFiles(jobsPath);
  const texts = files.map((file) => ({ file, text: blankComments(fs.readFileSync(file, 'utf8')) }));
  const params: Parameters = { values: new Map(), declared: new Map(), served: new Set() };
  for (const { file, text } of texts) collectParameters(file, text, params);
  const labels: LabelUse[] = [];
  const credentials: CredentialUse[] = [];
  for (const { file, text } of texts) {
    labels.push(...findLabels(file, text, params));
    credentials.push(...findCredentials(file, text));
  }
  return { files, labels, credentials };
}

const QUOTED = String.raw`(?:'([^'\n]*)'|"([^"\n]*)")`;
const VALUE = String.raw`(?:'([^'\n]*)'|"([^"\n]*)"|params\.(\w+))`;

const LABEL_PATTERNS = [
  new RegExp(String.raw`\bnode\s*\(\s*label\s*:\s*${VALUE}`, 'g'),
  new RegExp(String.raw`\bnode\s*\(\s*${VALUE}\s*[,)]`, 'g'),
  new RegExp(String.raw`(?<![.\w])label\s+${VALUE}`, 'g'),
  new RegExp(String.raw`(?<![.\w])label\s*\(\s*${VALUE}\s*\)`, 'g'),
];

const CREDENTIAL_PATTERNS = [
  new RegExp(String.raw`\bcredentials\s*\(\s*${QUOTED}\s*\)`, 'g'),
  new RegExp(String.raw`\bcredentialsId\s*[:=]\s*${QUOTED}`, 'g'),
  new RegExp(String.raw`\bcredentialsId\s*\(\s*${QUOTED}\s*\)`, 'g'),
];

/** The text lineAt last indexed and where each of its lines starts: a scan asks many lines of one file in a row. */
let indexed: { text: string; starts: number[] } | undefined;

/** The 1-based line of `index` in `text` (a binary search over the line starts). */
function lineAt(text: string, index: number): number {
  if (indexed?.text !== text) {
    const starts = [0];
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    indexed = { text, starts };
  }
  const { starts } = indexed;
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (starts[mid] <= index) low = mid;
    else high = mid - 1;
  }
  return low + 1;
}

function quotedStrings(text: string): string[] {
  return [...text.matchAll(new RegExp(QUOTED, 'g'))].map((m) => m[1] ?? m[2]);
}

interface Parameters {
  /** Parameter name → every value it can take. */
  readonly values: Map<string, string[]>;
  /** `name\0value` → where that value is declared. */
  readonly declared: Map<string, Declaration[]>;
  /** Parameters whose choices are the labels the casc templates serve (`choiceParam('NAME', servedLabels`). */
  readonly served: Set<string>;
}

function collectParameters(file: string, text: string, params: Parameters): void {
  const add = (name: string, values: string[], index: number | undefined): void => {
    params.values.set(name, [...new Set([...(params.values.get(name) ?? []), ...values])]);
    const line = lineAt(text, index ?? 0);
    for (const value of values) {
      const key = `${name}\0${value}`;
      params.declared.set(key, [...(params.declared.get(key) ?? []), { parameter: name, file, line }]);
    }
  };
  for (const m of text.matchAll(/\bchoice\s*\(([^)]*)\)/g)) {
    const args = m[1];
    const name = new RegExp(String.raw`\bname\s*:\s*${QUOTED}`).exec(args);
    if (!name) continue;
    const list = /\bchoices\s*:\s*\[([^\]]*)\]/.exec(args);
    const joined = new RegExp(String.raw`\bchoices\s*:\s*${QUOTED}`).exec(args);
    const values = list ? quotedStrings(list[1]) : joined ? (joined[1] ?? joined[2]).split('\\n') : [];
    add(name[1] ?? name[2], values, m.index);
  }
  for (const m of text.matchAll(/\bstring\s*\(([^)]*)\)/g)) {
    const name = new RegExp(String.raw`\bname\s*:\s*${QUOTED}`).exec(m[1]);
    const value = new RegExp(String.raw`\bdefaultValue\s*:\s*${QUOTED}`).exec(m[1]);
    if (name && value) add(name[1] ?? name[2], [value[1] ?? value[2]], m.index);
  }
  for (const m of text.matchAll(
    new RegExp(String.raw`\bchoiceParam\s*\(\s*${QUOTED}\s*,\s*\[([^\]]*)\]`, 'g'),
  )) {
    add(m[1] ?? m[2], quotedStrings(m[3]), m.index);
  }
  for (const m of text.matchAll(
    new RegExp(String.raw`\bchoiceParam\s*\(\s*${QUOTED}\s*,\s*servedLabels\b`, 'g'),
  )) {
    params.served.add(m[1] ?? m[2]);
  }
  for (const m of text.matchAll(
    new RegExp(String.raw`\bstringParam\s*\(\s*${QUOTED}\s*,\s*${QUOTED}`, 'g'),
  )) {
    add(m[1] ?? m[2], [m[3] ?? m[4]], m.index);
  }
}

function findLabels(file: string, text: string, params: Parameters): LabelUse[] {
  const uses = new Map<number, LabelUse>();
  for (const pattern of LABEL_PATTERNS) {
    for (const m of text.matchAll(pattern)) {
      const index = m.index ?? 0;
      if (uses.has(index)) continue;
      const line = lineAt(text, index);
      const [single, double, param] = [m[1], m[2], m[3]];
      if (param !== undefined)
        uses.set(index, expand(file, line, `params.${param}`, `\${params.${param}}`, params));
      else if (double !== undefined) uses.set(index, expand(file, line, `"${double}"`, double, params));
      else uses.set(index, { file, line, source: `'${single}'`, expressions: [single] });
    }
  }
  return [...uses.values()].filter((use) => use.unresolved || use.expressions.some((e) => e.trim() !== ''));
}

/** Substitutes `${params.X}` / `${X}` with every known value of parameter X. */
function expand(file: string, line: number, source: string, template: string, params: Parameters): LabelUse {
  const references = [...template.matchAll(/\$\{\s*(?:params\.)?(\w+)\s*\}/g)].map((m) => m[1]);
  if (template.includes('$') && references.length === 0) {
    return { file, line, source, expressions: [], unresolved: 'an expression built at runtime' };
  }
  const exactlyOne = template.replace(/\$\{\s*(?:params\.)?\w+\s*\}/, '') === '' && references.length === 1;
  if (exactlyOne && params.served.has(references[0])) return { file, line, source, expressions: [] };
  let expressions = [template];
  for (const name of new Set(references)) {
    if (params.served.has(name)) {
      return {
        file,
        line,
        source,
        expressions: [],
        unresolved: `parameter '${name}' (its choices are the casc labels, only known at synth)`,
      };
    }
    const values = params.values.get(name);
    if (!values || values.length === 0) {
      return {
        file,
        line,
        source,
        expressions: [],
        unresolved: `parameter or variable '${name}' (no choices or default found)`,
      };
    }
    const reference = new RegExp(String.raw`\$\{\s*(?:params\.)?${name}\s*\}`, 'g');
    expressions = expressions.flatMap((e) => values.map((v) => e.replace(reference, v)));
  }
  // The label is exactly one parameter: each expression is one of its values, declared somewhere.
  if (exactlyOne) {
    const declaredAt = new Map(
      expressions.map((e) => [e, params.declared.get(`${references[0]}\0${e}`) ?? []]),
    );
    return { file, line, source, expressions, declaredAt };
  }
  return { file, line, source, expressions };
}

function findCredentials(file: string, text: string): CredentialUse[] {
  const uses = new Map<number, CredentialUse>();
  for (const pattern of CREDENTIAL_PATTERNS) {
    for (const m of text.matchAll(pattern)) {
      const id = m[1] ?? m[2];
      if (id.includes('$')) continue;
      uses.set(m.index ?? 0, { file, line: lineAt(text, m.index ?? 0), id });
    }
  }
  return [...uses.values()];
}

/** Where a string or a comment can start, in the order they are tried at one position. */
const STRING_OR_COMMENT = /'''|"""|['"]|\/\/|\/\*/g;

/** Replaces Groovy comments with spaces (newlines kept), leaving strings untouched. */
function blankComments(text: string): string {
  const out: string[] = [];
  let copied = 0;
  const blank = (from: number, to: number): void => {
    out.push(text.slice(copied, from), text.slice(from, to).replace(/[^\n]/g, ' '));
    copied = to;
  };
  const start = new RegExp(STRING_OR_COMMENT);
  for (let m = start.exec(text); m !== null; m = start.exec(text)) {
    const [token] = m;
    const i = m.index;
    let next: number;
    if (token.length === 3) {
      const end = text.indexOf(token, i + 3);
      next = end < 0 ? text.length : end + 3;
    } else if (token === "'" || token === '"') {
      next = i + 1;
      while (next < text.length && text[next] !== token && text[next] !== '\n')
        next += text[next] === '\\' ? 2 : 1;
      next++;
    } else if (token === '//') {
      const end = text.indexOf('\n', i);
      next = end < 0 ? text.length : end;
      blank(i, next);
    } else {
      const end = text.indexOf('*/', i + 2);
      next = end < 0 ? text.length : end + 2;
      blank(i, next);
    }
    start.lastIndex = next;
  }
  out.push(text.slice(copied));
  return out.join('');
}
