/**
 * lib/patterns.ts: the one spelling of a pattern several modules check input against. It must import
 * nothing, so the Lambdas can share it without pulling in aws-cdk-lib, and each pattern keeps the exact
 * meaning its users had (anchored, lower-case only).
 */
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as fs from 'fs';
import * as path from 'path';

import { LAMBDA_RUNTIME, lambdaCode } from '../../lib/constructs/lambda-defaults';
import { AMI_ID, EMAIL_ADDRESS, SHA256_HEX } from '../../lib/patterns';

const REPO = path.resolve(__dirname, '../..');
const HEX = 'a'.repeat(32) + '0123456789abcdef'.repeat(2);

describe('lib/patterns.ts', () => {
  it('imports nothing, so a Lambda bundle that uses it pulls in no aws-cdk-lib', () => {
    const text = fs.readFileSync(path.join(REPO, 'lib/patterns.ts'), 'utf8');
    expect(text).not.toMatch(/^\s*(import|export .* from)\b|require\(/m);
  });

  it('SHA256_HEX: a whole lower-case 64-digit hex string and nothing else', () => {
    expect(SHA256_HEX.test(HEX)).toBe(true);
    // Twice: no g flag, so a test keeps no lastIndex between calls.
    expect(SHA256_HEX.test(HEX)).toBe(true);
    for (const bad of [HEX.toUpperCase(), HEX.slice(1), `${HEX}0`, `${HEX}\n`, ` ${HEX}`, `${HEX};x`, ''])
      expect([bad, SHA256_HEX.test(bad)]).toEqual([bad, false]);
  });

  it('AMI_ID: ami- and 8 to 17 lower-case hex digits', () => {
    for (const good of ['ami-0123abcd', 'ami-0123456789abcdef0'])
      expect([good, AMI_ID.test(good)]).toEqual([good, true]);
    for (const bad of [
      'ami-0123abc',
      'ami-0123456789ABCDEF0',
      'ami-0123456789abcdef01',
      ' ami-0123abcd',
      'i-0123abcd',
    ])
      expect([bad, AMI_ID.test(bad)]).toEqual([bad, false]);
  });

  it('EMAIL_ADDRESS: something@domain.tld without spaces', () => {
    for (const good of ['ml-team@example.com', 'a.b+alerts@sub.example.org'])
      expect([good, EMAIL_ADDRESS.test(good)]).toEqual([good, true]);
    for (const bad of ['nobody', 'a@b', 'a b@example.com', '@example.com', 'a@@example.com'])
      expect([bad, EMAIL_ADDRESS.test(bad)]).toEqual([bad, false]);
  });

  it('the apply-config Lambda bundles it inline, without aws-cdk-lib', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    new lambda.Function(new Stack(app, 'S'), 'Fn', {
      code: lambdaCode('apply-config'),
      handler: 'index.onEvent',
      runtime: LAMBDA_RUNTIME,
    });
    const out = app.synth().directory;
    const asset = fs.readdirSync(out).find((n) => n.startsWith('asset.'))!;
    const code = fs.readFileSync(path.join(out, asset, 'index.js'), 'utf8');
    expect(code).toContain('/^[0-9a-f]{64}$/');
    expect(code).not.toContain('aws-cdk-lib');
  });
});
