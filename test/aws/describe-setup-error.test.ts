import { describeSetupError } from '../../lib/aws/describe-setup-error';

const sdkError = (name: string, message: string) => Object.assign(new Error(message), { name });

describe('describeSetupError', () => {
  it('says credentials are missing, naming the profile when one is set', () => {
    const error = sdkError(
      'CredentialsProviderError',
      'Profile nope could not be found or parsed in shared credentials file.',
    );
    expect(describeSetupError(error, {})).toBe(
      'no AWS credentials found: set AWS_PROFILE (or run `aws sso login` / `aws configure`) and try again',
    );
    expect(describeSetupError(error, { AWS_PROFILE: 'nope' })).toBe(
      "no AWS credentials for profile 'nope': Profile nope could not be found or parsed in shared credentials file. (check the profile name, or run aws sso login --profile nope)",
    );
  });

  it('says the region is missing', () => {
    expect(describeSetupError(new Error('Region is missing'), {})).toBe(
      'no AWS region configured: set AWS_REGION or a region in your AWS profile',
    );
  });

  it('says the session expired', () => {
    expect(
      describeSetupError(
        sdkError('ExpiredTokenException', 'The security token included in the request is expired'),
        {},
      ),
    ).toBe('your AWS session has expired: log in again (e.g. aws sso login)');
  });

  it('leaves other errors to the caller', () => {
    expect(
      describeSetupError(sdkError('ValidationError', 'Stack with id X does not exist'), {}),
    ).toBeUndefined();
  });
});
