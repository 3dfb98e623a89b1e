/**
 * The casc-level diff of two config bundles, each built from a repository copy by the real bundle builder
 * (so YAML is merged and worker scripts rendered as synth does), one edit at a time.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { writeBundle } from '../../lib/bundle/build-bundle';
import { BundleReadError, diffBundleDirs, formatChanges } from '../../lib/casc/bundle-diff';
import { bundleOfRepo } from '../../lib/casc/load-casc';
import { editFile, repoCopy } from '../stack/app-helpers';

const OUT = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-diff-'));
const SHIPPED = writeBundle(bundleOfRepo(repoCopy()), OUT);

/** The diff from the shipped bundle to the one of a repository copy changed by `edit`. */
function diffAfter(edit: (repo: string) => void): string[] {
  const repo = repoCopy();
  edit(repo);
  return formatChanges(diffBundleDirs(SHIPPED, writeBundle(bundleOfRepo(repo), OUT)));
}

const CLOUD = 'cloud gpu-workers-${STACK_NAME}';
const ec2Cloud = (repo: string) => path.join(repo, 'casc', 'ec2-cloud.yaml');

describe('diffBundleDirs', () => {
  it('the same casc: no change', () => {
    expect(diffAfter(() => undefined)).toEqual([]);
  });

  it('the README example: the cloud cap 4 → 8, and nothing else', () => {
    expect(
      diffAfter((repo) =>
        editFile(
          ec2Cloud(repo),
          'instanceCapStr: "4"\n        templates:',
          'instanceCapStr: "8"\n        templates:',
        ),
      ),
    ).toEqual([`${CLOUD}: instanceCapStr 4 → 8`]);
  });

  it('a template setting names the template by its description', () => {
    expect(
      diffAfter((repo) =>
        editFile(
          ec2Cloud(repo),
          'type: g4dn.xlarge\n            labelString: tensorflow\n            # Only',
          'type: g5.xlarge\n            labelString: tensorflow\n            # Only',
        ),
      ),
    ).toEqual(['template gpu-tensorflow-ondemand: type g4dn.xlarge → g5.xlarge']);
  });

  it('idle minutes: the setting and the worker scripts rendered from it, summarized by line count', () => {
    const changes = diffAfter((repo) =>
      editFile(ec2Cloud(repo), 'idleTerminationMinutes: "10"', 'idleTerminationMinutes: "20"'),
    );
    expect(changes[0]).toBe('template gpu-tensorflow-ondemand: idleTerminationMinutes 10 → 20');
    expect(changes.slice(1)).toEqual([
      expect.stringMatching(/^template gpu-tensorflow-ondemand: userData changed \(\d+ → \d+ lines\)$/),
    ]);
  });

  it('a template removed and one added', () => {
    const changes = diffAfter((repo) =>
      editFile(ec2Cloud(repo), 'description: gpu-tensorflow-spot', 'description: gpu-pytorch-spot'),
    );
    expect(changes).toEqual([
      "template gpu-tensorflow-spot: removed (was g4dn.xlarge, labels 'tensorflow-spot', instanceCapStr 2)",
      "template gpu-pytorch-spot: added (g4dn.xlarge, labels 'tensorflow-spot', instanceCapStr 2)",
    ]);
  });

  it('templates in another order: matched by description, so only the WORKER choices change (the first is the default)', () => {
    const yaml = fs.readFileSync(ec2Cloud(SHIPPED_REPO), 'utf8');
    const [head, rest] = split(yaml, '          - description: gpu-tensorflow-ondemand');
    const [onDemand, spotAndTail] = split(rest, '          - description: gpu-tensorflow-spot');
    const [spot, tail] = split(spotAndTail, '        cleanUpOrphanedNodes:');
    expect(diffAfter((repo) => fs.writeFileSync(ec2Cloud(repo), `${head}${spot}${onDemand}${tail}`))).toEqual(
      ['jobs WORKER choices: tensorflow, tensorflow-spot → tensorflow-spot, tensorflow'],
    );
  });

  it('a Jenkins setting outside the clouds, a plugin of the lock and a job file', () => {
    const changes = diffAfter((repo) => {
      editFile(path.join(repo, 'casc', 'jenkins.yaml'), 'numExecutors: 0', 'numExecutors: 1');
      const lock = path.join(repo, 'casc', 'plugins.lock');
      const line = fs
        .readFileSync(lock, 'utf8')
        .split('\n')
        .find((l) => l.startsWith('configuration-as-code:'))!;
      const version = line.split(/\s/)[0].split(':')[1];
      editFile(lock, `configuration-as-code:${version} `, 'configuration-as-code:9999.v0 ');
      fs.appendFileSync(path.join(repo, 'jobs', 'train.Jenkinsfile'), '// one more line\n');
    });
    expect(changes).toEqual([
      'jenkins: jenkins.numExecutors 0 → 1',
      expect.stringMatching(/^plugin configuration-as-code: \S+ → 9999\.v0$/),
      expect.stringMatching(/^jobs\/train\.Jenkinsfile: changed \((\d+) → \d+ lines\)$/),
    ]);
  });

  it('a plugin lock the lock parser refuses: a one-line user error, not its plugins shown as removed', () => {
    const broken = fs.mkdtempSync(path.join(os.tmpdir(), 'broken-lock-'));
    fs.cpSync(SHIPPED, broken, { recursive: true });
    const lock = path.join(broken, 'casc', 'plugins.lock');
    fs.writeFileSync(lock, fs.readFileSync(lock, 'utf8').replace(/ sha256=[0-9a-f]+/, ''));
    expect(() => diffBundleDirs(SHIPPED, broken)).toThrow(BundleReadError);
    expect(() => diffBundleDirs(SHIPPED, broken)).toThrow(
      new RegExp(`^${broken}: its plugin lock does not parse: casc/plugins\\.lock:\\d+: \\S+ needs sha256=`),
    );
  });

  it('a directory that is not a bundle: a one-line user error', () => {
    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'not-a-bundle-'));
    expect(() => diffBundleDirs(empty, SHIPPED)).toThrow(BundleReadError);
    expect(() => diffBundleDirs(empty, SHIPPED)).toThrow(
      `${empty}: not a config bundle (no casc/ directory)`,
    );
  });
});

const SHIPPED_REPO = repoCopy();

function split(text: string, marker: string): [string, string] {
  const at = text.indexOf(marker);
  if (at < 0) throw new Error(`'${marker}' not found`);
  return [text.slice(0, at), text.slice(at)];
}
