/**
 * One-line messages for AWS SDK errors, shared by the command-line tools (and the reaper's outcomes):
 * - {@link describeSetupError}: the user's local setup (credentials, profile, region, session), with what to do;
 * - {@link describeAwsError}: any other error as `<name>: <first line of its message>`.
 * A tool adds its own hints on top (credentials: access denied). All read errors by property, not
 * `instanceof Error` (lib/errors.ts).
 */
import { errorMessage, errorName } from '../errors';

/** One line for an error of the user's local AWS setup; `undefined` for anything else. */
export function describeSetupError(error: unknown, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const name = errorName(error) ?? '';
  const message = errorMessage(error);
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    if (env.AWS_PROFILE) {
      return `no AWS credentials for profile '${env.AWS_PROFILE}': ${firstLine(message)} (check the profile name, or run aws sso login --profile ${env.AWS_PROFILE})`;
    }
    return 'no AWS credentials found: set AWS_PROFILE (or run `aws sso login` / `aws configure`) and try again';
  }
  if (/region is missing/i.test(message)) {
    return 'no AWS region configured: set AWS_REGION or a region in your AWS profile';
  }
  if (name === 'ExpiredTokenException' || name === 'ExpiredToken') {
    return 'your AWS session has expired: log in again (e.g. aws sso login)';
  }
  return undefined;
}

/**
 * `<name>: <first line of the message>` (`AccessDenied: User … is not authorized …`), the service's own
 * words; the name is left out when it says nothing (none, or plain `Error`).
 */
export function describeAwsError(error: unknown): string {
  const name = errorName(error);
  const message = firstLine(errorMessage(error));
  return name && name !== 'Error' ? `${name}: ${message}` : message;
}

/** An error an AWS service answered (the SDK sets `$metadata`), as opposed to one of ours. */
export function isAwsServiceError(error: unknown): boolean {
  return (error as { $metadata?: unknown } | null | undefined)?.$metadata !== undefined;
}

export function firstLine(text: string): string {
  return text.split('\n')[0].trim();
}
