/**
 * `npm test`: jest-light-runner runs each test file in a plain Node.js worker process: no vm sandbox per
 * file, so aws-cdk-lib, cdk-nag and the CloudFormation rules' engine load once per worker, not once per
 * file (the suite's CPU time was mostly those loads). TypeScript loads through bin/register-ts.cjs, the
 * loader `cdk synth` uses, without type checking (tsc --noEmit is its own gate): test/jest/typescript.mjs.
 * Every test and hook has a time limit: test/jest/timeouts.mjs (the runner reads no `testTimeout`).
 * Temp files of a run live in one directory, removed at its end: test/jest/temp-root.cjs.
 *
 * What a plain process means for a test: module state and spies are shared by the files a worker runs
 * (restore what you change), and only jest.fn, jest.spyOn and the *AllMocks calls exist (no module mocks).
 *
 * It needs Node.js and a shell only. Tests that need other tools (shellcheck, groovy, the EC2 plugin's
 * fixtures in ../shared) are named `*.lint.test.ts` and run by `npm run lint:all` (jest.lint.config.js).
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '\\.lint\\.test\\.ts$'],
  runner: 'jest-light-runner/child-process',
  transform: {},
  setupFiles: ['<rootDir>/test/jest/typescript.mjs'],
  setupFilesAfterEnv: ['<rootDir>/test/jest/timeouts.mjs'],
  globalSetup: '<rootDir>/test/jest/temp-root-setup.cjs',
  globalTeardown: '<rootDir>/test/jest/temp-root-teardown.cjs',
  maxWorkers: 2,
};
