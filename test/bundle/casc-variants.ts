import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** Shared by the bundle's label tests and the seed round trip: the repository with an edited casc/. */
export const REPO = path.resolve(__dirname, '../..');
export const SHIPPED_EC2_YAML = fs.readFileSync(path.join(REPO, 'casc/ec2-cloud.yaml'), 'utf8');

const ONDEMAND_START = '          - description: gpu-tensorflow-ondemand\n';
const SPOT_START = '          # Spot template, opt-in per build';
const TEMPLATES_END = '        cleanUpOrphanedNodes: true\n';

function indexOf(text: string, needle: string): number {
  const at = text.indexOf(needle);
  if (at < 0) throw new Error(`expected '${needle.trim()}' in casc/ec2-cloud.yaml`);
  return at;
}

/** The shipped casc with a third template: a copy of the on-demand one, label `pytorch`, on g5.xlarge. */
export function withPytorchTemplate(yaml: string = SHIPPED_EC2_YAML): string {
  const block = yaml
    .slice(indexOf(yaml, ONDEMAND_START), indexOf(yaml, SPOT_START))
    .replace('description: gpu-tensorflow-ondemand', 'description: gpu-pytorch-ondemand')
    .replace('value: gpu-tensorflow-ondemand', 'value: gpu-pytorch-ondemand')
    .replace('labelString: tensorflow\n', 'labelString: pytorch\n')
    .replace('type: g4dn.xlarge', 'type: g5.xlarge');
  const end = indexOf(yaml, TEMPLATES_END);
  return yaml.slice(0, end) + block + yaml.slice(end);
}

/** The shipped casc without the spot template (and its comment). */
export function withoutSpotTemplate(yaml: string = SHIPPED_EC2_YAML): string {
  return yaml.slice(0, indexOf(yaml, SPOT_START)) + yaml.slice(indexOf(yaml, TEMPLATES_END));
}

/** A temporary copy of casc/, jobs/ and assets/ with casc/ec2-cloud.yaml replaced by `ec2Yaml`. */
export function repoWith(ec2Yaml: string): string {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'labels-repo-'));
  for (const part of ['casc', 'jobs', 'assets'])
    fs.cpSync(path.join(REPO, part), path.join(copy, part), { recursive: true });
  fs.writeFileSync(path.join(copy, 'casc/ec2-cloud.yaml'), ec2Yaml);
  return copy;
}

/** 1-based line of the first line containing `needle`. */
export function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(needle));
  if (index < 0) throw new Error(`expected '${needle}' in the text`);
  return index + 1;
}
