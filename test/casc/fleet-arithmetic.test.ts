import * as path from 'path';

import {
  GPU_FAMILIES,
  GPU_VCPUS,
  INSTANCE_TYPES,
  instanceFamily,
  UNPRICED_GPU_TYPES,
  vcpuQuota,
} from '../../lib/casc/ec2-data';
import { loadValidatedCasc } from '../../lib/casc/synth-check';
import { validateCascTree } from '../../lib/casc/validate';
import { PRICE_TABLE } from '../../lib/cost/prices';
import { formatProblem } from '../../lib/jcasc/problem';
import {
  BASE_CAPACITY_WARNING,
  edit,
  lineOf,
  MINIMAL_PLUGIN_FILES,
  MINIMAL_PLUGINS,
  REPO,
  SHIPPED_EC2_YAML,
  SHIPPED_FILE,
  tempTree,
  validateEc2,
} from './helpers';

const CLOUD = 'jenkins.clouds[0].amazonEC2';

describe('fleet arithmetic', () => {
  it('reports the effective capacity: the cloud cap and the template caps both bound it', () => {
    const raised = edit(SHIPPED_FILE, 'instanceCapStr: "4"', 'instanceCapStr: "8"');
    const result = validateEc2(raised);
    // The README's own example edit: raising only the cloud cap changes nothing, and the check says so.
    expect(result.allLines).toEqual([
      `casc/ec2-cloud.yaml:${lineOf(raised, 'instanceCapStr: "8"')}: ${CLOUD}.instanceCapStr: warning: [cloud-cap-reachable] cloud instanceCapStr 8 is above the templates' caps together (2 + 2 = 4): at most 4 workers run; raise a template's instanceCapStr too`,
    ]);
    expect(result.ok).toBe(true);
    expect(result.summary).toMatch(
      /^casc OK: 1 cloud \(gpu-workers-\$\{STACK_NAME\}: at most 4 running = min\(cloud cap 8, templates 2 \+ 2\)\);.*; 1 warning\(s\)$/,
    );
  });

  it('keeps the one-template test base honest: its only warning is the capacity one', () => {
    const lines = validateEc2(SHIPPED_EC2_YAML).allLines.map((line) =>
      line.replace(/^(casc\/ec2-cloud\.yaml):\d+:/, '$1:N:'),
    );
    expect(lines).toEqual([BASE_CAPACITY_WARNING]);
  });

  it('warns when a full fleet costs more per hour than the burn alarm (setting hourlyBurnAlarmUsd)', () => {
    let yaml = edit(SHIPPED_FILE, 'instanceCapStr: "4"', 'instanceCapStr: "400"');
    yaml = yaml.replace(/instanceCapStr: "2"/g, 'instanceCapStr: "200"');
    const result = validateEc2(yaml);
    expect(result.allLines).toEqual([
      `casc/ec2-cloud.yaml:${lineOf(yaml, 'instanceCapStr: "400"')}: ${CLOUD}.instanceCapStr: warning: [burn-alarm] with all 400 workers running the fleet costs $210.40/hour, above the burn alarm's $10/hour (setting hourlyBurnAlarmUsd): a full fleet sets it off; lower the caps or raise the setting`,
    ]);
    expect(result.summary).toContain(
      '; vCPU quota needed: 800 of L-DB2E81BA (Running On-Demand G and VT instances), 800 of L-3819A6DF (All G and VT Spot Instance Requests); 1 warning(s)',
    );
    // The setting as synth passes it: a higher alarm silences the warning.
    const dir = tempTree({
      'casc/ec2-cloud.yaml': yaml,
      'casc/jenkins.yaml': 'unclassified:\n  location:\n    url: "${JENKINS_URL}"\n',
      'casc/plugins.txt': MINIMAL_PLUGINS,
      ...MINIMAL_PLUGIN_FILES,
    });
    const quiet = validateCascTree({
      cascPath: path.join(dir, 'casc'),
      repoRoot: REPO,
      hourlyBurnAlarmUsd: 300,
    });
    expect(quiet.problems.map((p) => formatProblem(p, dir))).toEqual([]);
    expect(quiet.summary).toContain(
      '$210.40/hour with every worker running (us-east-1 on-demand; burn alarm at $300/hour)',
    );
  });

  it('synth compares with the deployment setting (lib/jenkins-gpu-stack.ts passes settings.hourlyBurnAlarmUsd)', () => {
    // The shipped fleet costs $2.10/hour full; an alarm at $2 makes that a warning in the synth summary.
    expect(loadValidatedCasc(REPO, { hourlyBurnAlarmUsd: 2 }).summary).toMatch(
      /\(us-east-1 on-demand; burn alarm at \$2\/hour\);.*; 1 warning\(s\)$/,
    );
  });

  it('names the vCPU quota of each market: a P type on demand', () => {
    const yaml = edit(SHIPPED_EC2_YAML, 'type: g4dn.xlarge', 'type: p3.2xlarge');
    expect(validateEc2(yaml).summary).toContain(
      '; vCPU quota needed: 16 of L-417A185B (Running On-Demand P instances)',
    );
  });

  it('refuses a real GPU type without a price (the burn alarm would be blind to it)', () => {
    const { lines } = validateEc2(edit(SHIPPED_EC2_YAML, 'type: g4dn.xlarge', 'type: g5.2xlarge'));
    expect(lines).toEqual([
      `casc/ec2-cloud.yaml:${lineOf(SHIPPED_EC2_YAML, 'type: g4dn.xlarge')}: ${CLOUD}.templates[0].type: [instance-type] GPU type 'g5.2xlarge' has no price in data/ec2-prices.json: the burn alarm and the fleet's $/hour need one for every GPU type (priced: g4dn.xlarge, g5.xlarge, g6.xlarge, g6e.xlarge, p3.2xlarge); to use it, add its on-demand price with source and date there, and the type and its vCPUs (gpuVcpus) to data/ec2-instance-types.json`,
    ]);
  });
});

describe('data/ec2-instance-types.json and data/ec2-prices.json agree', () => {
  const prices = PRICE_TABLE;
  const gpuTypes = [...INSTANCE_TYPES].filter((t) => GPU_FAMILIES.has(instanceFamily(t)));

  it('every accepted GPU type has a price, vCPUs and a vCPU quota for both markets', () => {
    expect(gpuTypes.length).toBeGreaterThan(0);
    for (const type of gpuTypes) {
      expect([type, typeof prices.onDemandHourly[type]]).toEqual([type, 'number']);
      expect([type, GPU_VCPUS[type] > 0]).toEqual([type, true]);
      expect([type, vcpuQuota(type, false)?.code, vcpuQuota(type, true)?.code]).toEqual([
        type,
        expect.stringMatching(/^L-/),
        expect.stringMatching(/^L-/),
      ]);
    }
    expect(Object.keys(GPU_VCPUS).sort()).toEqual(gpuTypes.sort());
  });

  it('the price table says where and when its figures come from', () => {
    expect(PRICE_TABLE.source).toMatch(/\S/);
    expect(PRICE_TABLE.asOf).toMatch(/^\d{4}-\d{2}/);
  });

  it('an unpriced GPU type is never also an accepted one', () => {
    expect([...UNPRICED_GPU_TYPES].filter((t) => INSTANCE_TYPES.has(t))).toEqual([]);
    expect([...UNPRICED_GPU_TYPES].every((t) => GPU_FAMILIES.has(instanceFamily(t)))).toBe(true);
  });
});
