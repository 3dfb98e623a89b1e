/**
 * Jest `setupFilesAfterEnv`: a time limit for every test and hook. jest-light-runner calls them with none
 * (its worker-runner.js awaits each function as it is; Jest's `testTimeout` and `jest.setTimeout` are not
 * read), so a hung process or server would hang `npm test`. Script and synth tests spawn processes, and on
 * a loaded 2-core machine one can take far longer than Jest's 5 s default: no test may depend on the
 * machine's speed, so the limit is generous, not unbounded. A test or hook may pass its own as the last
 * argument, as with Jest.
 */
import { createRequire } from 'node:module';

const { limited } = createRequire(import.meta.url)('./time-limit.cjs');

/** A `test`/`it` whose every form (plain, .each, .only, .only.each) registers the limited function. */
function withLimit(register) {
  const plain = (name, fn, ms) => register(name, limited(fn, ms), ms);
  const each =
    (registerEach) =>
    (...table) =>
    (name, fn, ms) =>
      registerEach(...table)(name, limited(fn, ms), ms);
  const only = (name, fn, ms) => register.only(name, limited(fn, ms), ms);
  only.each = each(register.only.each);
  return Object.assign(plain, { each: each(register.each), only, skip: register.skip, todo: register.todo });
}

globalThis.test = withLimit(globalThis.test);
globalThis.it = withLimit(globalThis.it);
globalThis.fit = globalThis.it.only;
for (const hook of ['beforeAll', 'afterAll', 'beforeEach', 'afterEach']) {
  const register = globalThis[hook];
  globalThis[hook] = (fn, ms) => register(limited(fn, ms), ms);
}
