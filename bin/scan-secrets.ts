/**
 * `npm run scan:secrets [-- DIR]` (default cdk.out): fails when the synthesized assembly holds anything
 * that looks like secret material. Prints file, line and rule, never the matched text.
 * Exit 0 clean, 1 findings, 2 usage error (DIR is not a directory).
 */
import * as fs from 'fs';

import { exitWith, processOutput, runCli, UsageError } from '../lib/cli/run-cli';
import { scanDirectory } from '../lib/security/secret-scan';

const CLI = {
  name: 'scan-secrets',
  usage: `usage: npm run scan:secrets -- [DIR]
  DIR          the cloud assembly to scan (default cdk.out)
  -h, --help   this text`,
  options: {},
  allowPositionals: true,
} as const;

exitWith(
  runCli(CLI, process.argv.slice(2), processOutput, ({ positionals }) => {
    if (positionals.length > 1) throw new UsageError(`expected at most one DIR, got ${positionals.length}`);
    const dir = positionals[0] ?? 'cdk.out';
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
      throw new UsageError(`${dir} is not a directory (run npx cdk synth first)`);
    }
    const findings = scanDirectory(dir);
    for (const f of findings) {
      processOutput.err(`${dir}/${f.file}:${f.line}: looks like secret material (${f.rule})\n`);
    }
    if (findings.length > 0) return 1;
    processOutput.out(`scan-secrets: no secret material in ${dir}\n`);
    return 0;
  }),
);
