/**
 * A mistake in the user's input (settings, casc YAML, worker scripts): the CLI and `cdk synth` print its
 * message alone, without a stack trace, and exit 1.
 */
export class UserInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The one range check of a construct's integer props: throws `<construct>: <prop> must be an integer from
 * <min> to <max> (got <value>)` as a UserInputError (the app prints it as one line), else returns the value.
 */
export function requireIntegerProp(
  construct: string,
  prop: string,
  value: number,
  range: { readonly min: number; readonly max: number },
): number {
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    throw new UserInputError(
      `${construct}: ${prop} must be an integer from ${range.min} to ${range.max} (got ${value})`,
    );
  }
  return value;
}
