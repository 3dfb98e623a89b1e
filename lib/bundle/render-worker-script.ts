import * as fs from 'fs';
import * as path from 'path';

import { UserInputError } from '../errors';

/** A problem in a worker script or its reference: one line, shown as-is at synth. */
export class RenderError extends UserInputError {}

const INCLUDE = /^#@include-file\s+(\S+)\s+(\S+)\s+([0-7]{3,4})\s*$/;
const TOKEN = /@@([A-Z][A-Z0-9_]*)@@/g;
/** `@@casc:NAME@@`: left alone by the token pass, turned into the JCasC variable `${NAME}` after escaping. */
const CASC_VARIABLE = /@@casc:([A-Z][A-Z0-9_]*)@@/g;
/**
 * Included files are written under `$JENKINS_GPU_WORKER_ROOT` (unset on an instance), so the tests can run
 * the rendered scripts in a sandbox.
 */
const ROOT_PREFIX = '"${JENKINS_GPU_WORKER_ROOT:-}"';

/**
 * Expand a worker script for one EC2-plugin template: `#@include-file <repo path> <dest> <mode>` lines become
 * shell that writes that file verbatim, and `@@NAME@@` tokens take the template's values. The result is
 * the shell that runs on the worker (before JCasC escaping).
 */
export interface RenderOptions {
  /**
   * Drop comment-only and blank lines (shebangs and shellcheck directives stay), here-documents included:
   * for user data, which EC2 limits in size; the comments stay in the repository's files.
   * @default false
   */
  readonly stripComments?: boolean;
}

export function renderWorkerScript(
  repoRoot: string,
  scriptPath: string,
  tokens: Record<string, string>,
  options: RenderOptions = {},
): string {
  const source = readRepoFile(repoRoot, scriptPath, scriptPath);
  const lines = source.split('\n').map((line, index) => {
    const m = INCLUDE.exec(line);
    if (!m) return line;
    const [, includePath, destination, mode] = m;
    return heredoc(readRepoFile(repoRoot, includePath, `${scriptPath}:${index + 1}`), destination, mode);
  });
  const kept = options.stripComments ? lines.join('\n').split('\n').filter(isCode) : lines;
  return kept.join('\n').replace(TOKEN, (_all, name: string) => {
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

/** Not a comment-only or blank line; shebangs and shellcheck directives count as code. */
function isCode(line: string): boolean {
  const trimmed = line.trim();
  return trimmed !== '' && (!trimmed.startsWith('#') || /^#!|^# shellcheck /.test(trimmed));
}

/** JCasC resolves `${...}` anywhere in a YAML value; `^${` is its escape for a literal `${`. */
export function escapeForJcasc(shell: string): string {
  return shell.replace(/\$\{/g, '^${');
}

/**
 * Escape rendered shell for JCasC, then turn each `@@casc:NAME@@` into the JCasC variable `${NAME}`, which
 * JCasC fills on the controller. Only the variables in `allowed` (the stack's) may be used.
 */
export function toJcascValue(shell: string, allowed: ReadonlySet<string>, where: string): string {
  return escapeForJcasc(shell).replace(CASC_VARIABLE, (_all, name: string) => {
    if (!allowed.has(name)) {
      throw new RenderError(
        `${where}: @@casc:${name}@@ is not a stack variable (allowed: ${[...allowed].sort().join(', ')})`,
      );
    }
    return `\${${name}}`;
  });
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
  const target = `${ROOT_PREFIX}'${destination}'`;
  // The directory is known here: no `$(dirname …)` process on the worker for every file.
  return [
    `install -d -m 0755 ${ROOT_PREFIX}'${path.posix.dirname(destination)}'`,
    `cat >${target} <<'${delimiter}'`,
    `${body}${delimiter}`,
    `chmod ${mode} ${target}`,
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
