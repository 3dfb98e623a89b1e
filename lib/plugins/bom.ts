/**
 * A jenkinsci/bom module's `pom.xml` (e.g. `bom-weekly/pom.xml` at a release tag): the plugin versions the
 * BOM's CI tests together. What is read, as Maven reads a BOM: `<properties>`, then each
 * `<dependencyManagement>` dependency's artifactId and version with `${property}` resolved; entries with a
 * `<classifier>` (test jars) are skipped; `<scope>import</scope>` entries (the LTS lines import
 * `bom-weekly`) are noted so the caller can ask for the imported BOM too. A BOM's own entries win over
 * imported ones, so BOMs are searched in the order given. Plain text matching is enough for these
 * machine-written files; a file that does not look like one is refused.
 */
import { UserInputError } from '../errors';

export interface BomData {
  /** `jenkinsci/bom bom-weekly 6916.v15ec97679743`, for the lock's header. */
  readonly label: string;
  readonly artifactId: string;
  /** artifactId → version (properties resolved); unresolved `${…}` kept for the error message. */
  readonly versions: ReadonlyMap<string, string>;
  /** artifactIds of imported BOMs. */
  readonly imports: readonly string[];
}

/** A jenkinsci/bom release: `<commit count>.v<12 hex>`. */
const BOM_RELEASE = /\b(\d+\.v[0-9a-f]{12})\b/;

function tag(block: string, name: string): string | undefined {
  return new RegExp(`<${name}>\\s*([^<]*?)\\s*</${name}>`).exec(block)?.[1];
}

function blocks(text: string, name: string): string[] {
  return [...text.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g'))].map((m) => m[1]);
}

/** `source`: the path or URL (a release tag in it names the release); `display`: how to name it. */
export function parseBom(text: string, source: string, display: string = source): BomData {
  const xml = text.replace(/<!--[\s\S]*?-->/g, '');
  const management = blocks(xml, 'dependencyManagement')[0];
  if (!/<project[\s>]/.test(xml) || management === undefined) {
    throw new UserInputError(`${display}: not a BOM pom.xml (no <project> with <dependencyManagement>)`);
  }
  const head = xml.slice(0, xml.indexOf('<dependencyManagement>')).replace(/<parent>[\s\S]*?<\/parent>/, '');
  const artifactId = tag(head, 'artifactId') ?? 'bom';
  const properties = new Map<string, string>();
  for (const block of blocks(head, 'properties')) {
    for (const m of block.matchAll(/<([A-Za-z0-9._-]+)>\s*([^<]*?)\s*<\/\1>/g)) properties.set(m[1], m[2]);
  }
  const resolve = (value: string): string =>
    value.replace(/\$\{([^}]+)\}/g, (all, name: string) => properties.get(name) ?? all);
  const versions = new Map<string, string>();
  const imports: string[] = [];
  for (const dep of blocks(management, 'dependency')) {
    const id = tag(dep, 'artifactId');
    const version = tag(dep, 'version');
    if (!id || version === undefined || tag(dep, 'classifier') !== undefined) continue;
    if (tag(dep, 'scope') === 'import') {
      imports.push(id);
      continue;
    }
    if (!versions.has(id)) versions.set(id, resolve(version));
  }
  const ownVersion = tag(head, 'version');
  const release = ownVersion && !ownVersion.includes('${') ? ownVersion : BOM_RELEASE.exec(source)?.[1];
  const label = `jenkinsci/bom ${artifactId} ${release ?? `(release unknown: ${display})`}`;
  return { label, artifactId, versions, imports };
}

/** The BOMs in order; the first that manages a plugin gives its version. */
export class BomIndex {
  constructor(readonly boms: readonly BomData[]) {
    const given = new Set(boms.map((b) => b.artifactId));
    for (const bom of boms) {
      const missing = bom.imports.filter((i) => !given.has(i));
      if (missing.length > 0) {
        throw new UserInputError(
          `${bom.label} imports ${missing.join(', ')}: pass that pom.xml too, with another --bom after this one (its own versions win, as in Maven)`,
        );
      }
    }
  }

  /** The managed version of `id`, or undefined when no BOM manages it. */
  version(id: string): string | undefined {
    for (const bom of this.boms) {
      const version = bom.versions.get(id);
      if (version === undefined) continue;
      if (version.includes('${')) {
        throw new UserInputError(
          `${bom.label}: the version of ${id} is ${version}, a property the file does not define`,
        );
      }
      return version;
    }
    return undefined;
  }

  describe(): string {
    return this.boms.map((b) => b.label).join(' over ');
  }
}
