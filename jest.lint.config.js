/** `npm run lint:all` (.ci/lint-all): the tests that need tools beyond Node.js (see jest.config.js). */
const base = require('./jest.config.js');

module.exports = { ...base, testMatch: ['**/*.lint.test.ts'], testPathIgnorePatterns: ['/node_modules/'] };
