import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { scanDirectory, scanText } from '../../lib/security/secret-scan';

// Built at run time so this file itself holds no secret-looking literal.
const PEM = ['-----BEGIN', 'RSA PRIVATE KEY-----'].join(' ');
const ACCESS_KEY = 'AKIA' + 'ABCDEFGHIJKLMNOP';

describe('secret scan', () => {
  it.each([
    [`key: "${PEM}\\nMIIE..."`, 'private key block'],
    [`"AccessKey": "${ACCESS_KEY}"`, 'AWS access key id'],
    ['"SecretString": "hunter2"', 'literal SecretString'],
    ['ExecStart=java -Dcasc.reload.token=abc123 -jar jenkins.war', 'JCasC reload token on a command line'],
    [`token: gh${'p'}_${'a'.repeat(36)}`, 'GitHub token'],
  ])('flags %s', (text, rule) => {
    expect(scanText('t.json', text)).toEqual([{ file: 't.json', line: 1, rule }]);
  });

  it.each([
    '"SecretString": "PLACEHOLDER: set with npm run credentials -- set pypi-pip-conf --file <path>"',
    '"SecretString": "PENDING: filled by the stack (worker key pair custom resource)"',
    '"GenerateSecretString": {"PasswordLength": 32}',
    'echo "${AWS_SECRET_ACCESS_KEY:-}"',
  ])('accepts %s', (text) => {
    expect(scanText('t.json', text)).toEqual([]);
  });

  it('walks a directory, reports file and line, skips binaries', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scan-'));
    fs.mkdirSync(path.join(dir, 'asset.1'));
    fs.writeFileSync(path.join(dir, 'asset.1', 'index.js'), `ok\n${PEM}\n`);
    fs.writeFileSync(path.join(dir, 'blob.bin'), Buffer.concat([Buffer.from([0]), Buffer.from(PEM)]));
    fs.writeFileSync(path.join(dir, 'clean.json'), '{}');
    expect(scanDirectory(dir)).toEqual([
      { file: path.join('asset.1', 'index.js'), line: 2, rule: 'private key block' },
    ]);
  });

  it('finds nothing in a synthesized assembly of this app', () => {
    // The assembly written by the stack tests' synth lives in a temp dir; synth one here to scan.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { synthApp } = require('../stack/app-helpers') as typeof import('../stack/app-helpers');
    const assembly = synthApp().app.synth();
    expect(scanDirectory(assembly.directory)).toEqual([]);
  });
});
