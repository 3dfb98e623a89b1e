/**
 * The closure of the intent: every plugin Jenkins will load, each at one version from one consistent
 * source, never at a dependent's minimum. For each plugin, in this order:
 *
 * 1. the intent's version (`casc/plugins.txt`: the plugins we chose) — source `intent`;
 * 2. the version the BOM manages (the jenkinsci/bom line nearest the core: tested together) — `bom`;
 * 3. the version the update center offers for the core (update-center.json), or with plugin-versions.json
 *    alone the newest release whose Jenkins-Version the core meets — `update-center`.
 *
 * Required dependencies are followed transitively; optional ones are not installed (Jenkins does not
 * install them) but must be satisfied when something else brings them in. Detached plugins add only
 * optional implied dependencies, and only for plugins built for cores up to 2.356 (core
 * `split-plugins.txt`, `DetachedPluginsUtil.getImpliedDependencies`), so they add nothing to resolve.
 * Any conflict stops the resolution with every reason at once; nothing is written.
 */
import { UserInputError } from '../errors';
import type { BomIndex } from './bom';
import { familyOf, PLUGIN_FAMILIES } from './families';
import type { IntentEntry, VersionSource } from './lock-file';
import type { PluginRelease, UpdateCenterIndex } from './update-center';
import { compareVersions, satisfies } from './version';

export interface ResolvedPlugin extends PluginRelease {
  readonly source: VersionSource;
}

export interface ResolveInput {
  readonly intent: readonly IntentEntry[];
  readonly coreVersion: string;
  readonly updateCenter: UpdateCenterIndex;
  readonly bom?: BomIndex;
}

export interface Resolution {
  /** Sorted by artifactId. */
  readonly plugins: readonly ResolvedPlugin[];
  /** Intent pins that differ from the BOM: kept (the intent wins), reported. */
  readonly overrides: readonly string[];
}

function newestCompatible(
  index: UpdateCenterIndex,
  id: string,
  core: string,
): (versions: string[]) => string | undefined {
  return (versions) =>
    versions
      .filter((v) => {
        const release = index.release(id, v);
        return release !== undefined && compareVersions(release.requiredCore, core) <= 0;
      })
      .sort(compareVersions)
      .pop();
}

interface Choice {
  readonly version: string;
  readonly source: VersionSource;
}

function choose(id: string, input: ResolveInput): Choice | undefined {
  const bomVersion = input.bom?.version(id);
  if (bomVersion !== undefined) return { version: bomVersion, source: 'bom' };
  const offered = input.updateCenter.offeredVersion(
    id,
    newestCompatible(input.updateCenter, id, input.coreVersion),
  );
  return offered === undefined ? undefined : { version: offered, source: 'update-center' };
}

function notFound(id: string, choice: Choice, requiredBy: string, index: UpdateCenterIndex): string {
  const known = index.knownVersions(id);
  const has = known.length
    ? `it has ${known.slice(0, 5).join(', ')}${known.length > 5 ? ', …' : ''}`
    : 'it has no release of it';
  const hint =
    choice.source === 'update-center'
      ? ''
      : '; pass plugin-versions.json (every release) as another --update-center';
  return `${id}:${choice.version} (${choice.source}, needed by ${requiredBy}) is not in the update-center data (${has})${hint}`;
}

export function resolveClosure(input: ResolveInput): Resolution {
  const problems: string[] = [];
  const overrides: string[] = [];
  const resolved = new Map<string, ResolvedPlugin>();
  const queue: Array<{ id: string; choice: Choice | undefined; by: string }> = input.intent.map((e) => ({
    id: e.id,
    choice: { version: e.version, source: 'intent' as const },
    by: 'casc/plugins.txt',
  }));
  for (const e of input.intent) {
    const bomVersion = input.bom?.version(e.id);
    if (bomVersion !== undefined && bomVersion !== e.version)
      overrides.push(`${e.id}: casc/plugins.txt pins ${e.version}, the BOM has ${bomVersion}`);
  }
  const visited = new Set<string>();
  while (queue.length > 0) {
    const { id, choice, by } = queue.shift()!;
    if (visited.has(id)) continue;
    visited.add(id);
    const picked = choice ?? choose(id, input);
    if (!picked) {
      problems.push(`${id} (needed by ${by}) is in no BOM and no update-center data given`);
      continue;
    }
    const release = input.updateCenter.release(id, picked.version);
    if (!release) {
      problems.push(notFound(id, picked, by, input.updateCenter));
      continue;
    }
    resolved.set(id, { ...release, source: picked.source });
    for (const dep of release.dependencies) {
      if (!dep.optional && !visited.has(dep.id)) queue.push({ id: dep.id, choice: undefined, by: id });
    }
  }
  problems.push(...conflicts(resolved, input.coreVersion));
  if (problems.length > 0) {
    throw new UserInputError(
      `the plugin closure cannot be locked:\n${problems.map((p) => `  ${p}`).join('\n')}`,
    );
  }
  const plugins = [...resolved.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { plugins, overrides };
}

/** Minimums not met, cores too old, families split: what Jenkins or the families rule would refuse. */
function conflicts(resolved: ReadonlyMap<string, ResolvedPlugin>, core: string): string[] {
  const problems: string[] = [];
  for (const plugin of resolved.values()) {
    if (compareVersions(plugin.requiredCore, core) > 0) {
      problems.push(
        `${plugin.id}:${plugin.version} (${plugin.source}) needs Jenkins ${plugin.requiredCore}, newer than the pinned core ${core}`,
      );
    }
    for (const dep of plugin.dependencies) {
      const target = resolved.get(dep.id);
      if (target && !satisfies(target.version, dep.minimum)) {
        problems.push(
          `${plugin.id}:${plugin.version} ${dep.optional ? 'optionally uses' : 'requires'} ${dep.id} >= ${dep.minimum}, but ${dep.id} resolves to ${target.version} (${target.source}): pin ${dep.id} in casc/plugins.txt at a version >= ${dep.minimum}, or use a newer BOM`,
        );
      }
    }
  }
  for (const family of PLUGIN_FAMILIES) {
    const members = [...resolved.values()]
      .filter((p) => familyOf(p.id) === family)
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    if (new Set(members.map((m) => m.version)).size > 1) {
      const listed = members.map((m) => `${m.id}:${m.version} (${m.source})`).join(', ');
      problems.push(
        `the ${family.name} plugins must share one version (jenkinsci/bom property ${family.bomProperty}): ${listed}`,
      );
    }
  }
  return problems;
}
