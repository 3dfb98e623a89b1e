// Jest globalSetup: test/jest/temp-root.cjs.
module.exports = require('./temp-root.cjs').setup;
