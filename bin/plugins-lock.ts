/**
 * `npm run plugins:lock -- --update-center <file|url> [--bom <file|url>]…`: regenerates casc/plugins.lock.
 * Wiring only: the logic and its tests are in lib/plugins/lock-cli.ts.
 */
import * as fs from 'fs';

import { exitWith, processOutput } from '../lib/cli/run-cli';
import { UserInputError } from '../lib/errors';
import { runLockCli } from '../lib/plugins/lock-cli';

/** A file, or an http(s) URL fetched once (update-center files are a few MB). */
async function read(pathOrUrl: string): Promise<string> {
  if (/^https?:\/\//.test(pathOrUrl)) {
    let response: Response;
    try {
      response = await fetch(pathOrUrl);
    } catch (error) {
      throw new UserInputError(`cannot download ${pathOrUrl}: ${(error as Error).message}`);
    }
    if (!response.ok) throw new UserInputError(`cannot download ${pathOrUrl}: HTTP ${response.status}`);
    return response.text();
  }
  if (!fs.existsSync(pathOrUrl)) throw new UserInputError(`no such file: ${pathOrUrl}`);
  return fs.readFileSync(pathOrUrl, 'utf8');
}

exitWith(
  runLockCli(process.argv.slice(2), {
    read,
    exists: (file) => fs.existsSync(file),
    write: (file, text) => fs.writeFileSync(file, text),
    ...processOutput,
  }),
);
