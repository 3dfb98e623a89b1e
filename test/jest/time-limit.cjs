/**
 * The time limit test/jest/timeouts.mjs puts on every test and hook (CommonJS, so that a .ts test can
 * require it too: test/jest/time-limit.test.ts).
 */
const DEFAULT_TIMEOUT_MS = 120_000;

/** `fn` failing with a clear error once `ms` have passed (no test here takes a `done` callback). */
function limited(fn, ms = DEFAULT_TIMEOUT_MS) {
  if (typeof fn !== 'function') return fn;
  return function (...args) {
    let timer;
    const expired = new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`Exceeded the time limit of ${ms} ms (test/jest/timeouts.mjs)`)),
        ms,
      );
    });
    return Promise.race([Promise.resolve().then(() => fn.apply(this, args)), expired]).finally(() =>
      clearTimeout(timer),
    );
  };
}

module.exports = { DEFAULT_TIMEOUT_MS, limited };
