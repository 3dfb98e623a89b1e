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
