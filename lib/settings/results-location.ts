/**
 * The `resultsLocation` setting, read once: the training job offers the URI, and an `s3://` bucket also
 * goes into the workers' role (a `gs://` one needs no AWS permission).
 */
export interface ResultsLocation {
  /** As the user wrote it, e.g. `s3://ml-results/runs`: the job's default RESULTS_DIR is below it. */
  readonly uri: string;
  readonly scheme: 'gs' | 's3';
  readonly bucket: string;
}

/** What the settings' message says a location may be: the pattern below in words. */
export const RESULTS_LOCATION_ALLOWED =
  'a gs:// or s3:// location: a bucket of 3 to 63 lower-case letters, digits and . _ -, then path segments of letters, digits and . _ = + -';

/**
 * gs:// or s3://, a bucket name (3 to 63 lowercase letters, digits, dots, hyphens, underscores), then path
 * segments of the characters the training job accepts in DATA_DIR and RESULTS_DIR (jobs/train.Jenkinsfile
 * `parameterErrors`), which default to this location + /data and /results: a location the job would refuse
 * fails synth instead of every build. test/settings/results-location.test.ts holds the two together.
 */
const LOCATION = /^(gs|s3):\/\/([a-z0-9][a-z0-9._-]{2,62})((?:\/[A-Za-z0-9._=+-]+)*)\/*$/;

/** The location `uri` names, or undefined when it is not a gs:// or s3:// location. */
export function parseResultsLocation(uri: string): ResultsLocation | undefined {
  const m = LOCATION.exec(uri);
  return m ? { uri, scheme: m[1] as ResultsLocation['scheme'], bucket: m[2] } : undefined;
}
