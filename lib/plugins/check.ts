/**
 * The plugin lock is closed and consistent: what `npm run check:casc` and synth hold, and what
 * `npm run plugins:lock` checks before it writes. Every problem is `file:line: message`.
 *
 * - every dependency of every locked plugin is locked, at a version that satisfies it (optional ones too
 *   when locked: Jenkins refuses to load a plugin next to an installed optional dependency that is older
 *   than it asks for);
 * - every plugin's Jenkins-Version is at most the pinned core;
 * - every plugin of the intent is locked at the intent's version, and nothing is locked that no plugin of
 *   the intent needs (the lock is exactly the closure);
 * - lock-step families share one version;
 * - and, by parsing, every line is an exact version and no plugin appears twice.
 */
import * as fs from 'fs';
import * as path from 'path';

import { type Problem, problemAt, sortProblems } from '../jcasc/problem';
import { PLUGIN_FAMILIES } from './families';
import {
  CORE_FILE_NAME,
  type CorePin,
  type IntentEntry,
  LOCK_FILE_NAME,
  type LockEntry,
  parseCorePin,
  parseIntent,
  parseLock,
} from './lock-file';
import { rememberLast } from './remember-last';
import { compareVersions, satisfies } from './version';

const REGENERATE = 'regenerate it: npm run plugins:lock -- --update-center <file|url>';

export interface PluginFiles {
  /** `plugins.txt`: the plugins we chose. */
  readonly intent: string;
  /** `plugins.lock`: the resolved closure. */
  readonly lock: string;
  /** `jenkins-core.txt`: the core version and its war's sha256. */
  readonly core: string;
}

/** The lock and core pin live next to the intent file (`casc/`). */
export function pluginFilesBeside(intentFile: string): PluginFiles {
  const dir = path.dirname(intentFile);
  return { intent: intentFile, lock: path.join(dir, LOCK_FILE_NAME), core: path.join(dir, CORE_FILE_NAME) };
}

function at(file: string, line: number, message: string): Problem {
  return problemAt({ file, line, col: 0 }, '', message);
}

export interface ParsedPluginFiles {
  readonly intent: IntentEntry[];
  readonly lock: readonly LockEntry[];
  readonly core?: CorePin;
  readonly problems: Problem[];
}

/** The three files' texts; undefined for a file that does not exist. */
interface PluginTexts {
  readonly intent?: string;
  readonly lock?: string;
  readonly core?: string;
}

function readPluginTexts(files: PluginFiles): PluginTexts {
  const read = (file: string): string | undefined =>
    fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  return { intent: read(files.intent), lock: read(files.lock), core: read(files.core) };
}

/** Parses the three files; a missing file is one problem. */
function parsePluginFiles(files: PluginFiles, texts: PluginTexts): ParsedPluginFiles {
  const problems: Problem[] = [];
  const missing = (file: string, what: string): void => {
    problems.push(at(file, 0, `not found: ${what}`));
  };
  if (texts.intent === undefined) missing(files.intent, 'the plugins we chose, artifactId:version per line');
  if (texts.lock === undefined) missing(files.lock, `the locked plugin closure; ${REGENERATE}`);
  if (texts.core === undefined) missing(files.core, 'the core version and sha256= of its war');
  const intent = texts.intent === undefined ? undefined : parseIntent(texts.intent, files.intent);
  const lock = texts.lock === undefined ? undefined : parseLock(texts.lock, files.lock);
  const core = texts.core === undefined ? undefined : parseCorePin(texts.core, files.core);
  for (const parsed of [intent, lock, core]) if (parsed) problems.push(...parsed.problems);
  return { intent: intent?.value ?? [], lock: lock?.value ?? [], core: core?.value, problems };
}

/**
 * The problems of the plugin files with these texts: a validation of an unchanged casc/ (synth checks it
 * more than once) does not check the closure again.
 */
const pluginFileProblems = rememberLast(
  (files: PluginFiles, texts: PluginTexts) => JSON.stringify([files, texts]),
  (files: PluginFiles, texts: PluginTexts) => {
    const parsed = parsePluginFiles(files, texts);
    if (texts.lock === undefined || texts.intent === undefined) return { problems: parsed.problems };
    return { problems: sortProblems([...parsed.problems, ...checkLock(parsed, files)]) };
  },
);

/** Everything `npm run check:casc` reports about the plugin files beside `intentFile`, by file and line. */
export function checkPluginFiles(intentFile: string): Problem[] {
  const files = pluginFilesBeside(intentFile);
  return [...pluginFileProblems(files, readPluginTexts(files)).problems];
}

/** Closure, core, intent coverage and families of an already parsed lock. */
export function checkLock(parsed: Omit<ParsedPluginFiles, 'problems'>, files: PluginFiles): Problem[] {
  const locked = new Map(parsed.lock.map((e) => [e.id, e]));
  return [
    ...checkDependencies(parsed.lock, locked, files),
    ...checkCore(parsed.lock, parsed.core, files),
    ...checkIntentLocked(parsed.intent, locked, files),
    ...checkSources(parsed.intent, parsed.lock, files),
    ...checkLeftovers(parsed.intent, parsed.lock, locked, files),
    ...checkFamilies(parsed.lock, files),
  ];
}

function checkDependencies(
  lock: readonly LockEntry[],
  locked: ReadonlyMap<string, LockEntry>,
  files: PluginFiles,
): Problem[] {
  const problems: Problem[] = [];
  for (const entry of lock) {
    for (const dep of entry.dependencies) {
      const target = locked.get(dep.id);
      if (!target) {
        if (!dep.optional) {
          problems.push(
            at(
              files.lock,
              dep.line,
              `${entry.id} requires ${dep.id} >= ${dep.minimum}, which is not locked: the lock is not closed; ${REGENERATE}`,
            ),
          );
        }
        continue;
      }
      if (!satisfies(target.version, dep.minimum)) {
        const kind = dep.optional ? 'optionally uses' : 'requires';
        problems.push(
          at(
            files.lock,
            dep.line,
            `${entry.id} ${kind} ${dep.id} >= ${dep.minimum}, but the lock has ${dep.id}:${target.version} (line ${target.line}): Jenkins would refuse to load ${entry.id}`,
          ),
        );
      }
    }
  }
  return problems;
}

function checkCore(lock: readonly LockEntry[], core: CorePin | undefined, files: PluginFiles): Problem[] {
  const problems: Problem[] = [];
  for (const entry of lock) {
    if (entry.requiredCore === undefined) {
      problems.push(
        at(
          files.lock,
          entry.line,
          `${entry.id} has no 'core <version>' line (the Jenkins-Version it needs); ${REGENERATE}`,
        ),
      );
    } else if (core && compareVersions(entry.requiredCore, core.version) > 0) {
      problems.push(
        at(
          files.lock,
          entry.line,
          `${entry.id}:${entry.version} needs Jenkins ${entry.requiredCore}, newer than the pinned core ${core.version} (${path.basename(files.core)} line ${core.line})`,
        ),
      );
    }
  }
  return problems;
}

/** Every plugin of the intent is locked, at the intent's version. */
function checkIntentLocked(
  intent: readonly IntentEntry[],
  locked: ReadonlyMap<string, LockEntry>,
  files: PluginFiles,
): Problem[] {
  const problems: Problem[] = [];
  const lockName = path.basename(files.lock);
  for (const wanted of intent) {
    const entry = locked.get(wanted.id);
    if (!entry)
      problems.push(
        at(
          files.intent,
          wanted.line,
          `${wanted.id} is not in ${lockName}: the controller would not install it; ${REGENERATE}`,
        ),
      );
    else if (entry.version !== wanted.version) {
      problems.push(
        at(
          files.intent,
          wanted.line,
          `${wanted.id}:${wanted.version} is pinned here, but ${lockName} line ${entry.line} has ${entry.version}; ${REGENERATE}`,
        ),
      );
    }
  }
  return problems;
}

/** A lock entry says source=intent exactly when the intent lists it. */
function checkSources(
  intent: readonly IntentEntry[],
  lock: readonly LockEntry[],
  files: PluginFiles,
): Problem[] {
  const problems: Problem[] = [];
  const chosen = new Set(intent.map((e) => e.id));
  for (const entry of lock) {
    if (entry.source === 'intent' && !chosen.has(entry.id)) {
      problems.push(
        at(
          files.lock,
          entry.line,
          `${entry.id} says source=intent, but ${path.basename(files.intent)} does not list it`,
        ),
      );
    } else if (entry.source !== 'intent' && chosen.has(entry.id)) {
      problems.push(
        at(
          files.lock,
          entry.line,
          `${entry.id} is pinned in ${path.basename(files.intent)}, so its source is intent, not ${entry.source}`,
        ),
      );
    }
  }
  return problems;
}

/** Nothing is locked that no plugin of the intent needs (the lock is exactly the closure). */
function checkLeftovers(
  intent: readonly IntentEntry[],
  lock: readonly LockEntry[],
  locked: ReadonlyMap<string, LockEntry>,
  files: PluginFiles,
): Problem[] {
  const problems: Problem[] = [];
  const needed = closureOf(
    intent.map((e) => e.id),
    locked,
  );
  for (const entry of lock) {
    if (!needed.has(entry.id)) {
      problems.push(
        at(
          files.lock,
          entry.line,
          `${entry.id} is locked, but no plugin of ${path.basename(files.intent)} needs it (a leftover); ${REGENERATE}`,
        ),
      );
    }
  }
  return problems;
}

/** The ids reachable from `roots` through required (non-optional) dependencies. */
function closureOf(roots: readonly string[], locked: ReadonlyMap<string, LockEntry>): Set<string> {
  const seen = new Set<string>();
  const queue = [...roots];
  while (queue.length > 0) {
    const id = queue.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const dep of locked.get(id)?.dependencies ?? []) if (!dep.optional) queue.push(dep.id);
  }
  return seen;
}

function checkFamilies(lock: readonly LockEntry[], files: PluginFiles): Problem[] {
  const problems: Problem[] = [];
  for (const family of PLUGIN_FAMILIES) {
    const members = lock.filter((e) => family.isMember(e.id));
    if (new Set(members.map((m) => m.version)).size <= 1) continue;
    const listed = members.map((m) => `${m.id}:${m.version} (line ${m.line})`).join(', ');
    problems.push(
      at(
        files.lock,
        members[0].line,
        `the ${family.name} plugins are released together and must share one version (jenkinsci/bom property ${family.bomProperty}): ${listed}`,
      ),
    );
  }
  return problems;
}

/**
 * The plugins the controller will have: the lock's artifactIds when a lock sits next to `intentFile`,
 * else undefined (the caller falls back to the intent alone).
 */
export function lockedPluginIds(intentFile: string): ReadonlySet<string> | undefined {
  const lockFile = pluginFilesBeside(intentFile).lock;
  if (!fs.existsSync(lockFile)) return undefined;
  return new Set(parseLock(fs.readFileSync(lockFile, 'utf8'), lockFile).value.map((e) => e.id));
}
