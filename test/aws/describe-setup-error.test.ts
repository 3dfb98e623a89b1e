import * as vm from 'vm';

import { describeAwsError, describeSetupError, isAwsServiceError } from '../../lib/aws/describe-setup-error';

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

describe('describeAwsError', () => {
  it("gives the error's name and the first line of its message", () => {
    const denied = Object.assign(new Error('User: arn:aws:iam::1:user/dev is not authorized\n  details'), {
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    expect(describeAwsError(denied)).toBe('AccessDenied: User: arn:aws:iam::1:user/dev is not authorized');
  });

  it('leaves out a name that says nothing', () => {
    expect(describeAwsError(new Error('boom'))).toBe('boom');
    expect(describeAwsError({ message: 'no name' })).toBe('no name');
    expect(describeAwsError('a string')).toBe('a string');
    expect(describeAwsError(undefined)).toBe('undefined');
  });

  it('reads an error of another realm (instanceof Error is false there)', () => {
    const foreign = vm.runInNewContext("Object.assign(new Error('Rate exceeded'), { name: 'Throttling' })");
    expect(foreign instanceof Error).toBe(false);
    expect(describeAwsError(foreign)).toBe('Throttling: Rate exceeded');
    const expired = vm.runInNewContext("Object.assign(new Error('expired'), { name: 'ExpiredToken' })");
    expect(describeSetupError(expired, {})).toBe(
      'your AWS session has expired: log in again (e.g. aws sso login)',
    );
  });
});

describe('isAwsServiceError', () => {
  it('is an error the SDK got from a service (it has $metadata)', () => {
    expect(isAwsServiceError(Object.assign(new Error('x'), { $metadata: {} }))).toBe(true);
    expect(isAwsServiceError(new Error('x'))).toBe(false);
    expect(isAwsServiceError(null)).toBe(false);
    expect(isAwsServiceError('x')).toBe(false);
  });
});
