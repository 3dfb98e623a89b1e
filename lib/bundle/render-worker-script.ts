import * as fs from 'fs';
import * as path from 'path';
import { UserInputError } from '../errors';

/** A problem in a worker script or its reference: one line, shown as-is at synth. */
export class RenderError extends UserInputError {}

const INCLUDE = /^#@include-file\s+(\S+)\s+(\S+)\s+([0-7]{3,4})\s*$/;
const TOKEN = /@@([A-Z_]+)@@/g;

/**
 * Expand a worker script for one EC2-plugin template: `#@include-file <repo path> <dest> <mode>` lines become
 * shell that writes that file verbatim, and `@@NAME@@` tokens take the template's values. The result is
 * the shell that runs on the worker (before JCasC escaping).
 */
export function renderWorkerScript(
  repoRoot: string,
  scriptPath: string,
  tokens: Record<string, string>,
): string {
  const source = readRepoFile(repoRoot, scriptPath, scriptPath);
  const lines = source.split('\n').map((line, index) => {
    const m = INCLUDE.exec(line);
    if (!m) return line;
    const [, includePath, destination, mode] = m;
    return heredoc(readRepoFile(repoRoot, includePath, `${scriptPath}:${index + 1}`), destination, mode);
  });
  return lines.join('\n').replace(TOKEN, (_all, name: string) => {
    const value = tokens[name];
    if (value === undefined) {
      throw new RenderError(
        `${scriptPath}: unknown token @@${name}@@ (allowed: ${Object.keys(tokens)
          .map((t) => `@@${t}@@`)
          .join(', ')})`,
      );
    }
    return value;
  });
}

/** JCasC resolves `${...}` anywhere in a YAML value; `^${` is its escape for a literal `${`. */
export function escapeForJcasc(shell: string): string {
  return shell.replace(/\$\{/g, '^${');
}

/** The inverse of escapeForJcasc: what JCasC hands to the EC2 plugin. */
export function unescapeJcasc(value: string): string {
  return value.replace(/\^\$\{/g, '${');
}

function heredoc(content: string, destination: string, mode: string): string {
  const delimiter = 'JENKINS_GPU_INCLUDED_FILE';
  if (content.split('\n').includes(delimiter)) {
    throw new RenderError(`${destination}: included file contains the line ${delimiter}`);
  }
  const body = content.endsWith('\n') ? content : `${content}\n`;
  return [
    `install -d -m 0755 "$(dirname '${destination}')"`,
    `cat > '${destination}' <<'${delimiter}'`,
    `${body}${delimiter}`,
    `chmod ${mode} '${destination}'`,
  ].join('\n');
}

function readRepoFile(repoRoot: string, relativePath: string, where: string): string {
  const resolved = path.resolve(repoRoot, relativePath);
  if (!resolved.startsWith(path.resolve(repoRoot) + path.sep)) {
    throw new RenderError(`${where}: ${relativePath} is outside the repository`);
  }
  if (!fs.existsSync(resolved)) {
    throw new RenderError(`${where}: ${relativePath} does not exist`);
  }
  return fs.readFileSync(resolved, 'utf8');
}
