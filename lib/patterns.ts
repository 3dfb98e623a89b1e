/**
 * Text patterns more than one module checks input against, defined once. No imports at all, so the Lambda
 * bundles (which must not pull in aws-cdk-lib) can share them with the CLIs and the stack.
 */

/**
 * A whole sha256 digest in lower-case hex, as `sha256sum` and Node's `digest('hex')` write it: a bundle
 * digest, a plugin's or the war's pin. Anchored, so nothing can ride along (a digest reaches a shell command
 * line); no `g` flag, so `.test` keeps no state between calls.
 */
export const SHA256_HEX = /^[0-9a-f]{64}$/;

/** An EC2 AMI id (`ami-` and 8 to 17 hex digits): the workerAmiId setting and CostGuard's currentAmiIds. */
export const AMI_ID = /^ami-[0-9a-f]{8,17}$/;

/**
 * An e-mail address as far as this project checks one (something@domain.tld, no spaces): the alertEmail
 * setting and CostGuard's alertEmail. SNS confirms the address itself.
 */
export const EMAIL_ADDRESS = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/**
 * CloudFormation's rule for a stack name: the stackName setting and the CLIs' --stack (lib/cli/options.ts).
 * Here, not in the settings module, so the CLIs that check it do not load aws-cdk-lib.
 */
export const STACK_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;
