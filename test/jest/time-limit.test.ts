// The time limit every test and hook runs under (jest-light-runner enforces none of its own).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { DEFAULT_TIMEOUT_MS, limited } = require('./time-limit.cjs') as {
  DEFAULT_TIMEOUT_MS: number;
  limited: <T>(fn: (...args: unknown[]) => T | Promise<T>, ms?: number) => (...args: unknown[]) => Promise<T>;
};

describe('limited', () => {
  it('gives what the function gives, sync or async, with its arguments', async () => {
    await expect(limited((a, b) => `${a}${b}`)('x', 'y')).resolves.toBe('xy');
    await expect(limited(async () => 42)()).resolves.toBe(42);
  });

  it('fails as the function fails', async () => {
    await expect(
      limited(() => {
        throw new Error('boom');
      })(),
    ).rejects.toThrow('boom');
    await expect(limited(() => Promise.reject(new Error('late boom')))()).rejects.toThrow('late boom');
  });

  it('fails a function that never settles once its limit has passed, naming the limit', async () => {
    const never = () => new Promise<never>(() => undefined);
    await expect(limited(never, 20)()).rejects.toThrow(
      'Exceeded the time limit of 20 ms (test/jest/timeouts.mjs)',
    );
  });

  it('is generous by default: two minutes', () => {
    expect(DEFAULT_TIMEOUT_MS).toBe(120_000);
  });
});
