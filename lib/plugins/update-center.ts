/**
 * Update-center data, in the formats jenkins-infra/update-center2 publishes (read at 10ae424e,
 * `src/main/java/io/jenkins/update_center/Main.java` and `json/*.java`):
 *
 * - `update-center.json`: the signed JSON wrapped as `updateCenter.post(` EOL json EOL `);`
 *   (`Main.updateCenterPostCallJson`); `update-center.actual.json` is the same JSON unwrapped. `plugins`
 *   maps artifactId → the one release the update center offers (`PluginUpdateCenterEntry`).
 * - `plugin-versions.json`: `plugins` maps artifactId → version → entry (`PluginVersionsRoot`,
 *   `PluginVersionsEntry`), every release, so a BOM's version can be found when it is not the newest.
 *
 * An entry's `sha256` is the base64 of the 32-byte digest (`ArtifactoryRepositoryImpl`); `dependencies`
 * are the released manifest's Plugin-Dependencies `[{name, version, optional}]` (`HPI.getDependencies`);
 * `requiredCore` is its Jenkins-Version. Entries are checked when used, so one odd entry among 2,000
 * unrelated plugins does not stop a lock.
 */
import { UserInputError } from '../errors';
import { CORE_VERSION } from './lock-file';

export interface ReleaseDependency {
  readonly id: string;
  readonly minimum: string;
  readonly optional: boolean;
}

export interface PluginRelease {
  readonly id: string;
  readonly version: string;
  readonly sha256: string;
  readonly requiredCore: string;
  readonly dependencies: readonly ReleaseDependency[];
}

export interface UpdateCenterData {
  /** Where the data came from, for the lock's header and messages. */
  readonly label: string;
  /** `generationTimestamp`, when the file has one. */
  readonly generated?: string;
  /** Raw entries: `offered` from update-center.json, `releases` from plugin-versions.json. */
  readonly offered: ReadonlyMap<string, unknown>;
  readonly releases: ReadonlyMap<string, ReadonlyMap<string, unknown>>;
}

const WRAPPER = /^\s*updateCenter\.post\(\s*([\s\S]*?)\s*\);?\s*$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One update-center document (either format, wrapped or not). */
export function parseUpdateCenter(text: string, label: string): UpdateCenterData {
  const json = WRAPPER.exec(text)?.[1] ?? text;
  let root: unknown;
  try {
    root = JSON.parse(json);
  } catch (error) {
    throw new UserInputError(`${label}: not update-center JSON (${(error as Error).message})`);
  }
  if (!isObject(root) || !isObject(root.plugins)) {
    throw new UserInputError(
      `${label}: not update-center JSON: no "plugins" object (expected update-center.json or plugin-versions.json)`,
    );
  }
  const offered = new Map<string, unknown>();
  const releases = new Map<string, Map<string, unknown>>();
  for (const [id, value] of Object.entries(root.plugins)) {
    if (!isObject(value)) continue;
    if (typeof value.version === 'string' && typeof value.name === 'string') offered.set(id, value);
    else releases.set(id, new Map(Object.entries(value)));
  }
  const generated = typeof root.generationTimestamp === 'string' ? root.generationTimestamp : undefined;
  return { label, generated, offered, releases };
}

/** Base64 sha256 (update-center form) → lower-case hex, or undefined when it is not 32 bytes. */
function sha256Hex(base64: string): string | undefined {
  if (!/^[A-Za-z0-9+/]{43}=$/.test(base64)) return undefined;
  const bytes = Buffer.from(base64, 'base64');
  return bytes.length === 32 ? bytes.toString('hex') : undefined;
}

function toRelease(raw: unknown, where: string, id: string, version: string): PluginRelease {
  const fail = (what: string): never => {
    throw new UserInputError(`${where}: plugins.${id} ${version}: ${what}`);
  };
  if (!isObject(raw)) return fail('not an object');
  if (raw.version !== version) fail(`version is ${JSON.stringify(raw.version)}`);
  const sha256 = typeof raw.sha256 === 'string' ? sha256Hex(raw.sha256) : undefined;
  if (!sha256) fail(`sha256 ${JSON.stringify(raw.sha256)} is not the base64 of a 32-byte digest`);
  if (typeof raw.requiredCore !== 'string' || !CORE_VERSION.test(raw.requiredCore)) {
    fail(`requiredCore ${JSON.stringify(raw.requiredCore)} is not a core version`);
  }
  const deps = raw.dependencies ?? [];
  if (!Array.isArray(deps)) return fail('dependencies is not a list');
  const dependencies = deps.map((d, i): ReleaseDependency => {
    if (!isObject(d) || typeof d.name !== 'string' || typeof d.version !== 'string') {
      return fail(`dependencies[${i}] is not {name, version, optional}`);
    }
    // Core's UpdateSite compares `optional` as the string "false"; update-center2 writes a boolean.
    return { id: d.name, minimum: d.version, optional: d.optional === true || d.optional === 'true' };
  });
  return { id, version, sha256: sha256!, requiredCore: raw.requiredCore as string, dependencies };
}

/** Every document given, searched in order: the first that has a release wins. */
export class UpdateCenterIndex {
  constructor(readonly sources: readonly UpdateCenterData[]) {}

  /** The release `id`:`version`, or undefined when no document has it. */
  release(id: string, version: string): PluginRelease | undefined {
    for (const source of this.sources) {
      const offered = source.offered.get(id);
      if (isObject(offered) && offered.version === version)
        return toRelease(offered, source.label, id, version);
      const listed = source.releases.get(id)?.get(version);
      if (listed !== undefined) return toRelease(listed, source.label, id, version);
    }
    return undefined;
  }

  /** The version an update-center.json offers, else the newest listed release (`newest`). */
  offeredVersion(id: string, newest: (versions: string[]) => string | undefined): string | undefined {
    for (const source of this.sources) {
      const offered = source.offered.get(id);
      if (isObject(offered) && typeof offered.version === 'string') return offered.version;
    }
    const listed = this.sources.flatMap((s) => [...(s.releases.get(id)?.keys() ?? [])]);
    return newest(listed);
  }

  /** Every version any document has for `id`, for messages. */
  knownVersions(id: string): string[] {
    const versions = new Set<string>();
    for (const source of this.sources) {
      const offered = source.offered.get(id);
      if (isObject(offered) && typeof offered.version === 'string') versions.add(offered.version);
      for (const v of source.releases.get(id)?.keys() ?? []) versions.add(v);
    }
    return [...versions];
  }

  /** `a.json (generated …), b.json`: for the lock header. */
  describe(): string {
    return this.sources
      .map((s) => (s.generated ? `${s.label} (generated ${s.generated})` : s.label))
      .join(', ');
  }
}
