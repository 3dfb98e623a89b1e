import * as path from 'path';

import { buildFleet, ec2Clouds } from '../../lib/casc/fleet';
import { deriveWorkerLaunchScope } from '../../lib/casc/iam';
import { validateCascTree } from '../../lib/casc/validate';
import { loadCascTree } from '../../lib/jcasc/load';
import { formatProblem } from '../../lib/jcasc/problem';
import {
  edit,
  REPO,
  SHIPPED_EC2_YAML,
  SHIPPED_FILE,
  tempTree,
  validateEc2,
  withSpotTemplate,
} from './helpers';

describe('the shipped ec2-cloud.yaml', () => {
  it('is the on-demand template plus the spot template', () => {
    expect(withSpotTemplate()).toBe(SHIPPED_FILE);
    expect(validateEc2(SHIPPED_FILE).lines).toEqual([]);
  });
});

describe('everyday edits pass', () => {
  it.each([
    [
      'a higher cap',
      (y: string) =>
        edit(
          edit(y, 'instanceCapStr: "4"', 'instanceCapStr: "8"'),
          'instanceCapStr: "2"',
          'instanceCapStr: "8"',
        ),
    ],
    [
      'longer idle minutes',
      (y: string) => edit(y, 'idleTerminationMinutes: "10"', 'idleTerminationMinutes: "45"'),
    ],
    ['a bigger GPU type', (y: string) => edit(y, 'type: g4dn.xlarge', 'type: g6e.xlarge')],
    ['the opt-in spot template as a second template', (y: string) => withSpotTemplate(y)],
  ])('%s', (_name, change) => {
    const result = validateEc2(change(SHIPPED_EC2_YAML));
    expect(result.lines).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('summarises a second template in the cost (cloud cap bounds the total)', () => {
    const result = validateEc2(edit(withSpotTemplate(), 'instanceCapStr: "4"', 'instanceCapStr: "3"'));
    expect(result.summary).toBe(
      'casc OK: 1 cloud (gpu-workers-${STACK_NAME}: at most 3 running = min(cloud cap 3, templates 2 + 2)); 2 templates (gpu-tensorflow-ondemand g4dn.xlarge cap 2 idle 10 min, ' +
        'gpu-tensorflow-spot g4dn.xlarge cap 2 idle 10 min); $1.58/hour with every worker running (us-east-1 on-demand; burn alarm at $10/hour); ' +
        'vCPU quota needed: 8 of L-DB2E81BA (Running On-Demand G and VT instances), 8 of L-3819A6DF (All G and VT Spot Instance Requests)',
    );
  });
});

describe('deriveWorkerLaunchScope', () => {
  const scopeOf = (yaml: string) => {
    const dir = tempTree({ 'casc/ec2-cloud.yaml': yaml });
    return deriveWorkerLaunchScope(buildFleet(ec2Clouds(loadCascTree(path.join(dir, 'casc')).tree!)));
  };

  it('derives the launch scope of the shipped YAML', () => {
    expect(scopeOf(SHIPPED_EC2_YAML)).toEqual({
      instanceTypes: ['g4dn.xlarge'],
      usesSpot: false,
      templateDescriptions: ['gpu-tensorflow-ondemand'],
      amiRefs: ['${WORKER_AMI_ID}'],
      subnetRefs: ['${WORKER_SUBNET_IDS}'],
      securityGroupRefs: ['${WORKER_SECURITY_GROUP_ID}'],
      instanceProfileRefs: ['${WORKER_INSTANCE_PROFILE_ARN}'],
      // RunInstances is bound to these (lib/constructs/gpu-worker-fleet.ts, Ec2PluginLaunchVolumes).
      volumes: { maxSizeGiB: 200, types: ['gp3'] },
    });
  });

  it('follows a type change and a spot template', () => {
    expect(scopeOf(edit(SHIPPED_EC2_YAML, 'type: g4dn.xlarge', 'type: g5.xlarge')).instanceTypes).toEqual([
      'g5.xlarge',
    ]);
    const spot = scopeOf(withSpotTemplate(edit(SHIPPED_EC2_YAML, 'type: g4dn.xlarge', 'type: g6.xlarge')));
    expect(spot.instanceTypes).toEqual(['g4dn.xlarge', 'g6.xlarge']);
    expect(spot.usesSpot).toBe(true);
    expect(spot.templateDescriptions).toEqual(['gpu-tensorflow-ondemand', 'gpu-tensorflow-spot']);
  });

  it('splits literal subnet lists as the plugin does', () => {
    const yaml = edit(
      edit(SHIPPED_EC2_YAML, '"${WORKER_SUBNET_IDS}"', '"subnet-b, subnet-a;subnet-c subnet-a"'),
      '"${WORKER_AMI_ID}"',
      'ami-0123',
    );
    expect(scopeOf(yaml)).toMatchObject({
      subnetRefs: ['subnet-a', 'subnet-b', 'subnet-c'],
      amiRefs: ['ami-0123'],
    });
  });
});

describe('the shipped tree (casc/ + jobs/)', () => {
  it('passes the full check', () => {
    const result = validateCascTree({
      cascPath: path.join(REPO, 'casc'),
      jobsPath: path.join(REPO, 'jobs'),
      pluginsFile: path.join(REPO, 'casc/plugins.txt'),
    });
    expect(result.problems.map((p) => formatProblem(p, REPO))).toEqual([]);
  });
});
