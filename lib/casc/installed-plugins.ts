/**
 * The one answer to "is this plugin installed on the controller?". Today: every artifactId listed in
 * casc/plugins.txt, plus the plugins those pull in through the dependencies below. The table is not the
 * whole closure (about 70 plugins): it holds only edges that lead to a section owner the casc schema
 * models, each read from the dependent's pom.xml at its pinned release (non-optional, compile scope),
 * so a dependency it does not know is reported as missing, never assumed. When plugins.txt becomes a
 * full closure lock, `installedPlugins` reads the lock and the table goes.
 */
import * as fs from 'fs';

import { lockedPluginIds } from '../plugins/check';
import { parseIntent } from '../plugins/lock-file';

export interface PluginDependency {
  /** The plugin that declares the dependency. */
  readonly from: string;
  /** The plugin it brings in. */
  readonly to: string;
  /** Where the edge was read. */
  readonly source: string;
}

export const PLUGIN_DEPENDENCIES: readonly PluginDependency[] = [
  {
    from: 'workflow-aggregator',
    to: 'workflow-durable-task-step',
    source: 'jenkinsci/workflow-aggregator-plugin pom.xml at 608.v67378e9d3db_1, line 84',
  },
  {
    from: 'workflow-durable-task-step',
    to: 'workflow-api',
    source: 'jenkinsci/workflow-durable-task-step-plugin pom.xml at 1479.v56e587f413a_7, line 97',
  },
  {
    from: 'workflow-durable-task-step',
    to: 'script-security',
    source: 'jenkinsci/workflow-durable-task-step-plugin pom.xml at 1479.v56e587f413a_7, line 152',
  },
  {
    from: 'job-dsl',
    to: 'script-security',
    source:
      'jenkinsci/job-dsl-plugin job-dsl-plugin/pom.xml at aac2bedf, commit 3731 (3732.v9a_c49a_61a_313 is the next one), line 90',
  },
  { from: 'git', to: 'git-client', source: 'jenkinsci/git-plugin pom.xml at git-5.10.1, line 69' },
  { from: 'git', to: 'script-security', source: 'jenkinsci/git-plugin pom.xml at git-5.10.1, line 85' },
];

/**
 * The artifactIds plugins.txt lists, read by the intent's one parser; a line it refuses is reported by the
 * plugin check (lib/plugins/check.ts), not here.
 */
function readPluginsFile(file: string): Set<string> {
  return new Set(parseIntent(fs.readFileSync(file, 'utf8'), file).value.map((entry) => entry.id));
}

/**
 * Every plugin the controller will have: the locked closure (casc/plugins.lock beside the intent, exactly
 * what the boot installs), or without a lock the listed ones and, transitively, what they bring in.
 */
export function installedPlugins(pluginsFile: string): ReadonlySet<string> {
  const locked = lockedPluginIds(pluginsFile);
  if (locked) return locked;
  const installed = readPluginsFile(pluginsFile);
  let grew = true;
  while (grew) {
    grew = false;
    for (const { from, to } of PLUGIN_DEPENDENCIES) {
      if (installed.has(from) && !installed.has(to)) {
        installed.add(to);
        grew = true;
      }
    }
  }
  return installed;
}
