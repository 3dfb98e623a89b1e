/** The one command-line convention (lib/cli/run-cli.ts), on a small tool of its own. */
import { runCli, UsageError } from '../../lib/cli/run-cli';
import { UserInputError } from '../../lib/errors';

const USAGE = 'usage: npm run tool -- [--count N] [--dry-run] FILE…\n  -h, --help   this text';

const TOOL = {
  name: 'tool',
  usage: USAGE,
  options: { count: { type: 'string' }, 'dry-run': { type: 'boolean' } },
  allowPositionals: true,
  describe: (error: unknown) =>
    (error as Error).name === 'Throttling' ? 'AWS is busy: try again' : undefined,
} as const;

async function run(argv: string[], main: Parameters<typeof runCli<typeof TOOL.options>>[3] = () => 0) {
  let out = '';
  let err = '';
  const code = await runCli(TOOL, argv, { out: (t) => (out += t), err: (t) => (err += t) }, main);
  return { code, out, err };
}

describe('runCli', () => {
  it('hands main the typed options and positionals, and returns its exit code', async () => {
    const seen: unknown[] = [];
    const r = await run(['--count', '3', 'a.txt', '--dry-run', 'b.txt'], ({ values, positionals }) => {
      seen.push(values.count, values['dry-run'], positionals);
      return 1;
    });
    expect(seen).toEqual(['3', true, ['a.txt', 'b.txt']]);
    expect(r).toEqual({ code: 1, out: '', err: '' });
  });

  it.each([['-h'], ['--help'], ['a.txt', '--help', '--count', '2']])(
    '%p prints the usage to stdout and exits 0 without running main',
    async (...argv) => {
      const main = jest.fn(() => 0);
      expect(await run(argv, main)).toEqual({ code: 0, out: `${USAGE}\n`, err: '' });
      expect(main).not.toHaveBeenCalled();
    },
  );

  it.each([
    [['--verbose'], "tool: unknown option '--verbose'. To specify a positional argument"],
    [['--count'], "tool: option '--count <value>' argument missing"],
    [['--dry-run=yes'], "tool: option '--dry-run' does not take an argument"],
    // Node's three-line message, on one line.
    [['--count', '-1'], "tool: option '--count' argument is ambiguous. Did you forget to specify the option"],
  ])('%p is a usage error: one problem line, then the usage, on stderr, exit 2', async (argv, line) => {
    const main = jest.fn(() => 0);
    const r = await run(argv, main);
    expect(r.code).toBe(2);
    expect(r.out).toBe('');
    const [problem, ...rest] = r.err.split('\n');
    expect(problem.startsWith(line)).toBe(true);
    expect(rest.join('\n')).toBe(`${USAGE}\n`);
    expect(main).not.toHaveBeenCalled();
  });

  it('refuses positionals unless the tool allows them', async () => {
    let err = '';
    const code = await runCli(
      { ...TOOL, allowPositionals: false },
      ['x'],
      { out: () => {}, err: (t) => (err += t) },
      () => 0,
    );
    expect(code).toBe(2);
    expect(err).toBe(
      `tool: unexpected argument 'x'. This command does not take positional arguments\n${USAGE}\n`,
    );
  });

  it('prints a UsageError from main with the usage, exit 2', async () => {
    const r = await run([], () => {
      throw new UsageError('FILE is required');
    });
    expect(r).toEqual({ code: 2, out: '', err: `tool: FILE is required\n${USAGE}\n` });
  });

  it('prints a user mistake as one line, exit 1', async () => {
    const r = await run(['a.txt'], async () => {
      throw new UserInputError('a.txt: not found');
    });
    expect(r).toEqual({ code: 1, out: '', err: 'tool: a.txt: not found\n' });
  });

  it("prints a failure the tool's describe knows as one line, exit 1", async () => {
    const r = await run([], () => {
      throw Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
    });
    expect(r).toEqual({ code: 1, out: '', err: 'tool: AWS is busy: try again\n' });
  });

  it('prints a bug as one internal-error line, never a stack trace', async () => {
    const r = await run([], () => {
      throw new TypeError("Cannot read properties of undefined (reading 'x')\n    at main (tool.ts:1:1)");
    });
    expect(r).toEqual({
      code: 1,
      out: '',
      err: "tool: internal error: Cannot read properties of undefined (reading 'x')\n",
    });
  });
});
