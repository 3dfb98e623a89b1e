/**
 * bin/app.ts as `cdk synth` runs it: the CLI passes cdk.json's context in CDK_CONTEXT_JSON and the output
 * directory in CDK_OUTDIR (aws-cdk-lib cx-api), and shows what the app prints on stderr.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const REPO = path.resolve(__dirname, '../..');
const CONTEXT = JSON.parse(fs.readFileSync(path.join(REPO, 'cdk.json'), 'utf8')).context;

function synth(extraContext: Record<string, unknown> = {}) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'app-entry-'));
  const r = spawnSync(process.execPath, ['-r', './bin/register-ts.cjs', 'bin/app.ts'], {
    cwd: REPO,
    encoding: 'utf8',
    env: {
      ...process.env,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({ ...CONTEXT, 'aws:cdk:bundling-stacks': [], ...extraContext }),
    },
  });
  fs.rmSync(outdir, { recursive: true, force: true });
  return r;
}

describe('bin/app.ts', () => {
  it('prints one summary line after a synth that passed casc, cdk-nag and the CloudFormation rules', () => {
    const r = synth();
    expect(r.status).toBe(0);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /^synth OK: cdk-nag AwsSolutions and the CloudFormation rules passed; casc OK: 1 cloud \(gpu-workers-\$\{STACK_NAME\}: at most 4 running = min\(cloud cap 4, templates 2 \+ 2\)\); 2 templates \(.*\); \$\d+\.\d\d\/hour with every worker running \(us-east-1 on-demand; burn alarm at \$10\/hour\); vCPU quota needed: /,
      ),
    ]);
  });

  it('prints a setting mistake as one line and exits 1, without a stack trace', () => {
    const r = synth({ 'jenkinsGpu.controlerInstanceType': 't3.large' });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: setting jenkinsGpu\.controlerInstanceType: unknown setting/);
  });
});
