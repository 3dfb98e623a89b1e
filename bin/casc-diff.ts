/**
 * `npm run casc:diff -- --offline`: what the next cdk deploy would change in the controller's configuration.
 * Wiring only: the logic and its tests are in lib/casc/casc-diff-cli.ts and lib/casc/casc-diff.ts.
 */
import * as path from 'path';

import { runCascDiff } from '../lib/casc/casc-diff-cli';

try {
  process.exitCode = runCascDiff(process.argv.slice(2), {
    repoRoot: path.resolve(__dirname, '..'),
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  });
} catch (error) {
  // A bug of ours, not a user mistake: still one line.
  console.error(`casc-diff: internal error: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
