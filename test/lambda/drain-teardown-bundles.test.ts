import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as fs from 'fs';
import * as path from 'path';

import { LAMBDA_RUNTIME, lambdaCode } from '../../lib/constructs/lambda-defaults';
import { CONTROLLER_BIN_DIR } from '../../lib/contracts';

/** The bundled index.js of `lambda/<name>` as the deploy ships it (esbuild, the AWS SDK left external). */
function bundled(name: string): string {
  const app = new App({ builtinCloudFormationValidation: false });
  new lambda.Function(new Stack(app, 'S'), 'Fn', {
    code: lambdaCode(name),
    handler: 'index.handler',
    runtime: LAMBDA_RUNTIME,
  });
  const out = app.synth().directory;
  const asset = fs.readdirSync(out).find((n) => n.startsWith('asset.'))!;
  return fs.readFileSync(path.join(out, asset, 'index.js'), 'utf8');
}

describe('the drain and teardown Lambdas bundle on their own', () => {
  it.each(['apply-config', 'controller-drain', 'fleet-teardown'])(
    '%s: lambda/shared (the log line, the provider types) is inlined, no relative require is left',
    (name) => {
      const code = bundled(name);
      expect(code).toMatch(/console\.log\(JSON\.stringify\(\{level:/);
      expect(code).not.toMatch(/require\("\.{1,2}\//);
    },
  );

  it('controller-drain: the replacement contract is inlined, the SDK clients stay external', () => {
    const code = bundled('controller-drain');
    // lib/contracts.ts and lib/controller-replacement.ts inlined: the script's directory and its name.
    expect(code).toContain(JSON.stringify(CONTROLLER_BIN_DIR));
    expect(code).toContain('/drain.sh`');
    expect(code).toContain('require("@aws-sdk/client-ssm")');
    expect(code).toContain('require("@aws-sdk/client-auto-scaling")');
    expect(code).not.toContain('aws-cdk-lib');
  });

  it('fleet-teardown: the shared fleet listing is inlined, the SDK clients stay external', () => {
    const code = bundled('fleet-teardown');
    expect(code).toContain('jenkins-gpu:fleet');
    expect(code).toContain('require("@aws-sdk/client-ec2")');
    expect(code).toContain('require("@aws-sdk/client-cloudformation")');
    expect(code).not.toContain('aws-cdk-lib');
  });
});
