/**
 * `npm test`: Jest runs TypeScript through ts-jest without type checking (tsc --noEmit is its own gate).
 * It needs Node.js and a shell only. Tests that need other tools (shellcheck, groovy, the EC2 plugin's
 * fixtures in ../shared) are named `*.lint.test.ts` and run by `npm run lint:all` (jest.lint.config.js).
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '\\.lint\\.test\\.ts$'],
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  maxWorkers: 2,
  // Script and synth tests spawn processes: on a loaded 2-core machine one can take far longer than jest's
  // 5 s default, so no test may depend on the machine's speed. Generous, not unbounded.
  testTimeout: 120_000,
};
