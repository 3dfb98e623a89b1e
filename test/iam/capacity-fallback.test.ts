import { App } from 'aws-cdk-lib';
import * as fs from 'fs';
import * as path from 'path';

import { JenkinsGpuStack } from '../../lib/jenkins-gpu-stack';
import { settingsFromContext } from '../../lib/settings/validate-settings';
import { TEST_APP_CONTEXT } from '../helpers';
import { REPO, repoCopy, synthApp } from '../stack/app-helpers';
import { call, ec2, instanceSession, resourceTags, runInstances } from './calls';
import { evaluateCall } from './evaluate';
import { CfnTemplate } from './resolve-intrinsics';
import { StackFacts } from './stack-facts';
import { cascLaunch, workerTags } from './tables/controller';
import { INSTANCES } from './tables/table';

/**
 * The controller's launch permissions follow the casc templates' types and the stack's worker subnets
 * (lib/casc/iam.ts, lib/constructs/gpu-worker-fleet.ts). A fallback type (docs/capacity.md "Instance
 * types": a second template of the label `tensorflow` with another type) is therefore launchable in every
 * worker zone after the deploy that adds it, and not before; a stopped worker is restarted by its tag,
 * whatever its zone.
 */
const FALLBACK = 'gpu-tensorflow-g5';
const ON_DEMAND_START = '          - description: gpu-tensorflow-ondemand';
const SPOT_START = '          # Spot template, opt-in per build';

/** casc/ec2-cloud.yaml with a g5.xlarge copy of the on-demand template right after it. */
function repoWithFallback(): string {
  const repo = repoCopy();
  const file = path.join(repo, 'casc/ec2-cloud.yaml');
  const text = fs.readFileSync(file, 'utf8');
  const [start, end] = [text.indexOf(ON_DEMAND_START), text.indexOf(SPOT_START)];
  if (start < 0 || end < start)
    throw new Error('casc/ec2-cloud.yaml: the on-demand template block moved; update this test');
  const copy = text
    .slice(start, end)
    .replace('description: gpu-tensorflow-ondemand', `description: ${FALLBACK}`)
    .replace('value: gpu-tensorflow-ondemand', `value: ${FALLBACK}`)
    .replace('type: g4dn.xlarge', 'type: g5.xlarge');
  fs.writeFileSync(file, text.slice(0, end) + copy + text.slice(end));
  return repo;
}

function factsOf(repoRoot?: string): StackFacts {
  if (!repoRoot) {
    const { app, stack } = synthApp();
    return new StackFacts(app.synth().getStackByName(stack.stackName).template as CfnTemplate);
  }
  const context = JSON.parse(fs.readFileSync(path.join(REPO, 'cdk.json'), 'utf8')).context as Record<
    string,
    unknown
  >;
  const app = new App({
    builtinCloudFormationValidation: false,
    context: { ...context, ...TEST_APP_CONTEXT },
  });
  const settings = settingsFromContext(app.node.getAllContext());
  const stack = new JenkinsGpuStack(app, settings.stackName, { settings, repoRoot });
  return new StackFacts(app.synth().getStackByName(stack.stackName).template as CfnTemplate);
}

let shipped: StackFacts;
let withFallback: StackFacts;

beforeAll(() => {
  shipped = factsOf();
  withFallback = factsOf(repoWithFallback());
}, 600_000);

async function outcome(facts: StackFacts, c: ReturnType<typeof call>): Promise<string> {
  const role = facts.role(/^ControllerRole/);
  const result = await evaluateCall(role, instanceSession(facts, role.arn, INSTANCES.controller), c);
  return result.outcome;
}

const fallbackLaunch = (facts: StackFacts, subnet: number) =>
  runInstances(
    facts,
    `the EC2 plugin launches the fallback g5.xlarge in worker subnet ${subnet}`,
    cascLaunch(facts, {
      instanceType: 'g5.xlarge',
      subnetId: facts.subnetIds[subnet],
      tags: workerTags(facts, FALLBACK),
    }),
  );

describe('the controller and a fallback instance type', () => {
  it('may launch the fallback type in every worker zone once the casc names it', async () => {
    expect(withFallback.subnetIds).toHaveLength(2);
    expect([
      await outcome(withFallback, fallbackLaunch(withFallback, 0)),
      await outcome(withFallback, fallbackLaunch(withFallback, 1)),
    ]).toEqual(['Allowed', 'Allowed']);
  });

  it('may not launch it before: the shipped casc names g4dn.xlarge only', async () => {
    expect(await outcome(shipped, fallbackLaunch(shipped, 0))).toBe('ImplicitlyDenied');
  });

  it('still may not launch a type no template names', async () => {
    const other = runInstances(
      withFallback,
      'launching p4d.24xlarge',
      cascLaunch(withFallback, { instanceType: 'p4d.24xlarge', tags: workerTags(withFallback, FALLBACK) }),
    );
    expect(await outcome(withFallback, other)).toBe('ImplicitlyDenied');
  });

  it('may restart a stopped fallback worker (StartInstances goes by the fleet tag, not the zone)', async () => {
    const start = call(
      'the EC2 plugin restarts a stopped fallback worker',
      ec2(
        withFallback,
        'StartInstances',
        withFallback.ec2Arn('instance', INSTANCES.worker),
        resourceTags(workerTags(withFallback, FALLBACK)),
      ),
    );
    expect(await outcome(withFallback, start)).toBe('Allowed');
  });
});
