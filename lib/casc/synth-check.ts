/**
 * What synth needs from casc/: the validator's verdict (synth fails with exactly the messages of
 * `npm run check:casc`), the Fleet and the facts the constructs take from it (launch scope, caps, idle
 * time), and the loaded files the bundle renders: casc/ is read once (lib/casc/load-casc.ts).
 */
import * as path from 'path';

import type { LoadedCascSources } from '../bundle/build-bundle';
import { UserInputError } from '../errors';
import { formatProblem, isError } from '../jcasc/problem';
import type { Fleet } from './fleet';
import { deriveWorkerLaunchScope, WorkerLaunchScope } from './iam';
import { loadCasc } from './load-casc';

export class CascValidationError extends UserInputError {}

export interface SynthCasc {
  /** The fleet as validated: every number below is read from it. */
  readonly fleet: Fleet;
  /** casc/ as loaded for this check: the bundle renders these Documents rather than reading casc/ again. */
  readonly sources: LoadedCascSources;
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
  const casc = loadCasc({
    cascPath: path.join(repoRoot, 'casc'),
    jobsPath: path.join(repoRoot, 'jobs'),
    repoRoot,
    hourlyBurnAlarmUsd: options.hourlyBurnAlarmUsd,
  });
  const result = casc.validation;
  const errors = result.problems.filter(isError);
  if (!result.ok || !result.tree || !casc.fleet) {
    const lines = errors.map((p) => formatProblem(p, repoRoot));
    throw new CascValidationError(
      `casc/ is invalid (${errors.length} problem${errors.length === 1 ? '' : 's'}; npm run check:casc shows the same):\n${lines.join('\n')}`,
    );
  }
  const fleet = casc.fleet;
  return {
    fleet,
    sources: { dir: casc.dir, documents: casc.documents, fleet },
    launchScope: deriveWorkerLaunchScope(fleet),
    cloudInstanceCap: fleet.clouds.reduce((sum, cloud) => sum + cloud.cap, 0),
    maxIdleMinutes: Math.max(0, ...fleet.templates.map((t) => t.idleMinutes)),
    summary: result.summary,
  };
}
