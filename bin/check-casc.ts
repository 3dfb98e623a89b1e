/**
 * `npm run check:casc -- [--schema-only] [PATH]`: validates the JCasC tree (default `casc/`) against the
 * EC2 plugin's data model, this project's policy and the repository (jobs/, plugins.txt, the stack's
 * variables and credentials), and the plugin lock beside plugins.txt (closed, consistent, exact: see
 * lib/plugins/check.ts). Prints every problem on its own line, `FILE:LINE: yaml.path: problem`.
 * Exit 0 valid (one summary line), 1 problems, 2 usage error.
 */
import * as fs from 'fs';

import { defaultPluginsFile, validateCascTree } from '../lib/casc/validate';
import { type CommandLine, exitWith, processOutput, runCli, UsageError } from '../lib/cli/run-cli';
import { formatProblem, isError } from '../lib/jcasc/problem';
import { lockedPluginIds } from '../lib/plugins/check';

const USAGE = `usage: npm run check:casc -- [--schema-only] [PATH]
  PATH            a casc file or directory (default casc/)
  --schema-only   the schema only: no policy, no cross-references, no plugin lock
  -h, --help      this text`;

const CLI = {
  name: 'check-casc',
  usage: USAGE,
  options: { 'schema-only': { type: 'boolean' } },
  allowPositionals: true,
} as const;

/** `<casc dir>/plugins.txt`, else the repository's `casc/plugins.txt`. */
function pluginsFileFor(cascPath: string): string {
  const beside = defaultPluginsFile(cascPath);
  return fs.existsSync(beside) ? beside : defaultPluginsFile('casc');
}

function check({ values, positionals }: CommandLine<typeof CLI.options>): number {
  if (positionals.length > 1) throw new UsageError(`expected at most one PATH, got ${positionals.length}`);
  const cascPath = positionals[0] ?? 'casc';
  if (!fs.existsSync(cascPath)) throw new UsageError(`no such file or directory: ${cascPath}`);
  const args = { cascPath, schemaOnly: values['schema-only'] ?? false };
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

exitWith(runCli(CLI, process.argv.slice(2), processOutput, check));
