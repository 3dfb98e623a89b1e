/**
 * `compute` that remembers its last result. One validation of casc/ reads the plugin lock twice (the
 * closure check and the installed set), and a process that validates an unchanged casc/ again (synth, the
 * tests) would check the same closure again: a key that has not changed since the last call gets the last
 * result. Only for pure functions of their arguments; the result is shared, so it is frozen one level deep
 * (a caller that tried to change it throws instead of corrupting the next call).
 */
export function rememberLast<A extends readonly unknown[], R extends object>(
  keyOf: (...args: A) => string,
  compute: (...args: A) => R,
): (...args: A) => R {
  let last: { key: string; result: R } | undefined;
  return (...args: A): R => {
    const key = keyOf(...args);
    if (last?.key !== key) last = { key, result: freezeShallow(compute(...args)) };
    return last.result;
  };
}

function freezeShallow<R extends object>(result: R): R {
  for (const value of Object.values(result))
    if (value !== null && typeof value === 'object') Object.freeze(value);
  return Object.freeze(result);
}
