/**
 * `npm run check:casc -- [--schema-only] [PATH]`: validates the JCasC tree (default `casc/`) against the
 * EC2 plugin's data model, this project's policy and the repository (jobs/, plugins.txt, the stack's
 * variables and credentials), and the plugin lock beside plugins.txt (closed, consistent, exact: see
 * lib/plugins/check.ts). Prints every problem on its own line, `FILE:LINE: yaml.path: problem`.
 * Exit 0 valid (one summary line), 1 problems, 2 usage error.
 */
import * as fs from 'fs';
import * as path from 'path';

import { formatProblem, isError } from '../lib/casc/problem';
import { defaultPluginsFile, validateCascTree } from '../lib/casc/validate';
import { lockedPluginIds } from '../lib/plugins/check';

const USAGE =
  'usage: npm run check:casc -- [--schema-only] [PATH]   (PATH: a casc file or directory, default casc/)';

interface Args {
  readonly cascPath: string;
  readonly schemaOnly: boolean;
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): Args {
  let schemaOnly = false;
  const paths: string[] = [];
  for (const arg of argv) {
    if (arg === '--schema-only') schemaOnly = true;
    else if (arg === '--help' || arg === '-h') throw new UsageError('');
    else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
    else paths.push(arg);
  }
  if (paths.length > 1) throw new UsageError(`expected at most one PATH, got ${paths.length}`);
  const cascPath = paths[0] ?? 'casc';
  if (!fs.existsSync(cascPath)) throw new UsageError(`no such file or directory: ${cascPath}`);
  return { cascPath, schemaOnly };
}

/** `<casc dir>/plugins.txt`, else the repository's `casc/plugins.txt`. */
function pluginsFileFor(cascPath: string): string {
  const beside = defaultPluginsFile(cascPath);
  return fs.existsSync(beside) ? beside : path.join('casc', 'plugins.txt');
}

function main(argv: readonly string[]): number {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    if (error.message) console.error(`check-casc: ${error.message}`);
    console.error(USAGE);
    return error.message ? 2 : 0;
  }
  const pluginsFile = pluginsFileFor(args.cascPath);
  const result = validateCascTree({
    cascPath: args.cascPath,
    jobsPath: 'jobs',
    pluginsFile,
    schemaOnly: args.schemaOnly,
  });
  const problems = result.problems;
  for (const problem of problems) console.log(formatProblem(problem));
  const errors = problems.filter(isError).length;
  if (errors === 0 && result.ok) {
    const locked = args.schemaOnly ? undefined : lockedPluginIds(pluginsFile)?.size;
    console.log(locked === undefined ? result.summary : `${result.summary}; ${locked} plugins locked`);
    return 0;
  }
  const warnings = problems.length - errors;
  console.error(
    `casc invalid: ${errors} error${errors === 1 ? '' : 's'}${warnings ? `, ${warnings} warning(s)` : ''}`,
  );
  return 1;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  // A bug or an unreadable file: one clear line, no stack trace.
  console.error(`check-casc: internal error: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
