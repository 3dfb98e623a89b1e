// setEnv (test/env.ts): what the env-changing tests restore with.
import { setEnv } from './env';

const SET = 'JENKINS_GPU_ENV_TEST_SET';
const UNSET = 'JENKINS_GPU_ENV_TEST_UNSET';

it('sets and unsets keys in place, and its restore puts back values and absences alike', () => {
  const envObject = process.env;
  const outer = setEnv({ [SET]: 'before', [UNSET]: undefined });

  const restore = setEnv({ [SET]: 'during', [UNSET]: 'now set' });
  expect([process.env[SET], process.env[UNSET]]).toEqual(['during', 'now set']);
  restore();
  expect(process.env[SET]).toBe('before');
  expect(UNSET in process.env).toBe(false);

  outer();
  expect(SET in process.env).toBe(false);
  expect(process.env).toBe(envObject);
});
