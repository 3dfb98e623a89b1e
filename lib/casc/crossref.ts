/**
 * Checks between the casc tree and the rest of the repository: `${VARS}` the stack provides, labels the
 * pipelines ask for, credential ids in the catalog, plugins in plugins.txt.
 */
import * as fs from 'fs';
import * as path from 'path';

import { credentialIds } from '../credentials/catalog';
import { didYouMean } from '../jcasc/did-you-mean';
import { isServed } from '../jcasc/label-expression';
import { type CascTree, walkScalars } from '../jcasc/nodes';
import { type Problem, problemAt } from '../jcasc/problem';
import type { PluginUse } from '../jcasc/schema/check';
import { variableReferences } from '../jcasc/variables';
import { INTENT_FILE_NAME } from '../plugins/lock-file';
import { allTemplates } from './fleet';
import { installedPlugins } from './installed-plugins';
import { type Declaration, scanJobs } from './jobs-scan';
import { STACK_VARIABLES, stackVariableNames } from './stack-variables';

export function checkVariables(tree: CascTree): Problem[] {
  const allowed = stackVariableNames();
  const allowedList = STACK_VARIABLES.map((v) => v.name).join(', ');
  const problems: Problem[] = [];
  walkScalars(tree.root, '', (scalar, path) => {
    if (typeof scalar.value !== 'string') return;
    for (const reference of variableReferences(scalar.value)) {
      const name = reference.split(':-')[0].trim();
      if (allowed.has(name)) continue;
      const message = name.includes(':')
        ? `\${${reference}} uses a JCasC lookup the stack does not provide (allowed variables: ${allowedList})`
        : `unknown variable \${${name}}${didYouMean(name, allowed)}: the stack provides only ${allowedList}`;
      problems.push(problemAt(scalar.loc, path, message));
    }
  });
  return problems;
}

export function checkCascCredentials(tree: CascTree): Problem[] {
  const catalog = credentialIds();
  const problems: Problem[] = [];
  walkScalars(tree.root, '', (scalar, path, key) => {
    if (key !== 'credentialsId' && key !== 'sshKeysCredentialsId') return;
    if (scalar.value === null || String(scalar.value).trim() === '') return;
    const id = String(scalar.value);
    if (!catalog.includes(id)) problems.push(problemAt(scalar.loc, path, unknownCredential(id, catalog)));
  });
  return problems;
}

/**
 * A parameter choice used as an agent label that no template serves: reported once where the choice is
 * declared (the seed), the file to change, not at each pipeline that uses the parameter.
 */
function unservedChoice(
  expression: string,
  declarations: readonly Declaration[],
  offered: string,
  reported: Set<string>,
): Problem[] {
  const problems: Problem[] = [];
  for (const { parameter, file, line } of declarations) {
    const key = `${file}:${line}:${expression}`;
    if (reported.has(key)) continue;
    reported.add(key);
    problems.push(
      problemAt(
        { file, line, col: 1 },
        `parameter ${parameter}`,
        `choice '${expression}' is used as an agent label, and no EC2 template serves it (templates offer: ${offered}): remove it here and from ${parameter}'s validation in the Jenkinsfiles, or add a template with that label to casc/`,
      ),
    );
  }
  return problems;
}

function unknownCredential(id: string, catalog: string[]): string {
  return `unknown credential id '${id}'${didYouMean(id, catalog)}: the catalog (lib/credentials/catalog.ts) has ${catalog.join(', ')}`;
}

/** Labels and credential ids used by `jobs/`; a missing or empty directory is skipped silently. */
export function checkJobs(tree: CascTree, jobsPath: string | undefined): Problem[] {
  if (!jobsPath || !fs.existsSync(jobsPath)) return [];
  const scan = scanJobs(jobsPath);
  const templates = allTemplates(tree);
  const templateLabels = templates.map((t) => new Set(t.labels));
  const offered = [...new Set(templates.flatMap((t) => t.labels))].sort().join(', ') || 'none';
  const problems: Problem[] = [];
  const reported = new Set<string>();
  for (const use of scan.labels) {
    const loc = { file: use.file, line: use.line, col: 1 };
    if (use.unresolved) {
      problems.push(
        problemAt(loc, `label ${use.source}`, `cannot check a label built from ${use.unresolved}`, 'warning'),
      );
      continue;
    }
    for (const expression of use.expressions) {
      try {
        if (!isServed(expression, templateLabels) && use.declaredAt?.get(expression)?.length) {
          problems.push(...unservedChoice(expression, use.declaredAt.get(expression)!, offered, reported));
        } else if (!isServed(expression, templateLabels)) {
          const from = use.source === `'${expression}'` ? '' : ` (from ${use.source})`;
          problems.push(
            problemAt(
              loc,
              `label ${use.source}`,
              `no EC2 template serves label expression '${expression}'${from} (templates offer: ${offered})`,
            ),
          );
        }
      } catch (error) {
        problems.push(
          problemAt(
            loc,
            `label ${use.source}`,
            `'${expression}' is not a label expression: ${(error as Error).message}`,
          ),
        );
      }
    }
  }
  const catalog = credentialIds();
  for (const use of scan.credentials) {
    if (!catalog.includes(use.id)) {
      problems.push(
        problemAt(
          { file: use.file, line: use.line, col: 1 },
          'credentialsId',
          unknownCredential(use.id, catalog),
        ),
      );
    }
  }
  return problems;
}

/**
 * Every plugin a section needs must be installed: JCasC rejects a section whose plugin is absent and
 * Jenkins does not start (`Invalid configuration elements for type: … : sSHD`, then 503 on every URL).
 */
export function checkPlugins(
  tree: CascTree,
  uses: readonly PluginUse[],
  pluginsFile: string | undefined,
): Problem[] {
  const first = tree.root.entries[0];
  const cascLoc = first?.keyLoc ?? tree.root.loc;
  if (!pluginsFile || !fs.existsSync(pluginsFile)) {
    const needed = [
      'configuration-as-code',
      ...uses.map((u) => u.plugin).filter((p) => p !== 'configuration-as-code'),
    ];
    const loc = { file: pluginsFile ?? `casc/${INTENT_FILE_NAME}`, line: 0, col: 0 };
    return [problemAt(loc, '', `plugins file not found: it must pin ${needed.join(', ')}`)];
  }
  const shown = path.relative(process.cwd(), pluginsFile) || pluginsFile;
  const installed = installedPlugins(pluginsFile);
  const problems: Problem[] = [];
  if (!installed.has('configuration-as-code')) {
    problems.push(
      problemAt(
        cascLoc,
        first?.key ?? '',
        `loading any casc file needs plugin 'configuration-as-code', which is not in ${shown} (add configuration-as-code:<version>)`,
      ),
    );
  }
  for (const use of uses) {
    if (use.plugin === 'configuration-as-code' || installed.has(use.plugin)) continue;
    const section = use.path
      .split('.')
      .pop()!
      .replace(/\[\d+\]$/, '');
    problems.push(
      problemAt(
        use.loc,
        use.path,
        `section '${section}' belongs to plugin '${use.plugin}', which is not installed (not in ${shown} and not brought in by a plugin listed there): ` +
          `JCasC would reject it and Jenkins would not start; add ${use.plugin}:<version> to ${shown} or remove the section`,
      ),
    );
  }
  return problems;
}
