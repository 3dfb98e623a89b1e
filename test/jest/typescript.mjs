/**
 * Jest `setupFiles` for jest-light-runner, which runs test files in plain Node.js processes (no vm
 * sandbox, no transform): TypeScript loads through bin/register-ts.cjs, the same esbuild type-stripping
 * loader `cdk synth` uses (tsc --noEmit is the type gate), and stack traces point at the .ts lines.
 *
 * The runner loads each test file with import(); ./typescript-hooks.mjs says a .ts file is CommonJS, which
 * hands it to require and so to the .ts loader, so a test file and the lib it imports share one module
 * cache per worker process. That sharing is the point: aws-cdk-lib, cdk-nag and the CloudFormation rules'
 * engine load once per worker instead of once per test file.
 */
import { createRequire, register } from 'node:module';

createRequire(import.meta.url)('../../bin/register-ts.cjs');
register('./typescript-hooks.mjs', import.meta.url);
process.setSourceMapsEnabled(true);
