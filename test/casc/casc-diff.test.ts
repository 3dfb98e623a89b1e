import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildBundle, writeBundle } from '../../lib/bundle/build-bundle';
import { runCascDiff, USAGE } from '../../lib/casc/casc-diff-cli';
import { REPO, repoWith, SHIPPED_EC2_YAML, withoutSpotTemplate, withPytorchTemplate } from '../bundle/casc-variants';

/**
 * `npm run casc:diff -- --offline`: the local casc/ and jobs/ against the bundle of the last synth, found as
 * cdk.out/<stack>.assets.json's `Config/Bundle` asset (what `new s3assets.Asset(this, 'Bundle', …)` in
 * lib/constructs/controller-config.ts stages as cdk.out/asset.<hash>/).
 */
const CLOUD = 'cloud gpu-workers-${STACK_NAME}';
const temp: string[] = [];
afterAll(() => temp.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temp.push(dir);
  return dir;
}

/** A cdk.out holding, for each stack, the bundle built from `repoRoot` as its Config/Bundle asset. */
function cdkOut(repoRoot: string, stacks: string[] = ['JenkinsGpuTraining']): string {
  const out = tempDir('cdk-out-');
  const bundle = buildBundle({ repoRoot });
  for (const stack of stacks) {
    const staged = path.basename(writeBundle(bundle, path.join(out, `staging-${stack}`)));
    fs.renameSync(path.join(out, `staging-${stack}`, staged), path.join(out, `asset.${stack}-${staged}`));
    const manifest = {
      version: '48.0.0',
      files: {
        [staged]: { displayName: `${stack}/Config/Bundle`, source: { path: `asset.${stack}-${staged}`, packaging: 'zip' } },
        other: { displayName: `${stack}/Payload`, source: { path: 'asset.other.sh', packaging: 'file' } },
      },
    };
    fs.writeFileSync(path.join(out, `${stack}.assets.json`), JSON.stringify(manifest));
  }
  return out;
}

function run(argv: string[], repoRoot: string): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = runCascDiff(argv, { repoRoot, out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

/** The change lines of a diff of the shipped casc (in cdk.out) against `ec2Yaml` (local). */
function changes(ec2Yaml: string, edit: (root: string) => void = () => undefined): string[] {
  const local = repoWith(ec2Yaml);
  temp.push(local);
  edit(local);
  const result = run(['--offline', '--cdk-out', cdkOut(REPO)], local);
  expect(result).toMatchObject({ code: 0, err: '' });
  const [header, ...lines] = result.out.trimEnd().split('\n');
  expect(header).toMatch(/^casc:diff: local casc\/ and jobs\/ against the last synthesized bundle \(.*asset\.JenkinsGpuTraining-[0-9a-f]{64}\)$/);
  return lines;
}

describe('npm run casc:diff -- --offline', () => {
  it('says so when a deploy would change nothing', () => {
    expect(changes(SHIPPED_EC2_YAML)).toEqual(['no change: cdk deploy would apply the same configuration']);
  });

  it('shows a cap change per cloud and template, old → new', () => {
    const yaml = SHIPPED_EC2_YAML.replace('instanceCapStr: "4"', 'instanceCapStr: "8"').replace(
      'idleTerminationMinutes: "10"\n            instanceCapStr: "2"',
      'idleTerminationMinutes: "10"\n            instanceCapStr: "6"',
    );
    expect(changes(yaml)).toEqual([`${CLOUD}: instanceCapStr 4 → 8`, `${CLOUD}: template gpu-tensorflow-ondemand: instanceCapStr 2 → 6`]);
  });

  it('shows an added and a removed template with their labels, and the labels file the seed reads', () => {
    expect(changes(withPytorchTemplate())).toEqual([
      `${CLOUD}: template gpu-pytorch-ondemand added (labels pytorch, g5.xlarge on-demand, cap 2)`,
      'file jobs/worker-labels.tsv changed',
    ]);
    expect(changes(withoutSpotTemplate())).toEqual([
      `${CLOUD}: template gpu-tensorflow-spot removed (labels tensorflow-spot, g4dn.xlarge spot, cap 2)`,
      'file jobs/worker-labels.tsv changed',
    ]);
  });

  it('shows a label change, a setting outside the clouds, and a rendered script change without its text', () => {
    const yaml = SHIPPED_EC2_YAML.replace('labelString: tensorflow\n', 'labelString: "tensorflow gpu"\n');
    expect(
      changes(yaml, (root) => {
        fs.appendFileSync(path.join(root, 'assets/worker/user-data.sh'), 'true\n');
        const jobs = path.join(root, 'casc/jobs.yaml');
        fs.writeFileSync(jobs, fs.readFileSync(jobs, 'utf8').replace('RESULTS_LOCATION: "${RESULTS_LOCATION}"', 'RESULTS_LOCATION: /data'));
      }),
    ).toEqual([
      `${CLOUD}: template gpu-tensorflow-ondemand: labelString tensorflow → tensorflow gpu`,
      `${CLOUD}: template gpu-tensorflow-ondemand: userData changed (multi-line)`,
      `${CLOUD}: template gpu-tensorflow-spot: userData changed (multi-line)`,
      'casc: jobs[0].providedEnv.RESULTS_LOCATION ${RESULTS_LOCATION} → /data',
      'file jobs/worker-labels.tsv changed',
    ]);
  });

  it('prints its usage for -h/--help, and refuses what it does not do', () => {
    expect(run(['-h'], REPO)).toEqual({ code: 0, out: `${USAGE}\n`, err: '' });
    expect(run(['--help'], REPO).out).toBe(`${USAGE}\n`);
    expect(run([], REPO)).toEqual({
      code: 2,
      out: '',
      err: `casc:diff: only --offline is implemented: it compares with the last synthesized bundle in cdk.out (comparing with the deployed one is not)\n${USAGE}\n`,
    });
    expect(run(['--offline', '--bogus'], REPO)).toMatchObject({ code: 2, err: expect.stringMatching(/^casc:diff: Unknown option '--bogus'/) });
  });

  it('names what to do when there is no synthesized bundle, or several', () => {
    const empty = tempDir('cdk-out-');
    expect(run(['--offline', '--cdk-out', path.join(empty, 'missing')], REPO)).toEqual({
      code: 1,
      out: '',
      err: `casc:diff: ${path.join(empty, 'missing')}: no such directory: run npx cdk synth first (it writes the bundle there)\n`,
    });
    expect(run(['--offline', '--cdk-out', empty], REPO).err).toBe(
      `casc:diff: ${empty}: no synthesized config bundle (no Config/Bundle asset in ${empty}/*.assets.json): run npx cdk synth first\n`,
    );
    const two = cdkOut(REPO, ['StackA', 'StackB']);
    expect(run(['--offline', '--cdk-out', two], REPO)).toEqual({
      code: 1,
      out: '',
      err: `casc:diff: ${two} holds the bundles of several stacks (StackA, StackB): choose one with --stack\n`,
    });
    const chosen = run(['--offline', '--cdk-out', two, '--stack', 'StackB'], REPO);
    expect(chosen.code).toBe(0);
    expect(chosen.out).toContain('asset.StackB-');
    expect(run(['--offline', '--cdk-out', two, '--stack', 'StackC'], REPO).err).toBe(
      `casc:diff: ${two}: no synthesized config bundle for stack StackC (no Config/Bundle asset in ${two}/*.assets.json): run npx cdk synth first\n`,
    );
  });
});
