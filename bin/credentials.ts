/**
 * `npm run credentials -- set <id> --file <path> | --stdin` / `npm run credentials -- status`.
 * Wiring only: the logic and its tests are in lib/credentials/credentials-cli.ts.
 */
import './quiet-sdk-warning';

import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { promises as fs } from 'fs';

import { exitWith } from '../lib/cli/run-cli';
import { runCredentialsCli } from '../lib/credentials/credentials-cli';
import { UserInputError } from '../lib/errors';

/** Reads one line from the terminal in raw mode, so the value is never echoed. */
function promptWithoutEcho(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (result: () => void): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      result();
    };
    const onData = (chunk: Buffer): void => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n' || char === '\u0004') {
          finish(() => resolve(value));
          return;
        }
        if (char === '\u0003') {
          finish(() => reject(new UserInputError('cancelled at the prompt: nothing set')));
          return;
        }
        value = char === '\u007f' || char === '\b' ? value.slice(0, -1) : value + char;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}

exitWith(
  runCredentialsCli(
    process.argv.slice(2),
    () => ({ secretsManager: new SecretsManagerClient({}), cloudFormation: new CloudFormationClient({}) }),
    {
      stdin: process.stdin,
      stdout: process.stdout,
      stderr: process.stderr,
      readFile: (path) => fs.readFile(path),
      promptSecret: promptWithoutEcho,
    },
  ),
);
