import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** `groovy` needs JAVA_HOME when /usr/lib/jvm/default-java is absent: derive it from `java` on PATH. */
export function groovyEnv(): NodeJS.ProcessEnv {
  if (process.env.JAVA_HOME || fs.existsSync('/usr/lib/jvm/default-java')) return process.env;
  const java = fs.realpathSync(execFileSync('sh', ['-c', 'command -v java'], { encoding: 'utf8' }).trim());
  return { ...process.env, JAVA_HOME: path.dirname(path.dirname(java)) };
}
