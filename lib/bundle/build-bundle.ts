import * as fs from 'fs';
import * as path from 'path';
import { Document, isMap, isScalar, Scalar, visit } from 'yaml';

import type { Fleet, FleetTemplate } from '../casc/fleet';
import { STACK_VARIABLES, stackVariableNames } from '../casc/stack-variables';
import type { CascDocument } from '../jcasc/load';
import { replaceVariableReferences } from '../jcasc/variables';
import { SHA256_HEX } from '../patterns';
import { digestOfFiles } from './file-digest';
import { INIT_SCRIPTS_DIR, initScriptFiles } from './init-scripts';
import { RenderError, renderWorkerScript, toJcascValue, unescapeJcasc } from './render-worker-script';
import { renderWorkerLabels, WORKER_LABELS_FILE, workerLabels } from './worker-labels';
import { buildWorkerPayload, WORKER_PAYLOAD_SCRIPT, WorkerPayload } from './worker-payload';

/**
 * casc/ as loaded once (lib/casc/load-casc.ts): the bundle renders the loader's Documents and takes the
 * labels from the Fleet, so it never reads or parses the YAML again.
 */
export interface LoadedCascSources {
  /** The casc directory: its files other than the loaded YAML (plugins.txt, plugins.lock, jenkins-core.txt) are copied. */
  readonly dir: string;
  readonly documents: readonly CascDocument[];
  readonly fleet: Fleet;
}

export interface BundleSources {
  /** Repository root: `@render:` paths and the default jobs dir are relative to it. */
  readonly repoRoot: string;
  readonly casc: LoadedCascSources;
  /** Job DSL and Jenkinsfiles. @default `<repoRoot>/jobs` */
  readonly jobsDir?: string;
  /** Groovy hooks Jenkins runs at start (lib/bundle/init-scripts.ts). @default `<repoRoot>/init.groovy.d` */
  readonly initDir?: string;
}

export interface BuiltBundle {
  /** Relative path (`casc/…`, `jobs/…`, `init.groovy.d/…`) → content. */
  readonly files: ReadonlyMap<string, string>;
  readonly digest: string;
  /** The worker boot payload whose sha256 the rendered user data pins (undefined: the repo has none). */
  readonly workerPayload?: WorkerPayload;
}

/** A `userData`/`initScript` value `@render:<script>`: the bundle replaces it with the rendered worker script. */
export const RENDER_PREFIX = '@render:';
/** The EC2 template keys whose `@render:` value the bundle renders (rule `render-marker-placement` refuses it elsewhere). */
export const RENDERED_KEYS: readonly string[] = ['userData', 'initScript'];

/**
 * EC2 RunInstances accepts at most 16,384 bytes of user data before base64 encoding (EC2 API reference,
 * RunInstances `UserData`), and the EC2 plugin sends the template's userData as it is, base64-encoded,
 * without compression or multipart (SlaveTemplate.java around line 2204 at 2059.v05f9d511d7e5).
 */
export const EC2_USER_DATA_MAX_BYTES = 16_384;
/** Assumed length of a variable without a declared `maxLength`, when sizing user data. */
const UNKNOWN_VARIABLE_LENGTH = 256;

/**
 * Bytes of a userData value once JCasC has resolved it on the controller: `^${` becomes `${` and every
 * `${VAR}` the longest value the stack can give it. This is what the EC2 plugin sends to RunInstances.
 */
export function userDataBytes(value: string): number {
  const lengths = new Map(STACK_VARIABLES.map((v) => [v.name, v.maxLength ?? UNKNOWN_VARIABLE_LENGTH]));
  const filled = replaceVariableReferences(value, (name) =>
    'x'.repeat(lengths.get(name) ?? UNKNOWN_VARIABLE_LENGTH),
  );
  return Buffer.byteLength(unescapeJcasc(filled), 'utf8');
}

/**
 * The versioned config bundle the controller runs: `casc/` (YAML with worker scripts rendered in, plus
 * `plugins.txt` and `jenkins-core.txt`) and `jobs/`, with `jobs/worker-labels.tsv` (the labels the casc
 * templates serve, from the Fleet) generated when there is a `jobs/`, and `init.groovy.d/` (the controller's
 * start hooks) when the repository has one. The YAML comes from the loaded Documents; it reads only the other
 * casc files, jobs/, init.groovy.d/ and the worker scripts, and writes nothing.
 */
export function buildBundle(sources: BundleSources): BuiltBundle {
  const { casc } = sources;
  const jobsDir = sources.jobsDir ?? path.join(sources.repoRoot, 'jobs');
  const workerPayload = buildWorkerPayload(sources.repoRoot);
  const tokens: Record<string, string> = workerPayload ? { WORKER_PAYLOAD_SHA256: workerPayload.sha256 } : {};
  const loaded = new Map(casc.documents.map((d) => [path.resolve(d.file), d]));
  const files = new Map<string, string>();
  for (const rel of listFiles(casc.dir)) {
    const yaml = loaded.get(path.resolve(casc.dir, rel));
    // A file the loader skipped (not YAML, or hidden, which JCasC does not read either) goes as it is.
    files.set(
      `casc/${rel}`,
      yaml
        ? renderCascYaml(yaml, sources.repoRoot, `casc/${rel}`, casc.fleet, tokens)
        : fs.readFileSync(path.join(casc.dir, rel), 'utf8'),
    );
  }
  if (fs.existsSync(jobsDir)) {
    for (const rel of listFiles(jobsDir))
      files.set(`jobs/${rel}`, fs.readFileSync(path.join(jobsDir, rel), 'utf8'));
    // The seed's WORKER choices and the pipelines' WORKER check: the labels casc/ serves, one source.
    if (files.has(WORKER_LABELS_FILE)) {
      throw new RenderError(
        `${WORKER_LABELS_FILE}: this file is generated at synth from the labelString of the EC2 templates in casc/; delete it from jobs/ and change the templates instead`,
      );
    }
    files.set(WORKER_LABELS_FILE, renderWorkerLabels(workerLabels(casc.fleet, casc.dir)));
  }
  for (const [rel, text] of initScriptFiles(sources.initDir ?? path.join(sources.repoRoot, INIT_SCRIPTS_DIR)))
    files.set(rel, text);
  return { files, digest: digestOfFiles(files), workerPayload };
}

/** Write a bundle under `parentDir/<digest>/` (content-addressed: an existing one is reused). */
export function writeBundle(bundle: BuiltBundle, parentDir: string): string {
  const dir = path.join(parentDir, bundle.digest);
  if (!fs.existsSync(dir)) {
    const staging = `${dir}.partial-${process.pid}`;
    for (const [rel, content] of bundle.files) {
      fs.mkdirSync(path.dirname(path.join(staging, rel)), { recursive: true });
      fs.writeFileSync(path.join(staging, rel), content);
    }
    fs.renameSync(staging, dir);
  }
  return dir;
}

/**
 * Remove the bundles under `parentDir` other than `keepDigest`: each synth writes one, so without this the
 * cloud assembly keeps every bundle ever synthesized and `casc:diff --offline` readers cannot tell which is
 * current. Only complete bundle directories (named by a sha256) are removed, never a `.partial-<pid>` one
 * another process is writing, nor anything else.
 */
export function pruneBundles(parentDir: string, keepDigest: string): string[] {
  const removed: string[] = [];
  for (const name of fs.readdirSync(parentDir)) {
    if (name === keepDigest || !SHA256_HEX.test(name)) continue;
    fs.rmSync(path.join(parentDir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * One loaded casc file for the bundle: its text when it has no `@render:` marker, else its Document (a
 * copy: the loader's stays as loaded) with every `userData`/`initScript` value `@render:<script>` replaced
 * by the rendered script for the template that holds it, as a YAML block scalar, escaped for JCasC.
 * The template's own tokens (its idle minutes) come from the Fleet template built from that node (matched
 * by its file, line and column, as the loader recorded them), so the YAML is not read again; `tokens` are
 * bundle-wide values (the worker payload digest). A marker outside a Fleet template is an error, and so is
 * a userData that would exceed EC2's limit: here, at synth, not a failed launch.
 */
export function renderCascYaml(
  source: Pick<CascDocument, 'file' | 'text' | 'document'>,
  repoRoot: string,
  fileLabel: string,
  fleet: Pick<Fleet, 'templates'>,
  tokens: Readonly<Record<string, string>> = {},
): string {
  if (!source.text.includes(RENDER_PREFIX)) return source.text;
  const doc: Document = source.document.clone();
  const templateAt = fleetTemplatesByLoc(fleet, source.file);
  visit(doc, {
    Pair(_key, pair, ancestors) {
      if (!isScalar(pair.key) || !RENDERED_KEYS.includes(String(pair.key.value))) return;
      if (!isScalar(pair.value) || typeof pair.value.value !== 'string') return;
      const marker = pair.value.value;
      if (!marker.startsWith(RENDER_PREFIX)) return;
      const key = String(pair.key.value);
      const where = `${fileLabel}: ${key} ${marker}`;
      const holder = ancestors[ancestors.length - 1];
      const template =
        isMap(holder) && holder.range ? templateAt.get(locKey(source.text, holder.range[0])) : undefined;
      if (!template) {
        throw new RenderError(
          `${where}: ${RENDER_PREFIX} is rendered only in an EC2 template's ${RENDERED_KEYS.join(' and ')}`,
        );
      }
      const value = renderTemplateScript(repoRoot, key, marker, String(template.idleMinutes), tokens, where);
      const block = new Scalar(value);
      block.type = Scalar.BLOCK_LITERAL;
      pair.value = block;
    },
  });
  return doc.toString({ lineWidth: 0 });
}

/** The Fleet templates of one file by `line:col` (a template reached through an alias has its anchor's place). */
function fleetTemplatesByLoc(fleet: Pick<Fleet, 'templates'>, file: string): Map<string, FleetTemplate> {
  const resolved = path.resolve(file);
  return new Map(
    fleet.templates
      .filter((t) => path.resolve(t.loc.file) === resolved)
      .map((t) => [`${t.loc.line}:${t.loc.col}`, t]),
  );
}

/** `line:col` (1-based, as the loader's LineCounter gives them) of a character offset in `text`. */
function locKey(text: string, offset: number): string {
  const before = text.slice(0, offset);
  return `${before.split('\n').length}:${offset - before.lastIndexOf('\n')}`;
}

/** The bundle-wide render tokens of a repository: the worker payload's sha256 (none without a payload). */
export function bundleTokens(repoRoot: string): Record<string, string> {
  const payload = buildWorkerPayload(repoRoot);
  return payload ? { WORKER_PAYLOAD_SHA256: payload.sha256 } : {};
}

/**
 * The JCasC value of one template's `userData`/`initScript` marker `@render:<script>`: the script rendered
 * for the template (its idle minutes, the bundle tokens; comments stripped from user data), escaped for
 * JCasC. Throws RenderError naming `where` for a script that cannot be rendered or user data larger than EC2
 * accepts. Shared by the bundle and the casc validator, so both give the same verdict.
 */
export function renderTemplateScript(
  repoRoot: string,
  key: string,
  marker: string,
  idleMinutes: string,
  tokens: Readonly<Record<string, string>>,
  where: string,
): string {
  const shell = renderWorkerScript(
    repoRoot,
    marker.slice(RENDER_PREFIX.length),
    { ...tokens, IDLE_TERMINATION_MINUTES: idleMinutes },
    { stripComments: key === 'userData' },
  );
  const value = toJcascValue(shell.endsWith('\n') ? shell : `${shell}\n`, stackVariableNames(), where);
  const bytes = userDataBytes(value);
  if (key === 'userData' && bytes > EC2_USER_DATA_MAX_BYTES) {
    throw new RenderError(
      `${where}: the rendered user data is ${bytes} bytes once JCasC fills its variables; EC2 RunInstances accepts at most ${EC2_USER_DATA_MAX_BYTES} (keep boot code in ${WORKER_PAYLOAD_SCRIPT}, which workers fetch from S3)`,
    );
  }
  return value;
}

function listFiles(dir: string, prefix = ''): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listFiles(path.join(dir, entry.name), rel));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}
