/**
 * `npm run check:casc -- [--schema-only] [PATH]`: validates the JCasC tree (default `casc/`) against the
 * EC2 plugin's data model, this project's policy and the repository (jobs/, plugins.txt, the stack's
 * variables and credentials). Prints every problem on its own line, `FILE:LINE: yaml.path: problem`.
 * Exit 0 valid (one summary line), 1 problems, 2 usage error.
 */
import * as fs from 'fs';
import * as path from 'path';

import { formatProblem } from '../lib/casc/problem';
import { defaultPluginsFile, validateCascTree } from '../lib/casc/validate';

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
  const result = validateCascTree({
    cascPath: args.cascPath,
    jobsPath: 'jobs',
    pluginsFile: pluginsFileFor(args.cascPath),
    schemaOnly: args.schemaOnly,
  });
  for (const problem of result.problems) console.log(formatProblem(problem));
  (result.ok ? console.log : console.error)(result.summary);
  return result.ok ? 0 : 1;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  // A bug or an unreadable file: one clear line, no stack trace.
  console.error(`check-casc: internal error: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
