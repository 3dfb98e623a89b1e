import * as fs from 'fs';
import * as path from 'path';
import { Document, isMap, isScalar, parseDocument, Scalar, visit } from 'yaml';
import { digestOfFiles } from './file-digest';
import { escapeForJcasc, renderWorkerScript, RenderError } from './render-worker-script';

export interface BundleSources {
  /** Repository root: `@render:` paths and the default dirs are relative to it. */
  readonly repoRoot: string;
  /** JCasC directory (YAML, plugins.txt, jenkins-core.txt). @default `<repoRoot>/casc` */
  readonly cascDir?: string;
  /** Job DSL and Jenkinsfiles. @default `<repoRoot>/jobs` */
  readonly jobsDir?: string;
}

export interface BuiltBundle {
  /** Relative path (`casc/…`, `jobs/…`) → content. */
  readonly files: ReadonlyMap<string, string>;
  readonly digest: string;
}

const RENDER_PREFIX = '@render:';
const RENDERED_KEYS = new Set(['userData', 'initScript']);

/**
 * The versioned config bundle the controller runs: `casc/` (YAML with worker scripts rendered in, plus
 * `plugins.txt` and `jenkins-core.txt`) and `jobs/`. Pure: reads the sources, writes nothing.
 */
export function buildBundle(sources: BundleSources): BuiltBundle {
  const cascDir = sources.cascDir ?? path.join(sources.repoRoot, 'casc');
  const jobsDir = sources.jobsDir ?? path.join(sources.repoRoot, 'jobs');
  const files = new Map<string, string>();
  for (const rel of listFiles(cascDir)) {
    const text = fs.readFileSync(path.join(cascDir, rel), 'utf8');
    files.set(
      `casc/${rel}`,
      /\.ya?ml$/.test(rel) ? renderCascYaml(text, sources.repoRoot, `casc/${rel}`) : text,
    );
  }
  if (fs.existsSync(jobsDir)) {
    for (const rel of listFiles(jobsDir))
      files.set(`jobs/${rel}`, fs.readFileSync(path.join(jobsDir, rel), 'utf8'));
  }
  return { files, digest: digestOfFiles(files) };
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
 * Replace every `userData`/`initScript` value `@render:<script>` with the rendered script for the template
 * that holds it, as a YAML block scalar, escaped for JCasC.
 */
export function renderCascYaml(text: string, repoRoot: string, fileLabel: string): string {
  if (!text.includes(RENDER_PREFIX)) return text;
  const doc: Document = parseDocument(text);
  if (doc.errors.length > 0) throw new RenderError(`${fileLabel}: ${doc.errors[0].message}`);
  visit(doc, {
    Pair(_key, pair, ancestors) {
      if (!isScalar(pair.key) || !RENDERED_KEYS.has(String(pair.key.value))) return;
      if (!isScalar(pair.value) || typeof pair.value.value !== 'string') return;
      const marker = pair.value.value;
      if (!marker.startsWith(RENDER_PREFIX)) return;
      const template = ancestors[ancestors.length - 1];
      const idle = isMap(template) ? template.get('idleTerminationMinutes') : undefined;
      if (idle === undefined || idle === null || !/^\d+$/.test(String(idle))) {
        throw new RenderError(
          `${fileLabel}: ${String(pair.key.value)} ${marker}: the template needs idleTerminationMinutes (a whole number of minutes) to render the worker script`,
        );
      }
      const shell = renderWorkerScript(repoRoot, marker.slice(RENDER_PREFIX.length), {
        IDLE_TERMINATION_MINUTES: String(idle),
      });
      const block = new Scalar(escapeForJcasc(shell.endsWith('\n') ? shell : `${shell}\n`));
      block.type = Scalar.BLOCK_LITERAL;
      pair.value = block;
    },
  });
  return doc.toString({ lineWidth: 0 });
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
