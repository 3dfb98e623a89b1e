/**
 * The one convention of every command-line tool (bin/*.ts, bench/run.ts), in one place:
 * - options are parsed by `node:util` `parseArgs` in strict mode (an unknown option is an error);
 * - `-h`/`--help` prints the usage to stdout and exits 0;
 * - a usage error ({@link UsageError}) prints `<cli>: <problem>` and the usage to stderr and exits 2;
 * - a user mistake ({@link UserInputError}) or a known failure (the tool's `describe`) prints
 *   `<cli>: <problem>` on one line and exits 1;
 * - anything else is a bug of ours: still one line, `<cli>: internal error: <message>`, never a stack trace.
 * `<problem>` starts in lower case unless it starts with a name (a file, an AWS error code).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

import { errorMessage, UserInputError } from '../errors';

/** A command line the tool cannot run: printed with the usage, exit 2. */
export class UsageError extends UserInputError {}

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

export interface CliSpec<O extends OptionsConfig> {
  /** The prefix of every error line: the tool's file name in bin/ (`check-casc`). */
  readonly name: string;
  /** The whole help text, first line `usage: npm run …`. */
  readonly usage: string;
  /** The tool's options; `-h`/`--help` is added. */
  readonly options: O;
  /** @default false - a positional argument is a usage error */
  readonly allowPositionals?: boolean;
}

const HELP = { help: { type: 'boolean', short: 'h' } } as const;

type Config<O extends OptionsConfig> = {
  args: string[];
  options: O & typeof HELP;
  strict: true;
  allowPositionals: true;
};

/** What `parseArgs` returns for the spec: typed values, and the positionals (empty unless allowed). */
export type CommandLine<O extends OptionsConfig> = ReturnType<typeof parseArgs<Config<O>>>;

/**
 * The parsed command line, or `undefined` when it asks for help. Throws {@link UsageError} with Node's
 * own description of what is wrong, on one line, first letter in lower case like every other problem line.
 */
function parseCommandLine<O extends OptionsConfig>(
  spec: CliSpec<O>,
  argv: readonly string[],
): CommandLine<O> | undefined {
  let parsed: CommandLine<O>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...spec.options, ...HELP },
      strict: true,
      allowPositionals: spec.allowPositionals ?? false,
    }) as CommandLine<O>;
  } catch (error) {
    // Node's text, on one line (its "argument is ambiguous" message has three).
    const message = errorMessage(error).replace(/\s*\n\s*/g, ' ');
    throw new UsageError(message.charAt(0).toLowerCase() + message.slice(1));
  }
  return (parsed.values as { help?: boolean }).help ? undefined : parsed;
}

/** Where a tool writes: stdout for results and help, stderr for problems. */
export interface CliOutput {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

export interface RunCliOptions<O extends OptionsConfig> extends CliSpec<O> {
  /** One line for a failure the tool knows (AWS setup, a service's refusal); `undefined` for a bug. */
  readonly describe?: (error: unknown) => string | undefined;
}

/**
 * Parses `argv`, answers `--help`, runs `main` and turns every failure into the convention's line and exit
 * code. Returns the exit code; `main` returns its own (0, or 1 when it printed problems itself).
 */
export async function runCli<O extends OptionsConfig>(
  options: RunCliOptions<O>,
  argv: readonly string[],
  output: CliOutput,
  main: (commandLine: CommandLine<O>) => number | Promise<number>,
): Promise<number> {
  try {
    const commandLine = parseCommandLine(options, argv);
    if (!commandLine) {
      output.out(`${options.usage}\n`);
      return 0;
    }
    return await main(commandLine);
  } catch (error) {
    const { line, code } = describeFailure(options, error);
    output.err(`${options.name}: ${line}\n${code === 2 ? `${options.usage}\n` : ''}`);
    return code;
  }
}

function describeFailure<O extends OptionsConfig>(
  options: RunCliOptions<O>,
  error: unknown,
): { line: string; code: 1 | 2 } {
  if (error instanceof UsageError) return { line: error.message, code: 2 };
  if (error instanceof UserInputError) return { line: error.message, code: 1 };
  let known: string | undefined;
  try {
    known = options.describe?.(error);
  } catch {
    known = undefined;
  }
  if (known !== undefined) return { line: known, code: 1 };
  return { line: `internal error: ${errorMessage(error).split('\n')[0]}`, code: 1 };
}

/** For bin/: the process's own output, and its exit code set from `run` (which never rejects). */
export const processOutput: CliOutput = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

export function exitWith(run: Promise<number>): void {
  void run.then((code) => {
    process.exitCode = code;
  });
}
