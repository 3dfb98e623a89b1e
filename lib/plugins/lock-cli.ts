/**
 * `npm run plugins:lock -- --update-center <file|url> [--bom <file|url>]…`: regenerates casc/plugins.lock
 * from casc/plugins.txt and casc/jenkins-core.txt. The logic is here with reading, writing and output
 * injected; `bin/plugins-lock.ts` only wires the real ones.
 */
import * as path from 'path';

import { type CommandLine, runCli, UsageError } from '../cli/run-cli';
import { UserInputError } from '../errors';
import { formatProblem, type Problem } from '../jcasc/problem';
import { BomIndex, parseBom } from './bom';
import { checkLock, pluginFilesBeside } from './check';
import { INTENT_FILE_NAME, parseCorePin, parseIntent, parseLock } from './lock-file';
import { describeChanges, renderLock } from './render';
import { resolveClosure } from './resolve';
import { parseUpdateCenter, UpdateCenterIndex } from './update-center';

export const USAGE = `usage: npm run plugins:lock -- --update-center <file|url> [--update-center <file|url>]... [--bom <file|url>]... [--casc <dir>] [--dry-run]
  --update-center  plugin-versions.json (every release: https://updates.jenkins.io/plugin-versions.json) and/or
                   update-center.json (the releases offered for a core:
                   https://updates.jenkins.io/update-center.json?version=<core>)
  --bom            a jenkinsci/bom pom.xml, the line nearest the core, e.g.
                   https://raw.githubusercontent.com/jenkinsci/bom/<release>/bom-weekly/pom.xml;
                   an LTS line (bom-2.568.x) imports bom-weekly: give it first, then bom-weekly
  --casc           the directory with plugins.txt and jenkins-core.txt (default casc); writes plugins.lock there
  --dry-run        print what would change, write nothing
  -h, --help       this text`;

export interface LockCliDeps {
  /** A file's or URL's text; throws UserInputError when it cannot be had. */
  readonly read: (pathOrUrl: string) => Promise<string>;
  readonly exists: (file: string) => boolean;
  readonly write: (file: string, text: string) => void;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

interface Options {
  readonly updateCenters: string[];
  readonly boms: string[];
  readonly cascDir: string;
  readonly dryRun: boolean;
}

const CLI = {
  name: 'plugins-lock',
  usage: USAGE,
  options: {
    'update-center': { type: 'string', multiple: true },
    bom: { type: 'string', multiple: true },
    casc: { type: 'string' },
    'dry-run': { type: 'boolean' },
  },
} as const;

function optionsOf({ values }: CommandLine<typeof CLI.options>): Options {
  const updateCenters = values['update-center'] ?? [];
  if (updateCenters.length === 0) throw new UsageError('--update-center is required');
  return {
    updateCenters,
    boms: values.bom ?? [],
    cascDir: values.casc ?? 'casc',
    dryRun: values['dry-run'] === true,
  };
}

/** A URL as given, a file by its name: what the lock header records (no local paths in the repo). */
function sourceLabel(pathOrUrl: string): string {
  return /^https?:\/\//.test(pathOrUrl) ? pathOrUrl : path.basename(pathOrUrl);
}

export function runLockCli(argv: readonly string[], deps: LockCliDeps): Promise<number> {
  return runCli(CLI, argv, deps, (commandLine) => lock(optionsOf(commandLine), deps));
}

function printProblems(problems: readonly Problem[], deps: LockCliDeps): number {
  for (const problem of problems) deps.err(`${formatProblem(problem)}\n`);
  return 1;
}

async function lock(options: Options, deps: LockCliDeps): Promise<number> {
  const files = pluginFilesBeside(path.join(options.cascDir, INTENT_FILE_NAME));
  for (const file of [files.intent, files.core]) {
    if (!deps.exists(file))
      throw new UserInputError(`${file} not found (--casc names the directory that holds it)`);
  }
  const intent = parseIntent(await deps.read(files.intent), files.intent);
  const core = parseCorePin(await deps.read(files.core), files.core);
  if (intent.problems.length || core.problems.length || !core.value)
    return printProblems([...intent.problems, ...core.problems], deps);

  const updateCenter = new UpdateCenterIndex(
    await Promise.all(
      options.updateCenters.map(async (u) => parseUpdateCenter(await deps.read(u), sourceLabel(u))),
    ),
  );
  const bom = options.boms.length
    ? new BomIndex(
        await Promise.all(options.boms.map(async (b) => parseBom(await deps.read(b), b, sourceLabel(b)))),
      )
    : undefined;
  const resolution = resolveClosure({
    intent: intent.value,
    coreVersion: core.value.version,
    updateCenter,
    bom,
  });
  const text = renderLock(resolution.plugins, {
    coreVersion: core.value.version,
    bom: bom?.describe(),
    updateCenter: updateCenter.describe(),
  });

  // The written lock must pass the same check as `npm run check:casc`; anything else is a bug here.
  const rendered = parseLock(text, files.lock);
  const problems = [
    ...rendered.problems,
    ...checkLock({ intent: intent.value, lock: rendered.value, core: core.value }, files),
  ];
  if (problems.length) return printProblems(problems, deps);

  const before = deps.exists(files.lock) ? parseLock(await deps.read(files.lock), files.lock).value : [];
  const changes = describeChanges(before, resolution.plugins);
  for (const line of [...resolution.overrides.map((o) => `note: ${o} (the intent wins)`), ...changes])
    deps.out(`${line}\n`);
  const counts = (['intent', 'bom', 'update-center'] as const)
    .map((s) => [s, resolution.plugins.filter((p) => p.source === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
  const summary = `${files.lock}: ${resolution.plugins.length} plugins (${counts}); ${changes.length ? `${changes.length} changed` : 'unchanged'}`;
  if (options.dryRun) {
    deps.out(`${summary} (dry run: not written)\n`);
    return 0;
  }
  deps.write(files.lock, text);
  deps.out(`${summary}\n`);
  return 0;
}
