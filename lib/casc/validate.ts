/**
 * The casc validator: load (with positions) → plugin data model → project policy (including everything
 * synth needs, worker scripts rendered as the bundle renders them) → cross-references (plugins installed,
 * variables, credentials, labels). Used by `npm run check:casc` and at synth. `schemaOnly` stops after the data model (the plugin's own
 * fixtures are valid for it but not for this project's policy).
 */
import * as fs from 'fs';
import * as path from 'path';

import { checkPluginFiles } from '../plugins/check';

import { checkCascCredentials, checkJobs, checkPlugins, checkVariables } from './crossref';
import { isSyntaxProblem, loadCascTree } from '../jcasc/load';
import type { CascTree } from '../jcasc/nodes';
import { isError, sortProblems, type Problem } from '../jcasc/problem';
import { checkSchema } from '../jcasc/schema/check';
import { summarise } from './summary';
import { loadPrices } from './ec2-data';
import { checkRules } from './rules';

export interface ValidateCascOptions {
  /** A casc file or directory. */
  readonly cascPath: string;
  /** Pipelines and Job DSL scripts; skipped when absent. */
  readonly jobsPath?: string;
  /** `artifactId:version` lines; default `<casc dir>/plugins.txt`. */
  readonly pluginsFile?: string;
  /** Where `@render:` script paths start, as in the bundle; default the directory above the casc dir. */
  readonly repoRoot?: string;
  readonly schemaOnly?: boolean;
  /** The deployment setting the fleet's worst-case $/hour is compared with. @default 10 */
  readonly hourlyBurnAlarmUsd?: number;
}

export interface CascValidation {
  /** Errors and warnings, sorted by file and line. */
  readonly problems: Problem[];
  /** True when there is no error (warnings allowed). */
  readonly ok: boolean;
  readonly summary: string;
  readonly tree?: CascTree;
}

function cascDir(cascPath: string): string {
  return path.extname(cascPath) ? path.dirname(cascPath) : cascPath;
}

export function defaultPluginsFile(cascPath: string): string {
  return path.join(cascDir(cascPath), 'plugins.txt');
}

export function validateCascTree(options: ValidateCascOptions): CascValidation {
  const pluginsFile = options.pluginsFile ?? defaultPluginsFile(options.cascPath);
  const loaded = loadCascTree(options.cascPath);
  const problems: Problem[] = [...loaded.problems];
  // A file that does not parse is missing from the tree: every later check would report its absence.
  const unparsed = loaded.problems.some(isSyntaxProblem);
  const tree = loaded.tree;
  if (tree && !unparsed) {
    const schema = checkSchema(tree);
    problems.push(...schema.problems);
    if (!options.schemaOnly) {
      problems.push(
        ...checkRules(tree, {
          repoRoot: options.repoRoot ?? path.dirname(path.resolve(cascDir(options.cascPath))),
          prices: loadPrices(),
          hourlyBurnAlarmUsd: options.hourlyBurnAlarmUsd,
        }),
        ...checkVariables(tree),
        ...checkCascCredentials(tree),
        ...checkJobs(tree, options.jobsPath),
        ...checkPlugins(tree, schema.pluginUses, pluginsFile),
        // The plugin lock goes into the bundle: an open or inconsistent one would fail the controller's boot.
        ...(fs.existsSync(pluginsFile) ? checkPluginFiles(pluginsFile) : []),
      );
    }
  }
  const sorted = sortProblems(problems);
  const errors = sorted.filter(isError).length;
  const warnings = sorted.length - errors;
  const ok = errors === 0 && tree !== undefined;
  let summary: string;
  if (!ok) {
    summary = `casc invalid: ${errors} error${errors === 1 ? '' : 's'}${warnings ? `, ${warnings} warning(s)` : ''}`;
    if (unparsed) summary += ' (fix the YAML syntax first: the other checks need every file)';
  } else if (options.schemaOnly)
    summary = `casc schema OK: ${tree.files.length} file(s)${warnings ? `, ${warnings} warning(s)` : ''}`;
  else
    summary =
      summarise(tree, loadPrices(), options.hourlyBurnAlarmUsd) +
      (warnings ? `; ${warnings} warning(s)` : '');
  return { problems: sorted, ok, summary, tree };
}
