import { walkScalars } from '../../jcasc/nodes';
import type { Problem } from '../../jcasc/problem';
import { WHOLE_VARIABLE } from '../../jcasc/variables';
import { type CascRule, finding } from './rule';

const id = 'no-literal-secrets';
const SECRET_KEY = /(password|passwd|secret|token|passphrase|api[-_]?key|private[-_]?key)/i;
const NOT_A_SECRET_KEY = /(Id|Ids|Enabled|Name|Prefix)$/;
const PEM_BLOCK = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
const AWS_ACCESS_KEY_ID = /\b(AKIA|ASIA)[0-9A-Z]{16}\b/;

function secretMessage(text: string, key: string | undefined): string | undefined {
  if (PEM_BLOCK.test(text)) return 'contains a PEM private key block: keep keys in Secrets Manager';
  if (AWS_ACCESS_KEY_ID.test(text))
    return 'contains an AWS access key id: use the instance profile, never keys in the YAML';
  if (key && SECRET_KEY.test(key) && !NOT_A_SECRET_KEY.test(key) && !WHOLE_VARIABLE.test(text.trim()))
    return `'${key}' looks like a literal secret: use a \${VAR} the stack provides`;
  return undefined;
}

/** Secrets reach Jenkins only through `${VAR}`s the stack provides, never as YAML text in git. */
export const noLiteralSecrets: CascRule = {
  id,
  summary:
    'refuses a PEM private key, an AWS access key id, or a literal value under a secret-like key anywhere in the YAML',
  check: ({ tree }) => {
    const problems: Problem[] = [];
    walkScalars(tree.root, '', (scalar, path, key) => {
      if (typeof scalar.value !== 'string' || scalar.value === '') return;
      const message = secretMessage(scalar.value, key);
      if (message) problems.push(finding(id, scalar.loc, path, message));
    });
    return problems;
  },
};
