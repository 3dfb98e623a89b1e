/**
 * What synth needs from casc/: the validator's verdict (synth fails with exactly the messages of
 * `npm run check:casc`) and the facts derived from the YAML for AWS (launch scope, caps, idle time).
 */
import * as path from 'path';
import { UserInputError } from '../errors';
import { ec2Clouds } from './fleet';
import { deriveWorkerLaunchScope, WorkerLaunchScope } from './iam';
import { formatProblem, isError } from '../jcasc/problem';
import { validateCascTree } from './validate';

export class CascValidationError extends UserInputError {}

export interface SynthCasc {
  readonly launchScope: WorkerLaunchScope;
  /** Sum of the EC2 clouds' instance caps: the most GPU workers that can run at once. */
  readonly cloudInstanceCap: number;
  /** The longest `idleTerminationMinutes` of any template. */
  readonly maxIdleMinutes: number;
  /** The validator's one-line summary of the fleet. */
  readonly summary: string;
}

export interface SynthCascOptions {
  /** The deployment setting `hourlyBurnAlarmUsd`, for the fleet's $/hour warning. @default 10 */
  readonly hourlyBurnAlarmUsd?: number;
}

export function loadValidatedCasc(repoRoot: string, options: SynthCascOptions = {}): SynthCasc {
  const cascPath = path.join(repoRoot, 'casc');
  const result = validateCascTree({
    cascPath,
    jobsPath: path.join(repoRoot, 'jobs'),
    repoRoot,
    hourlyBurnAlarmUsd: options.hourlyBurnAlarmUsd,
  });
  const errors = result.problems.filter(isError);
  if (!result.ok || !result.tree) {
    const lines = errors.map((p) => formatProblem(p, repoRoot));
    throw new CascValidationError(
      `casc/ is invalid (${errors.length} problem${errors.length === 1 ? '' : 's'}; npm run check:casc shows the same):\n${lines.join('\n')}`,
    );
  }
  const clouds = ec2Clouds(result.tree);
  const caps = clouds.map((c) => Number(c.text('instanceCapStr')));
  const idle = clouds.flatMap((c) => c.templates.map((t) => Number(t.text('idleTerminationMinutes'))));
  return {
    launchScope: deriveWorkerLaunchScope(result.tree),
    cloudInstanceCap: caps.reduce((a, b) => a + b, 0),
    maxIdleMinutes: Math.max(0, ...idle),
    summary: result.summary,
  };
}
