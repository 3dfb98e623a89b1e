/**
 * The checks of the options several tools share, so that `--stack` and `--fleet` mean the same everywhere
 * (casc-diff, credentials, workers): a value that cannot be one is a {@link UsageError} naming the option,
 * the value and what is allowed, raised before any AWS call.
 */
import { TAG_VALUE_PATTERN } from '../contracts';
import { STACK_NAME_PATTERN } from '../patterns';
import { UsageError } from './run-cli';

/** `--stack`: a CloudFormation stack name, the rule of the stackName setting. */
export function stackNameOption(value: string): string {
  return checked(
    '--stack',
    value,
    STACK_NAME_PATTERN,
    'a CloudFormation stack name: letters, digits and hyphens, starting with a letter, at most 128',
  );
}

/** `--fleet`: the fleet's tag value, the rule GpuWorkerFleet and the teardown Lambda apply. */
export function fleetTagOption(value: string): string {
  return checked(
    '--fleet',
    value,
    TAG_VALUE_PATTERN,
    'a tag value: letters, digits and _ . : / = + - @, no spaces, at most 256',
  );
}

function checked(option: string, value: string, pattern: RegExp, allowed: string): string {
  if (!pattern.test(value)) {
    throw new UsageError(`${option}: ${JSON.stringify(value)} is not ${allowed}`);
  }
  return value;
}
