/**
 * `npm run scan:secrets [-- DIR]` (default cdk.out): fails when the synthesized assembly holds anything
 * that looks like secret material. Prints file, line and rule, never the matched text.
 */
import * as fs from 'fs';
import { scanDirectory } from '../lib/security/secret-scan';

const dir = process.argv[2] ?? 'cdk.out';
if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
  console.error(`scan-secrets: ${dir} is not a directory (run npx cdk synth first)`);
  process.exit(2);
}
const findings = scanDirectory(dir);
for (const f of findings) console.error(`${dir}/${f.file}:${f.line}: looks like secret material (${f.rule})`);
if (findings.length > 0) process.exit(1);
console.log(`scan-secrets: no secret material in ${dir}`);
