/**
 * `npm run casc:diff -- [--offline] [--stack NAME] [--cdk-out DIR]`: what a deploy would change on the
 * running controller. Only wiring: the logic is in `lib/casc/casc-diff-cli.ts`. The SDK reads region,
 * profile and endpoints from the standard environment and config files; nothing is overridden.
 */
import './quiet-sdk-warning';

import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import * as path from 'path';

import { runCascDiffCli } from '../lib/casc/casc-diff-cli';
import { exitWith, processOutput } from '../lib/cli/run-cli';

exitWith(
  runCascDiffCli(process.argv.slice(2), {
    repoRoot: path.resolve(__dirname, '..'),
    ssm: new SSMClient({}),
    s3: new S3Client({}),
    ...processOutput,
  }),
);
