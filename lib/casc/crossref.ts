/**
 * Checks between the casc tree and the rest of the repository: `${VARS}` the stack provides, labels the
 * pipelines ask for, credential ids in the catalog, plugins in plugins.txt.
 */
import * as fs from 'fs';
import * as path from 'path';

import { credentialIds } from '../credentials/catalog';
import { lockedPluginIds } from '../plugins/check';
import { didYouMean } from './did-you-mean';
import { allTemplates } from './fleet';
import { scanJobs } from './jobs-scan';
import { isServed } from './label-expression';
import { walkScalars, type CascTree } from './nodes';
import { problemAt, type Problem } from './problem';
import type { PluginUse } from './schema/check';
import { stackVariableNames, STACK_VARIABLES } from './stack-variables';

/** `${NAME}` or `${NAME:-default}`, not the escaped `^${…}`. */
const VARIABLE = /(?<!\^)\$\{([^}]*)\}/g;

export function checkVariables(tree: CascTree): Problem[] {
  const allowed = stackVariableNames();
  const allowedList = STACK_VARIABLES.map((v) => v.name).join(', ');
  const problems: Problem[] = [];
  walkScalars(tree.root, '', (scalar, path) => {
    if (typeof scalar.value !== 'string') return;
    for (const m of scalar.value.matchAll(VARIABLE)) {
      const name = m[1].split(':-')[0].trim();
      if (allowed.has(name)) continue;
      const message = name.includes(':')
        ? `\${${m[1]}} uses a JCasC lookup the stack does not provide (allowed variables: ${allowedList})`
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
  for (const use of scan.labels) {
    const loc = { file: use.file, line: use.line, col: 1 };
    if (use.unresolved) {
      problems.push(problemAt(loc, `label ${use.source}`, `cannot check a label built from ${use.unresolved}`, 'warning'));
      continue;
    }
    for (const expression of use.expressions) {
      try {
        if (!isServed(expression, templateLabels)) {
          const from = use.source === `'${expression}'` ? '' : ` (from ${use.source})`;
          problems.push(
            problemAt(loc, `label ${use.source}`, `no EC2 template serves label expression '${expression}'${from} (templates offer: ${offered})`),
          );
        }
      } catch (error) {
        problems.push(problemAt(loc, `label ${use.source}`, `'${expression}' is not a label expression: ${(error as Error).message}`));
      }
    }
  }
  const catalog = credentialIds();
  for (const use of scan.credentials) {
    if (!catalog.includes(use.id)) {
      problems.push(problemAt({ file: use.file, line: use.line, col: 1 }, 'credentialsId', unknownCredential(use.id, catalog)));
    }
  }
  return problems;
}

/** `artifactId:version` lines, `#` comments; returns the artifactIds. */
export function readPluginsFile(file: string): Set<string> {
  const ids = new Set<string>();
  for (const raw of fs.readFileSync(file, 'utf8').split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (line) ids.add(line.split(':')[0].trim());
  }
  return ids;
}

export function checkPlugins(tree: CascTree, uses: readonly PluginUse[], pluginsFile: string | undefined): Problem[] {
  const first = tree.root.entries[0];
  const required: PluginUse[] = [
    // Loading any casc at all needs the configuration-as-code plugin itself.
    { plugin: 'configuration-as-code', loc: first?.keyLoc ?? tree.root.loc, path: first?.key ?? '' },
    ...uses.filter((u) => u.plugin !== 'configuration-as-code'),
  ];
  if (!pluginsFile || !fs.existsSync(pluginsFile)) {
    const loc = { file: pluginsFile ?? 'casc/plugins.txt', line: 0, col: 0 };
    return [problemAt(loc, '', `plugins file not found: it must pin ${required.map((u) => u.plugin).join(', ')}`)];
  }
  // Installed = the locked closure when casc/plugins.lock exists beside the intent (what the controller installs).
  const pinned = lockedPluginIds(pluginsFile) ?? readPluginsFile(pluginsFile);
  return required
    .filter((use) => !pinned.has(use.plugin))
    .map((use) => problemAt(use.loc, use.path, `needs plugin '${use.plugin}', which is not in ${path.relative(process.cwd(), pluginsFile)} (add ${use.plugin}:<version>)`));
}
