import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { writeBundle } from '../../lib/bundle/build-bundle';
import { bundleOfRepo } from '../../lib/casc/load-casc';
import { REPO, repoWith, withoutSpotTemplate, withPytorchTemplate } from '../bundle/casc-variants';

/**
 * The real seed (jobs/seed.groovy) run by Groovy 2.4 against a Job DSL stand-in (test/jobs/SeedRoundTrip.groovy)
 * on bundles built from casc variants: the WORKER choices and the pipelines' WORKER check follow the templates,
 * with no edit in jobs/. Needs groovy and java, so it runs in `npm run lint:all` (jest.lint.config.js).
 */
const ROUND_TRIP = path.join(__dirname, 'SeedRoundTrip.groovy');

/** `groovy` needs JAVA_HOME when /usr/lib/jvm/default-java is absent: derive it from `java` on PATH. */
function groovyEnv(): NodeJS.ProcessEnv {
  if (process.env.JAVA_HOME || fs.existsSync('/usr/lib/jvm/default-java')) return process.env;
  const java = fs.realpathSync(execFileSync('sh', ['-c', 'command -v java'], { encoding: 'utf8' }).trim());
  return { ...process.env, JAVA_HOME: path.dirname(path.dirname(java)) };
}

const temp: string[] = [];
afterAll(() => temp.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** Builds and writes the bundle of repoRoot, runs the round trip on it; its output and the refusals. */
function roundTrip(
  repoRoot: string,
  labels: string[],
  refused: string,
): { status: number | null; output: string; refusals: Record<string, string> } {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'seed-bundle-'));
  temp.push(out);
  const bundleDir = writeBundle(bundleOfRepo(repoRoot), out);
  const run = spawnSync('groovy', [ROUND_TRIP, bundleDir, labels.join(','), refused], {
    encoding: 'utf8',
    env: groovyEnv(),
  });
  if (run.error)
    throw new Error(`cannot run groovy (${run.error.message}): apt-get install -y groovy (Groovy 2.4)`);
  const output = `${run.stdout}${run.stderr}`;
  const refusals = Object.fromEntries(
    [...output.matchAll(/^refused ([\w-]+): (.*)$/gm)].map((m) => [m[1], m[2]]),
  );
  return { status: run.status, output, refusals };
}

function variant(ec2Yaml: string): string {
  const dir = repoWith(ec2Yaml);
  temp.push(dir);
  return dir;
}

describe('the seed on the bundle', () => {
  it('offers the shipped labels and refuses one no template serves, naming the casc file', () => {
    const { status, output, refusals } = roundTrip(REPO, ['tensorflow', 'tensorflow-spot'], 'no-such-label');
    expect(output).not.toContain('FAILED');
    expect(status).toBe(0);
    const message =
      "WORKER must be a label an EC2 template serves: tensorflow, tensorflow-spot (got 'no-such-label'); the labels are the templates' labelString in casc/ec2-cloud.yaml: to run on 'no-such-label', add or restore a template with that label there and cdk deploy";
    expect(refusals).toEqual({ train: message, 'gpu-check': message });
  });

  it('offers a template added to casc/ with a new label, with no edit in jobs/', () => {
    const { status, output } = roundTrip(
      variant(withPytorchTemplate()),
      ['tensorflow', 'tensorflow-spot', 'pytorch'],
      'gpu',
    );
    expect(output).not.toContain('FAILED');
    expect(output).toContain(
      'ok train offers the served labels [tensorflow, tensorflow-spot, pytorch], the first by default',
    );
    expect(output).toContain('gpu-pytorch-ondemand (g5.xlarge, on-demand)');
    expect(status).toBe(0);
  });

  it('offers a label two templates serve once, naming both templates', () => {
    const yaml = withPytorchTemplate().replace('labelString: pytorch\n', 'labelString: tensorflow\n');
    const { status, output, refusals } = roundTrip(
      variant(yaml),
      ['tensorflow', 'tensorflow-spot'],
      'pytorch',
    );
    expect(output).not.toContain('FAILED');
    expect(output).toContain(
      'tensorflow = gpu-tensorflow-ondemand (g4dn.xlarge, on-demand) or gpu-pytorch-ondemand (g5.xlarge, on-demand);',
    );
    expect(status).toBe(0);
    expect(refusals.train).toMatch(
      /^WORKER must be a label an EC2 template serves: tensorflow, tensorflow-spot \(got 'pytorch'\)/,
    );
  });

  it('refuses a build that still asks for a removed template’s label, naming the casc file to change', () => {
    const { status, output, refusals } = roundTrip(
      variant(withoutSpotTemplate()),
      ['tensorflow'],
      'tensorflow-spot',
    );
    expect(output).not.toContain('FAILED');
    expect(status).toBe(0);
    const message =
      "WORKER must be a label an EC2 template serves: tensorflow (got 'tensorflow-spot'); the labels are the templates' labelString in casc/ec2-cloud.yaml: to run on 'tensorflow-spot', add or restore a template with that label there and cdk deploy";
    expect(refusals).toEqual({ train: message, 'gpu-check': message });
  });
});
