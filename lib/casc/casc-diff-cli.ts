/**
 * `npm run casc:diff -- --offline [--cdk-out DIR] [--stack NAME]`: what the next `cdk deploy` would change
 * in the controller's configuration, per cloud, template and setting ("instanceCapStr 4 → 8"), comparing
 * the local casc/ and jobs/ (built into a bundle as synth builds it) with the last synthesized bundle in
 * cdk.out. The logic is here with output injected; bin/casc-diff.ts only wires it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'node:util';

import { buildBundle, writeBundle } from '../bundle/build-bundle';
import { UserInputError } from '../errors';
import { diffBundleFiles, diffCascTrees } from './casc-diff';
import { loadCascTree } from './load';
import type { CascTree } from './nodes';
import { formatProblem } from './problem';

export const USAGE = `usage: npm run casc:diff -- --offline [--cdk-out <dir>] [--stack <name>]
  --offline   compare the local casc/ and jobs/ with the last synthesized bundle in cdk.out (npx cdk synth
              writes it); comparing with the deployed bundle is not implemented yet
  --cdk-out   the cloud assembly directory (default cdk.out)
  --stack     the stack whose bundle to compare with, when cdk.out holds several
Prints one line per change: cloud, template (by description) and setting, old → new.`;

export interface CascDiffDeps {
  /** The repository root: its casc/ and jobs/ are the local side. */
  readonly repoRoot: string;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

class UsageError extends Error {}

interface Options {
  readonly cdkOut: string;
  readonly stack?: string;
}

function parseOptions(argv: readonly string[]): Options | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        offline: { type: 'boolean' },
        'cdk-out': { type: 'string' },
        stack: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  if (!values.offline) {
    throw new UsageError(
      'only --offline is implemented: it compares with the last synthesized bundle in cdk.out (comparing with the deployed one is not)',
    );
  }
  return { cdkOut: values['cdk-out'] ?? 'cdk.out', stack: values.stack };
}

/** The config bundle directory of the last synth: the `Config/Bundle` asset of a stack's asset manifest. */
export function synthesizedBundle(cdkOut: string, stack?: string): string {
  if (!fs.existsSync(cdkOut)) {
    throw new UserInputError(`${cdkOut}: no such directory: run npx cdk synth first (it writes the bundle there)`);
  }
  const found: { stack: string; dir: string }[] = [];
  for (const name of fs.readdirSync(cdkOut).sort()) {
    const m = /^(.+)\.assets\.json$/.exec(name);
    if (!m || (stack !== undefined && m[1] !== stack)) continue;
    const manifest = JSON.parse(fs.readFileSync(path.join(cdkOut, name), 'utf8')) as {
      files?: Record<string, { displayName?: string; source?: { path?: string } }>;
    };
    for (const asset of Object.values(manifest.files ?? {})) {
      if (asset.displayName?.endsWith('Config/Bundle') && asset.source?.path) {
        found.push({ stack: m[1], dir: path.join(cdkOut, asset.source.path) });
      }
    }
  }
  if (found.length === 0) {
    const which = stack === undefined ? '' : ` for stack ${stack}`;
    throw new UserInputError(
      `${cdkOut}: no synthesized config bundle${which} (no Config/Bundle asset in ${cdkOut}/*.assets.json): run npx cdk synth first`,
    );
  }
  if (found.length > 1) {
    throw new UserInputError(
      `${cdkOut} holds the bundles of several stacks (${found.map((f) => f.stack).join(', ')}): choose one with --stack`,
    );
  }
  if (!fs.existsSync(path.join(found[0].dir, 'casc'))) {
    throw new UserInputError(`${found[0].dir}: the synthesized bundle is missing (no casc/): run npx cdk synth again`);
  }
  return found[0].dir;
}

function readTree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) files.set(child, fs.readFileSync(path.join(dir, child), 'utf8'));
    }
  };
  walk('');
  return files;
}

function loadBundleCasc(dir: string, label: string): CascTree {
  const loaded = loadCascTree(path.join(dir, 'casc'));
  if (loaded.problems.length > 0 || !loaded.tree) {
    const first = loaded.problems[0];
    throw new UserInputError(
      `${label}: ${first ? formatProblem(first, dir) : 'no casc files'} (npm run check:casc lists every problem)`,
    );
  }
  return loaded.tree;
}

export function runCascDiff(argv: readonly string[], deps: CascDiffDeps): number {
  let options: Options | 'help';
  try {
    options = parseOptions(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    deps.err(`casc:diff: ${error.message}\n${USAGE}\n`);
    return 2;
  }
  if (options === 'help') {
    deps.out(`${USAGE}\n`);
    return 0;
  }
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'casc-diff-'));
  try {
    const cdkOut = path.resolve(deps.repoRoot, options.cdkOut);
    const synthesized = synthesizedBundle(cdkOut, options.stack);
    const local = writeBundle(buildBundle({ repoRoot: deps.repoRoot }), scratch);
    const lines = [
      ...diffCascTrees(loadBundleCasc(synthesized, 'the synthesized bundle'), loadBundleCasc(local, 'local casc/')),
      ...diffBundleFiles(readTree(synthesized), readTree(local)),
    ];
    const shown = path.relative(deps.repoRoot, synthesized) || synthesized;
    deps.out(`casc:diff: local casc/ and jobs/ against the last synthesized bundle (${shown})\n`);
    deps.out(lines.length ? `${lines.join('\n')}\n` : 'no change: cdk deploy would apply the same configuration\n');
    return 0;
  } catch (error) {
    if (!(error instanceof UserInputError)) throw error; // RenderError is one too
    deps.err(`casc:diff: ${(error as Error).message}\n`);
    return 1;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
