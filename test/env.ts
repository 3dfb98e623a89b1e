/**
 * Sets (a string) or unsets (undefined) each of `values` in process.env, in place, and returns what puts
 * every key back as it was. Test files share a worker process (jest-light-runner), so a test restores the
 * keys it changed; replacing process.env instead would cut it off from the real environment, which
 * os.tmpdir() and child processes read, for every file the worker runs after it (eslint refuses that).
 */
export function setEnv(values: Readonly<Record<string, string | undefined>>): () => void {
  const previous = Object.keys(values).map((key) => [key, process.env[key]] as const);
  const apply = (entries: ReadonlyArray<readonly [string, string | undefined]>) => {
    for (const [key, value] of entries) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  };
  apply(Object.entries(values));
  return () => apply(previous);
}
