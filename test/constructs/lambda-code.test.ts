import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LAMBDA_RUNTIME, lambdaCode } from '../../lib/constructs/lambda-defaults';

describe('lambdaCode', () => {
  it('bundles a handler with esbuild, the AWS SDK left to the runtime', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    new lambda.Function(stack, 'Reaper', {
      code: lambdaCode('reaper'),
      handler: 'index.handler',
      runtime: LAMBDA_RUNTIME,
    });
    const assembly = app.synth();
    const assets = fs.readdirSync(assembly.directory).filter((name) => name.startsWith('asset.'));
    expect(assets).toHaveLength(1);
    const code = fs.readFileSync(path.join(assembly.directory, assets[0], 'index.js'), 'utf8');
    expect(code).toMatch(/handler:\(\)=>/); // the exported handler
    expect(code).toContain('require("@aws-sdk/client-ec2")'); // external, provided by the runtime
    expect(code).toContain('g4dn.xlarge'); // the price table is bundled in
  });

  it('is skipped when the stack is excluded from bundling (unit tests)', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'S');
    new lambda.Function(stack, 'Reaper', {
      code: lambdaCode('reaper'),
      handler: 'index.handler',
      runtime: LAMBDA_RUNTIME,
    });
    const assembly = app.synth();
    const assets = fs.readdirSync(assembly.directory).filter((name) => name.startsWith('asset.'));
    expect(assets.flatMap((a) => fs.readdirSync(path.join(assembly.directory, a)))).not.toContain('index.js');
  });
});
