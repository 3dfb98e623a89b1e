import * as fs from 'fs';
import * as path from 'path';

import { parseResultsLocation } from '../../lib/settings/results-location';
import { DEFAULT_SETTINGS } from '../../lib/settings/settings';
import { resolveSettings } from '../../lib/settings/validate-settings';

describe('parseResultsLocation', () => {
  it.each([
    ['s3://ml-results/runs', 's3', 'ml-results'],
    ['s3://ml-results', 's3', 'ml-results'],
    ['gs://my-training-bucket/a/b', 'gs', 'my-training-bucket'],
  ])('reads %s', (uri, scheme, bucket) => {
    expect(parseResultsLocation(uri)).toEqual({ uri, scheme, bucket });
  });

  it.each([
    's3://',
    's3://Bucket',
    'gs://b',
    'ftp://x/y',
    'file:///tmp',
    's3://ok-bucket/with space',
    's3://ok-bucket/run@v2',
    's3://ok-bucket//x',
    's3://ab',
  ])('refuses %j', (uri) => {
    expect(parseResultsLocation(uri)).toBeUndefined();
  });

  it('the default is the parsed default URI', () => {
    expect(DEFAULT_SETTINGS.resultsLocation).toEqual(
      parseResultsLocation(DEFAULT_SETTINGS.resultsLocation.uri),
    );
  });

  it('the settings hand the stack the parsed location', () => {
    expect(resolveSettings({ resultsLocation: 's3://ml-results/runs' }).resultsLocation).toEqual({
      uri: 's3://ml-results/runs',
      scheme: 's3',
      bucket: 'ml-results',
    });
  });
});

/**
 * The job's side of the contract: jobs/seed.groovy offers `<location>/data` and `<location>/results` (trailing
 * slashes stripped) as DATA_DIR and RESULTS_DIR, and jobs/train.Jenkinsfile refuses a build whose parameters
 * do not match its `location` pattern (Groovy `==~`: the whole string).
 */
describe('resultsLocation and the training job agree', () => {
  const REPO = path.resolve(__dirname, '../..');
  const jenkinsfile = fs.readFileSync(path.join(REPO, 'jobs/train.Jenkinsfile'), 'utf8');
  const seed = fs.readFileSync(path.join(REPO, 'jobs/seed.groovy'), 'utf8');
  const source = /String location = '([^']+)'/.exec(jenkinsfile)![1];
  const jobAccepts = (dir: string): boolean => new RegExp(`^(?:${source})$`).test(dir);
  const defaultsOf = (uri: string): string[] =>
    ['data', 'results'].map((leaf) => `${uri.replace(/\/+$/, '')}/${leaf}`);

  it('the seed job offers the defaults under the location, trailing slashes stripped', () => {
    expect(seed).toContain(`stringParam('DATA_DIR', "\${resultsLocation}/data"`);
    expect(seed).toContain(`stringParam('RESULTS_DIR', "\${resultsLocation}/results"`);
    expect(seed).toContain(".replaceAll('/+$', '')");
  });

  it.each([
    's3://ml-results',
    's3://ml-results/',
    's3://ml-results/runs//',
    's3://ml-results/team_a/run=3/v1.2+x',
    'gs://my-training-bucket/a-b/c',
  ])('every location the settings accept gives job defaults the job accepts: %s', (uri) => {
    expect(parseResultsLocation(uri)).toBeDefined();
    for (const dir of defaultsOf(uri)) expect([dir, jobAccepts(dir)]).toEqual([dir, true]);
  });

  it.each(['s3://ml-results/run@v2', 's3://ml-results//x', 's3://ml-results/a b', 's3://ml-results/ü'])(
    'a location whose job defaults the job refuses is refused by the settings: %s',
    (uri) => {
      expect(defaultsOf(uri).some(jobAccepts)).toBe(false);
      expect(parseResultsLocation(uri)).toBeUndefined();
    },
  );

  it("the seed's fallback is the settings' default", () => {
    expect(seed).toContain(`setting('RESULTS_LOCATION', '${DEFAULT_SETTINGS.resultsLocation.uri}')`);
  });
});
