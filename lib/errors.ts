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

/*
 * What a caught value says, read by property and not `instanceof Error`, which fails for errors of another
 * realm (Node's own, under jest) and for the plain objects some libraries throw.
 */

/** The error's name (`AccessDenied`, `TypeError`), or `undefined` when it has none. */
export function errorName(error: unknown): string | undefined {
  const name = (error as { name?: unknown } | null | undefined)?.name;
  return typeof name === 'string' ? name : undefined;
}

/** The error's message, or the thrown value as text when it has none. */
export function errorMessage(error: unknown): string {
  const message = (error as { message?: unknown } | null | undefined)?.message;
  return typeof message === 'string' ? message : String(error);
}
