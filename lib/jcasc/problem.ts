import * as path from 'path';

import type { Loc } from './nodes';

/** One finding of the casc validator. `warning`s are printed but do not fail the check. */
export interface Problem {
  readonly file: string;
  readonly line: number;
  /** Only for YAML syntax errors: `FILE:LINE:COL:`. */
  readonly col?: number;
  /** Where in the YAML (`jenkins.clouds[0].amazonEC2.templates[1].mode`) or, for job files, what was found. */
  readonly path: string;
  readonly message: string;
  readonly severity: 'error' | 'warning';
}

export function problemAt(
  loc: Loc,
  path: string,
  message: string,
  severity: Problem['severity'] = 'error',
): Problem {
  return { file: loc.file, line: loc.line, path, message, severity };
}

/** `FILE:LINE: yaml.path: problem`, FILE relative to the current directory. */
export function formatProblem(problem: Problem, cwd: string = process.cwd()): string {
  const file = path.relative(cwd, problem.file) || problem.file;
  const where = problem.path ? `${problem.path}: ` : '';
  const level = problem.severity === 'warning' ? 'warning: ' : '';
  const col = problem.col === undefined ? '' : `:${problem.col}`;
  return `${file}:${problem.line}${col}: ${where}${level}${problem.message}`;
}

export function isError(problem: Problem): boolean {
  return problem.severity === 'error';
}

export function sortProblems(problems: Problem[]): Problem[] {
  return [...problems].sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.path.localeCompare(b.path),
  );
}
