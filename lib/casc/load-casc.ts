/**
 * casc/ read once: the loader's Documents (what the bundle renders), the validator's verdict on the tree
 * they make, and the typed Fleet built from it once the rules pass (what synth, IAM and the cost guard
 * read). Nothing after this reads the YAML again.
 */
import * as path from 'path';

import { buildBundle, type BuiltBundle, type LoadedCascSources } from '../bundle/build-bundle';
import { UserInputError } from '../errors';
import { type CascDocument, loadCascTree } from '../jcasc/load';
import { formatProblem } from '../jcasc/problem';
import { buildFleet, ec2Clouds, type Fleet } from './fleet';
import { type CascValidation, type ValidateCascOptions, validateLoadedCasc } from './validate';

export interface LoadedCasc {
  /** The casc directory, absolute. */
  readonly dir: string;
  /** Every YAML file that parsed, with its `yaml` Document. */
  readonly documents: readonly CascDocument[];
  readonly validation: CascValidation;
  /** The fleet, when the validation passed. */
  readonly fleet?: Fleet;
}

/** Loads `options.cascPath` (a directory) once and validates it. */
export function loadCasc(options: ValidateCascOptions): LoadedCasc {
  const loaded = loadCascTree(options.cascPath);
  const validation = validateLoadedCasc(loaded, options);
  return {
    dir: path.resolve(options.cascPath),
    documents: loaded.documents,
    validation,
    fleet: validation.fleet,
  };
}

/**
 * casc/ loaded for a bundle alone, without the project's rules (`casc:diff` bundles what is on disk; tests
 * bundle small trees). A casc the loader refuses is a UserInputError with its first problem.
 */
export function loadCascForBundle(cascDir: string): LoadedCascSources {
  const loaded = loadCascTree(cascDir);
  if (loaded.problems.length > 0 || !loaded.tree) {
    const first = loaded.problems[0];
    throw new UserInputError(
      first
        ? `${formatProblem(first, path.dirname(path.resolve(cascDir)))} (npm run check:casc lists every problem)`
        : `${cascDir}: no casc files`,
    );
  }
  return {
    dir: path.resolve(cascDir),
    documents: loaded.documents,
    fleet: buildFleet(ec2Clouds(loaded.tree)),
  };
}

/** The bundle of a repository's `casc/` and `jobs/`, casc/ loaded once by {@link loadCascForBundle}. */
export function bundleOfRepo(repoRoot: string): BuiltBundle {
  return buildBundle({ repoRoot, casc: loadCascForBundle(path.join(repoRoot, 'casc')) });
}
