/**
 * One-line messages for AWS SDK errors caused by the user's local setup (credentials, profile, region,
 * session), shared by the command-line tools. Returns undefined for anything else.
 */
export function describeSetupError(error: unknown, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
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

function firstLine(text: string): string {
  return text.split('\n')[0].trim();
}
