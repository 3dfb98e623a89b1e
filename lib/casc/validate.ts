/**
 * The casc validator: load (with positions) → plugin data model → this project's casc rules (`rules/`, one
 * per file, worker scripts rendered as the bundle renders them) → cross-references (plugins installed,
 * variables, credentials, labels) → the typed Fleet. Used by `npm run check:casc` and at synth. `schemaOnly`
 * stops after the data model (the plugin's own fixtures are valid for it but not for this project's rules).
 */
import * as fs from 'fs';
import * as path from 'path';

import { PRICE_TABLE } from '../cost/prices';
import { isSyntaxProblem, loadCascTree, type LoadResult } from '../jcasc/load';
import type { CascTree } from '../jcasc/nodes';
import { isError, type Problem, sortProblems } from '../jcasc/problem';
import { checkSchema, type PluginUse } from '../jcasc/schema/check';
import { checkPluginFiles } from '../plugins/check';
import { INTENT_FILE_NAME } from '../plugins/lock-file';
import { checkCascCredentials, checkJobs, checkPlugins, checkVariables } from './crossref';
import { buildFleet, ec2Clouds, type Fleet } from './fleet';
import { checkRules } from './rules';
import { summarise } from './summary';

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
  /** The typed fleet, built once the rules have passed (undefined when invalid or `schemaOnly`). */
  readonly fleet?: Fleet;
}

function cascDir(cascPath: string): string {
  return path.extname(cascPath) ? path.dirname(cascPath) : cascPath;
}

export function defaultPluginsFile(cascPath: string): string {
  return path.join(cascDir(cascPath), INTENT_FILE_NAME);
}

export function validateCascTree(options: ValidateCascOptions): CascValidation {
  return validateLoadedCasc(loadCascTree(options.cascPath), options);
}

/** The verdict on a tree loaded from `options.cascPath` (lib/casc/load-casc.ts loads it once for synth). */
export function validateLoadedCasc(loaded: LoadResult, options: ValidateCascOptions): CascValidation {
  const problems: Problem[] = [...loaded.problems];
  // A file that does not parse is missing from the tree: every later check would report its absence.
  const unparsed = loaded.problems.some(isSyntaxProblem);
  const tree = loaded.tree;
  if (tree && !unparsed) {
    const schema = checkSchema(tree);
    problems.push(...schema.problems);
    if (!options.schemaOnly) problems.push(...projectProblems(tree, schema.pluginUses, options));
  }
  const sorted = sortProblems(problems);
  const errors = sorted.filter(isError).length;
  const warnings = sorted.length - errors;
  const warned = warnings ? `; ${warnings} warning(s)` : '';
  if (errors > 0 || tree === undefined) {
    let summary = `casc invalid: ${errors} error${errors === 1 ? '' : 's'}${warnings ? `, ${warnings} warning(s)` : ''}`;
    if (unparsed) summary += ' (fix the YAML syntax first: the other checks need every file)';
    return { problems: sorted, ok: false, summary, tree };
  }
  if (options.schemaOnly) {
    const summary = `casc schema OK: ${tree.files.length} file(s)${warnings ? `, ${warnings} warning(s)` : ''}`;
    return { problems: sorted, ok: true, summary, tree };
  }
  // The rules have passed: the one place the typed fleet is built.
  const fleet = buildFleet(ec2Clouds(tree));
  const summary = summarise(tree, fleet, PRICE_TABLE, options.hourlyBurnAlarmUsd) + warned;
  return { problems: sorted, ok: true, summary, tree, fleet };
}

/** This project's rules, after the plugins' data model has passed. */
function projectProblems(
  tree: CascTree,
  pluginUses: readonly PluginUse[],
  options: ValidateCascOptions,
): Problem[] {
  const pluginsFile = options.pluginsFile ?? defaultPluginsFile(options.cascPath);
  return [
    ...checkRules(tree, {
      repoRoot: options.repoRoot ?? path.dirname(path.resolve(cascDir(options.cascPath))),
      prices: PRICE_TABLE,
      hourlyBurnAlarmUsd: options.hourlyBurnAlarmUsd,
    }),
    ...checkVariables(tree),
    ...checkCascCredentials(tree),
    ...checkJobs(tree, options.jobsPath),
    ...checkPlugins(tree, pluginUses, pluginsFile),
    // The plugin lock goes into the bundle: an open or inconsistent one would fail the controller's boot.
    ...(fs.existsSync(pluginsFile) ? checkPluginFiles(pluginsFile) : []),
  ];
}
