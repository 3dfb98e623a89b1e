import * as fs from 'fs';
import * as path from 'path';

export interface SecretFinding {
  readonly file: string;
  readonly line: number;
  readonly rule: string;
}

interface Rule {
  readonly name: string;
  readonly pattern: RegExp;
}

/**
 * What secret material looks like in a synthesized assembly. The stack never puts a secret value in the
 * template, an asset or user data (Secrets Manager generates them; the worker key is created by a custom
 * resource), so any hit is a defect.
 */
const RULES: readonly Rule[] = [
  { name: 'private key block', pattern: /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/ },
  { name: 'AWS access key id', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { name: 'AWS secret access key assignment', pattern: /aws_secret_access_key\s*[=:]\s*\S{20,}/i },
  { name: 'GitHub token', pattern: /\bgh[pousr]_[A-Za-z0-9]{36,}\b/ },
  { name: 'Google service-account key', pattern: /"private_key_id"\s*:\s*"[0-9a-f]{20,}"/ },
  { name: 'Slack token', pattern: /\bxox[abprs]-[A-Za-z0-9-]{10,}/ },
  // A literal SecretString in a template means a secret value was written into CloudFormation.
  { name: 'literal SecretString', pattern: /"SecretString"\s*:\s*"(?!PLACEHOLDER: |PENDING: )[^"]+"/ },
  { name: 'JCasC reload token on a command line', pattern: /-Dcasc\.reload\.token=\S+/ },
];

const TEXT_LIMIT = 20 * 1024 * 1024;

/** Scan every text file under `dir` (zip assets are scanned by their staged directories). */
export function scanDirectory(dir: string): SecretFinding[] {
  const findings: SecretFinding[] = [];
  for (const file of walk(dir)) {
    const buffer = fs.readFileSync(file);
    if (buffer.length > TEXT_LIMIT || buffer.includes(0)) continue; // binary or huge: not text we emit
    findings.push(...scanText(path.relative(dir, file), buffer.toString('utf8')));
  }
  return findings;
}

export function scanText(file: string, text: string): SecretFinding[] {
  const findings: SecretFinding[] = [];
  text.split('\n').forEach((lineText, index) => {
    for (const rule of RULES) {
      if (rule.pattern.test(lineText)) findings.push({ file, line: index + 1, rule: rule.name });
    }
  });
  return findings;
}

function* walk(dir: string): Generator<string> {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.isFile()) yield full;
  }
}
