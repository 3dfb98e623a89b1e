/**
 * `npm run workers -- list | reap --dry-run | stop --all | stop <id>… [--yes] | cost [--days N]`.
 * Only wiring: the logic is in `lib/cost/workers-cli.ts`. The SDK reads region, profile and
 * `AWS_ENDPOINT_URL(_EC2)` from the standard environment and config files; nothing is overridden.
 */
import './quiet-sdk-warning';

import { createInterface } from 'node:readline/promises';

import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EC2Client } from '@aws-sdk/client-ec2';

import { exitWith, processOutput } from '../lib/cli/run-cli';
import { runWorkersCli } from '../lib/cost/workers-cli';

async function confirmOnTerminal(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

exitWith(
  runWorkersCli(process.argv.slice(2), {
    ec2: new EC2Client({}),
    cloudFormation: new CloudFormationClient({}),
    cloudWatch: new CloudWatchClient({}),
    ...processOutput,
    now: () => new Date(),
    confirm: process.stdin.isTTY ? confirmOnTerminal : undefined,
  }),
);
