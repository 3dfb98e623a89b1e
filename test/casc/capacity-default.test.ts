import * as path from 'path';

import { type CloudView, ec2Clouds } from '../../lib/casc/fleet';
import { stoppedWorkersBound } from '../../lib/casc/fleet-arithmetic';
import { loadCascTree } from '../../lib/jcasc/load';
import { CfnTemplate } from '../iam/resolve-intrinsics';
import { StackFacts } from '../iam/stack-facts';
import { synthApp } from '../stack/app-helpers';
import { REPO } from './helpers';

/**
 * What the shipped casc/ and the default network allow when GPUs are short (docs/capacity.md): each
 * template gets every worker subnet, one per zone, so a launch that fails for capacity in one zone is
 * retried in the next zone on a later provisioning round; no template shares a label with another, so there
 * is no fallback type; stopped workers are reused per zone, which bounds the stopped pool.
 */
let facts: StackFacts;
let cloud: CloudView;

beforeAll(() => {
  const { app, stack } = synthApp();
  facts = new StackFacts(app.synth().getStackByName(stack.stackName).template as CfnTemplate);
  const { tree } = loadCascTree(path.join(REPO, 'casc'));
  [cloud] = ec2Clouds(tree!);
}, 300_000);

/** Zone of each worker subnet the stack hands to JCasC as WORKER_SUBNET_IDS, in that order. */
function workerSubnetZones(): string[] {
  const zoneOf = new Map<string, string>();
  for (const [id, resource] of Object.entries(facts.resolved.Resources)) {
    if (resource.Type !== 'AWS::EC2::Subnet') continue;
    zoneOf.set(String(facts.resolver.ref(id)), String(resource.Properties!.AvailabilityZone));
  }
  return facts.subnetIds.map((id) => zoneOf.get(id) ?? `no subnet ${id} in the template`);
}

describe('the default configuration when GPUs are short', () => {
  it('gives the workers one subnet in each of two zones', () => {
    const zones = workerSubnetZones();
    expect(zones).toHaveLength(2);
    expect(new Set(zones).size).toBe(2);
  });

  it('lets every template rotate over all of them (no template pins a zone)', () => {
    for (const template of cloud.templates) {
      expect([template.description, template.text('subnetId'), template.text('zone')]).toEqual([
        template.description,
        '${WORKER_SUBNET_IDS}',
        undefined,
      ]);
    }
  });

  it('has no fallback type: each label belongs to one template', () => {
    expect(cloud.templates.map((t) => [t.description, t.labels, t.type])).toEqual([
      ['gpu-tensorflow-ondemand', ['tensorflow'], 'g4dn.xlarge'],
      ['gpu-tensorflow-spot', ['tensorflow-spot'], 'g4dn.xlarge'],
    ]);
  });

  it('reuses stopped on-demand workers, and keeps at most cap × zones of them (2 × 2 root volumes of 200 GiB)', () => {
    const onDemand = cloud.templates[0];
    expect([
      onDemand.text('stopOnTerminate'),
      onDemand.text('avoidUsingOrphanedNodes'),
      onDemand.text('customDeviceMapping'),
    ]).toEqual(['true', undefined, '/dev/sda1=:200:true:gp3::encrypted']);
    expect(stoppedWorkersBound(cloud, workerSubnetZones().length)).toBe(4);
  });
});
