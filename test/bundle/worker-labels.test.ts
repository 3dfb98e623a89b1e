import * as fs from 'fs';
import * as path from 'path';

import { WORKER_LABELS_FILE } from '../../lib/bundle/worker-labels';
import { bundleOfRepo } from '../../lib/casc/load-casc';
import {
  lineOf,
  REPO,
  repoWith,
  SHIPPED_EC2_YAML,
  withoutSpotTemplate,
  withPytorchTemplate,
} from './casc-variants';

/** The bundle's jobs/worker-labels.tsv: the WORKER choices of the seed, from the casc templates. */
const HEADER = [
  '# Generated at synth from the EC2 templates in casc/ (lib/bundle/worker-labels.ts): the WORKER choices of',
  '# the jobs (jobs/seed.groovy). Edit labelString in casc/, not this file. Columns (tab-separated):',
  '# label\ttemplate\tinstanceType\tmarket\tsource',
];

function labelsFile(repoRoot: string): string | undefined {
  return bundleOfRepo(repoRoot).files.get(WORKER_LABELS_FILE);
}

function file(...rows: string[][]): string {
  return [...HEADER, ...rows.map((r) => r.join('\t'))].join('\n') + '\n';
}

const dirs: string[] = [];
function repo(ec2Yaml: string): string {
  const dir = repoWith(ec2Yaml);
  dirs.push(dir);
  return dir;
}
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe('jobs/worker-labels.tsv', () => {
  it('lists the shipped templates: label, template, instance type, market, the labelString line', () => {
    const spotLine = lineOf(SHIPPED_EC2_YAML, 'labelString: tensorflow-spot');
    expect(labelsFile(REPO)).toBe(
      file(
        [
          'tensorflow',
          'gpu-tensorflow-ondemand',
          'g4dn.xlarge',
          'on-demand',
          `casc/ec2-cloud.yaml:${lineOf(SHIPPED_EC2_YAML, 'labelString: tensorflow')}`,
        ],
        ['tensorflow-spot', 'gpu-tensorflow-spot', 'g4dn.xlarge', 'spot', `casc/ec2-cloud.yaml:${spotLine}`],
      ),
    );
  });

  it('offers a template added to casc/ with a new label, after the others', () => {
    const yaml = withPytorchTemplate();
    expect(labelsFile(repo(yaml))).toBe(
      file(
        [
          'tensorflow',
          'gpu-tensorflow-ondemand',
          'g4dn.xlarge',
          'on-demand',
          `casc/ec2-cloud.yaml:${lineOf(yaml, 'labelString: tensorflow')}`,
        ],
        [
          'tensorflow-spot',
          'gpu-tensorflow-spot',
          'g4dn.xlarge',
          'spot',
          `casc/ec2-cloud.yaml:${lineOf(yaml, 'labelString: tensorflow-spot')}`,
        ],
        [
          'pytorch',
          'gpu-pytorch-ondemand',
          'g5.xlarge',
          'on-demand',
          `casc/ec2-cloud.yaml:${lineOf(yaml, 'labelString: pytorch')}`,
        ],
      ),
    );
  });

  it('drops a removed template, and gives each label of a labelString its row', () => {
    const yaml = withoutSpotTemplate().replace(
      'labelString: tensorflow\n',
      'labelString: "tensorflow  gpu"\n',
    );
    const line = `casc/ec2-cloud.yaml:${lineOf(yaml, 'labelString: "tensorflow  gpu"')}`;
    expect(labelsFile(repo(yaml))).toBe(
      file(
        ['tensorflow', 'gpu-tensorflow-ondemand', 'g4dn.xlarge', 'on-demand', line],
        ['gpu', 'gpu-tensorflow-ondemand', 'g4dn.xlarge', 'on-demand', line],
      ),
    );
  });

  it('names a template in another casc file by that file', () => {
    const root = repo(withoutSpotTemplate());
    const spot = SHIPPED_EC2_YAML.slice(
      SHIPPED_EC2_YAML.indexOf('          - description: gpu-tensorflow-spot'),
    );
    const cloud =
      'jenkins:\n  clouds:\n    - amazonEC2:\n        name: "spot-${STACK_NAME}"\n        templates:\n';
    fs.mkdirSync(path.join(root, 'casc/fleet'));
    fs.writeFileSync(
      path.join(root, 'casc/fleet/spot.yaml'),
      cloud + spot.slice(0, spot.indexOf('        cleanUpOrphanedNodes')),
    );
    expect(labelsFile(root)?.split('\n').slice(3)).toEqual([
      expect.stringMatching(/^tensorflow\t.*\tcasc\/ec2-cloud\.yaml:\d+$/),
      'tensorflow-spot\tgpu-tensorflow-spot\tg4dn.xlarge\tspot\tcasc/fleet/spot.yaml:9',
      '',
    ]);
  });

  it('refuses a label the seed could not embed, naming the casc line', () => {
    const yaml = SHIPPED_EC2_YAML.replace(
      'labelString: tensorflow-spot',
      `labelString: "tensorflow-spot it's"`,
    );
    expect(() => labelsFile(repo(yaml))).toThrow(
      `casc/ec2-cloud.yaml:${lineOf(yaml, "it's")}: template gpu-tensorflow-spot: label "it's" cannot be offered as a WORKER choice: it must be non-empty, without tabs, newlines, quotes or backslashes`,
    );
  });

  it('is generated only: a jobs/worker-labels.tsv in the repository is refused', () => {
    const root = repo(SHIPPED_EC2_YAML);
    fs.writeFileSync(path.join(root, WORKER_LABELS_FILE), 'tensorflow\n');
    expect(() => bundleOfRepo(root)).toThrow(
      'jobs/worker-labels.tsv: this file is generated at synth from the labelString of the EC2 templates in casc/; delete it from jobs/ and change the templates instead',
    );
  });

  it('refuses a casc/ the loader refuses, with its first problem', () => {
    const root = repo(SHIPPED_EC2_YAML);
    fs.appendFileSync(path.join(root, 'casc/jobs.yaml'), '   bad: [\n');
    expect(() => bundleOfRepo(root)).toThrow(
      /^casc\/jobs\.yaml:\d+:\d+: YAML syntax error: .*\(npm run check:casc lists every problem\)$/,
    );
  });
});
