import * as fs from 'fs';
import * as path from 'path';

import { RenderError } from './render-worker-script';

/**
 * Where the bundle carries the controller's Groovy init hooks. Jenkins runs them once at start because
 * jenkins-start.sh points `jenkins.util.groovy.GroovyHookScript.ROOT_PATH` at the active release, the bundle's
 * root (GroovyHookScript.java 46, 65, 113-122 at jenkinsci/jenkins ff9430ee).
 */
export const INIT_SCRIPTS_DIR = 'init.groovy.d';

/**
 * A name Groovy can make a class of: GroovyHookScript compiles each file as a script class named after it,
 * and a closure inside a script named `a-b.groovy` fails at run time ("Illegal class name").
 */
const SCRIPT_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*\.groovy$/;

/**
 * The hooks of `initDir` as bundle files (`init.groovy.d/<name>` → content), in name order, the order Jenkins
 * runs them in. Anything Jenkins would silently skip or fail on is refused: GroovyHookScript runs only
 * `*.groovy` files directly in the directory (GroovyHookScript.java 113-122).
 */
export function initScriptFiles(initDir: string): Map<string, string> {
  const files = new Map<string, string>();
  if (!fs.existsSync(initDir)) return files;
  const entries = fs.readdirSync(initDir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    const where = `${INIT_SCRIPTS_DIR}/${entry.name}`;
    if (!entry.isFile() || !SCRIPT_NAME.test(entry.name)) {
      throw new RenderError(
        `${where}: Jenkins runs only files named like a Groovy class (letters, digits, _ or $, ending in .groovy) directly in ${INIT_SCRIPTS_DIR}/; rename it or move it out`,
      );
    }
    files.set(where, fs.readFileSync(path.join(initDir, entry.name), 'utf8'));
  }
  return files;
}
