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

  it.each(['s3://', 's3://Bucket', 'gs://b', 'ftp://x/y', 'file:///tmp', 's3://ok-bucket/with space'])(
    'refuses %j',
    (uri) => {
      expect(parseResultsLocation(uri)).toBeUndefined();
    },
  );

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
