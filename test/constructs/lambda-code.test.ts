import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as fs from 'fs';
import * as path from 'path';

import { LAMBDA_RUNTIME, lambdaCode } from '../../lib/constructs/lambda-defaults';

/** Synthesizes one function with the reaper's code and lists the files of each staged asset. */
function stagedReaper(context: Record<string, unknown> = {}): { dir: string; files: string[] }[] {
  const app = new App({ builtinCloudFormationValidation: false, context });
  new lambda.Function(new Stack(app, 'S'), 'Reaper', {
    code: lambdaCode('reaper'),
    handler: 'index.handler',
    runtime: LAMBDA_RUNTIME,
  });
  const out = app.synth().directory;
  return fs
    .readdirSync(out)
    .filter((name) => name.startsWith('asset.'))
    .map((name) => ({ dir: path.join(out, name), files: fs.readdirSync(path.join(out, name)) }));
}

describe('lambdaCode', () => {
  it('bundles a handler with esbuild, the AWS SDK left to the runtime', () => {
    const assets = stagedReaper();
    expect(assets).toHaveLength(1);
    const code = fs.readFileSync(path.join(assets[0].dir, 'index.js'), 'utf8');
    expect(code).toMatch(/handler:\(\)=>/); // the exported handler
    expect(code).toContain('require("@aws-sdk/client-ec2")'); // external, provided by the runtime
    expect(code).toContain('g4dn.xlarge'); // the price table is bundled in
  });

  it('is skipped when the stack is excluded from bundling (unit tests)', () => {
    const assets = stagedReaper({ 'aws:cdk:bundling-stacks': [] });
    expect(assets.flatMap((a) => a.files)).not.toContain('index.js');
  });
});
