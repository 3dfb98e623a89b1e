import { edit, lineOf, SHIPPED_EC2_YAML, validateEc2 } from './helpers';

const T0 = 'jenkins.clouds[0].amazonEC2.templates[0]';
const T1 = 'jenkins.clouds[0].amazonEC2.templates[1]';
const ON_DEMAND_START = '          - description: gpu-tensorflow-ondemand';
const TEMPLATES_END = '        cleanUpOrphanedNodes: true';

/** The shipped on-demand template, as a block of the templates list. */
function onDemandBlock(): string {
  const start = SHIPPED_EC2_YAML.indexOf(ON_DEMAND_START);
  const end = SHIPPED_EC2_YAML.indexOf(TEMPLATES_END);
  if (start < 0 || end < start)
    throw new Error('casc/ec2-cloud.yaml: the on-demand template block moved; update this test');
  return SHIPPED_EC2_YAML.slice(start, end);
}

/**
 * The shipped on-demand template followed by a copy of it under another description, type and cap: the
 * fallback-type design of docs/capacity.md ("Instance types"). `label` replaces the copy's labelString.
 */
function withSecondTemplate(
  opts: { description: string; type: string; cap: string; label?: string },
  base = SHIPPED_EC2_YAML,
): string {
  let block = onDemandBlock()
    .replace('description: gpu-tensorflow-ondemand', `description: ${opts.description}`)
    .replace('value: gpu-tensorflow-ondemand', `value: ${opts.description}`)
    .replace('type: g4dn.xlarge', `type: ${opts.type}`)
    .replace('            instanceCapStr: "2"', `            instanceCapStr: "${opts.cap}"`);
  if (opts.label !== undefined)
    block = block.replace('labelString: tensorflow\n', `labelString: ${opts.label}\n`);
  const at = base.indexOf(TEMPLATES_END);
  return base.slice(0, at) + block + base.slice(at);
}

/** Line of the second occurrence of `needle` (the copied template's). */
function secondLineOf(text: string, needle: string): number {
  const first = text.indexOf(needle);
  const second = text.indexOf(needle, first + 1);
  if (first < 0 || second < 0 || text.indexOf(needle, second + 1) >= 0)
    throw new Error(`expected two '${needle}'`);
  return text.slice(0, second).split('\n').length;
}

describe('capacity rules', () => {
  describe('zone', () => {
    it('refuses zone: the plugin only filters stopped workers by it, the subnet decides where a worker runs', () => {
      const yaml = edit(
        SHIPPED_EC2_YAML,
        '            type: g4dn.xlarge\n',
        '            type: g4dn.xlarge\n            zone: us-east-1a\n',
      );
      expect(validateEc2(yaml).lines).toEqual([
        `casc/ec2-cloud.yaml:${lineOf(yaml, 'zone: us-east-1a')}: ${T0}.zone: [zone-unset] zone must not be set: the EC2 plugin does not launch in it (the subnet decides the zone) but only looks for stopped workers there (SlaveTemplate.java 2211-2219 at ec2-plugin 2059), so a zone unlike the subnet's means no stopped worker is ever restarted; remove it: workers spread over the zones of the subnets in subnetId (got "us-east-1a")`,
      ]);
    });

    it('accepts an empty zone (the plugin reads a blank zone as none)', () => {
      const yaml = edit(
        SHIPPED_EC2_YAML,
        '            type: g4dn.xlarge\n',
        '            type: g4dn.xlarge\n            zone: ""\n',
      );
      expect(validateEc2(yaml).lines).toEqual([]);
    });
  });

  describe('stopped-worker reuse', () => {
    const avoid = (yaml: string): string =>
      edit(
        yaml,
        '            stopOnTerminate: true\n',
        '            stopOnTerminate: true\n            avoidUsingOrphanedNodes: true\n',
      );

    it('refuses avoidUsingOrphanedNodes with stop-on-idle: no stopped worker would ever be restarted', () => {
      const yaml = avoid(SHIPPED_EC2_YAML);
      expect(validateEc2(yaml).lines).toEqual([
        `casc/ec2-cloud.yaml:${lineOf(yaml, 'avoidUsingOrphanedNodes: true')}: ${T0}.avoidUsingOrphanedNodes: [stopped-reuse] avoidUsingOrphanedNodes must not be true with stopOnTerminate: true: the EC2 plugin then never restarts a stopped worker (it skips the stopped-instance lookup, SlaveTemplate.java 2395-2409 at ec2-plugin 2059), so every build launches a new one while the stopped ones bill for their volumes; remove it, or set stopOnTerminate: false (got true)`,
      ]);
    });

    it('accepts avoidUsingOrphanedNodes on a template that terminates idle workers (nothing stopped to reuse)', () => {
      const yaml = edit(avoid(SHIPPED_EC2_YAML), 'stopOnTerminate: true', 'stopOnTerminate: false');
      expect(validateEc2(yaml).lines).toEqual([]);
      expect(
        validateEc2(
          edit(
            SHIPPED_EC2_YAML,
            '            stopOnTerminate: true\n',
            '            stopOnTerminate: true\n            avoidUsingOrphanedNodes: false\n',
          ),
        ).lines,
      ).toEqual([]);
    });
  });

  describe('fallback instance type (a second template of the same label)', () => {
    it('accepts a fallback the plugin can reach: the first template is capped below the cloud cap', () => {
      // g4dn.xlarge cap 2, then g5.xlarge cap 2, cloud cap 4: the g5 starts once two g4dn workers run.
      const yaml = withSecondTemplate({ description: 'gpu-tensorflow-g5', type: 'g5.xlarge', cap: '2' });
      const result = validateEc2(yaml);
      expect(result.allLines).toEqual([]);
      expect(result.summary).toContain('at most 4 running = min(cloud cap 4, templates 2 + 2)');
    });

    it('warns when the first template alone fills the cloud cap: the fallback takes builds only as failover', () => {
      const yaml = withSecondTemplate(
        { description: 'gpu-tensorflow-g5', type: 'g5.xlarge', cap: '2' },
        edit(SHIPPED_EC2_YAML, '            instanceCapStr: "2"', '            instanceCapStr: "4"'),
      );
      const result = validateEc2(yaml);
      expect(result.lines).toEqual([
        `casc/ec2-cloud.yaml:${secondLineOf(yaml, 'labelString: tensorflow')}: ${T1}.labelString: warning: [fallback-reachable] template 'gpu-tensorflow-g5' takes builds only as failover (when 'gpu-tensorflow-ondemand' above it fail for capacity in every zone), never as overflow: every job that matches it also matches 'gpu-tensorflow-ondemand', and the EC2 plugin moves to the next template only past those at their caps (EC2Cloud.java 1102-1116 at ec2-plugin 2059), which together (4 = 4) already fill the cloud cap 4; for overflow too, lower their instanceCapStr below the cloud cap or raise the cloud cap`,
      ]);
      expect(result.ok).toBe(true);
    });

    it('does not warn for a later template that a job can ask for by a label of its own', () => {
      const yaml = withSecondTemplate(
        { description: 'gpu-tensorflow-g5', type: 'g5.xlarge', cap: '2', label: 'tensorflow g5' },
        edit(SHIPPED_EC2_YAML, '            instanceCapStr: "2"', '            instanceCapStr: "4"'),
      );
      // Cloud cap 4 below the caps' sum 6 is fine; "tensorflow && g5" reaches the g5 template directly.
      expect(validateEc2(yaml).lines).toEqual([]);
    });
  });

  describe('GPU labels', () => {
    it("refuses a CPU template that shares a GPU template's label", () => {
      const yaml = withSecondTemplate({ description: 'cpu-tensorflow', type: 'm5.large', cap: '2' });
      expect(validateEc2(yaml).lines).toEqual([
        `casc/ec2-cloud.yaml:${secondLineOf(yaml, 'labelString: tensorflow')}: ${T1}.labelString: [gpu-label-shared] label 'tensorflow' is also on GPU template 'gpu-tensorflow-ondemand': a job asking for it could run on this m5.large, which has no GPU (the EC2 plugin takes the first matching template with room, EC2Cloud.java 1102-1116 at ec2-plugin 2059); give this template a label of its own`,
      ]);
    });

    it('refuses it in either order (the GPU template below the CPU one)', () => {
      const cpuFirst = edit(SHIPPED_EC2_YAML, 'type: g4dn.xlarge', 'type: m5.large');
      const yaml = withSecondTemplate(
        { description: 'gpu-tensorflow-g4dn', type: 'g4dn.xlarge', cap: '2' },
        cpuFirst,
      );
      expect(validateEc2(yaml).lines).toEqual([
        `casc/ec2-cloud.yaml:${lineOf(SHIPPED_EC2_YAML, 'labelString: tensorflow')}: ${T0}.labelString: [gpu-label-shared] label 'tensorflow' is also on GPU template 'gpu-tensorflow-g4dn': a job asking for it could run on this m5.large, which has no GPU (the EC2 plugin takes the first matching template with room, EC2Cloud.java 1102-1116 at ec2-plugin 2059); give this template a label of its own`,
      ]);
    });

    it("warns when a CPU template's own label says gpu", () => {
      const yaml = withSecondTemplate({
        description: 'cpu-prep',
        type: 'm5.large',
        cap: '2',
        label: 'gpu-prep',
      });
      expect(validateEc2(yaml).lines).toEqual([
        `casc/ec2-cloud.yaml:${lineOf(yaml, 'labelString: gpu-prep')}: ${T1}.labelString: warning: [gpu-label-wording] label 'gpu-prep' promises a GPU but m5.large has none (GPU families: gpuFamilies in data/ec2-instance-types.json); use a GPU type or a label that does not say gpu/cuda`,
      ]);
    });

    it('accepts a CPU template with a label of its own', () => {
      expect(
        validateEc2(
          withSecondTemplate({ description: 'cpu-prep', type: 'm5.large', cap: '2', label: 'preprocess' }),
        ).lines,
      ).toEqual([]);
    });
  });
});
