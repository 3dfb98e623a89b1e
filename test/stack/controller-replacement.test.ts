import { Template } from 'aws-cdk-lib/assertions';
import * as path from 'path';

import { JenkinsGpuStack } from '../../lib/jenkins-gpu-stack';
import { resolveSettings } from '../../lib/settings/validate-settings';
import { testApp } from '../helpers';
import { editFile, repoCopy } from './app-helpers';

/** The stack built from a repository copy with the given settings. */
function stackFrom(settings: Record<string, unknown> = {}, repoRoot = repoCopy()): Template {
  const app = testApp();
  return Template.fromStack(
    new JenkinsGpuStack(app, 'JenkinsGpuTraining', { settings: resolveSettings(settings), repoRoot }),
  );
}

let defaults: Template | undefined;
/** stackFrom() with the default settings, built once for the tests that only read it. */
const defaultStack = () => (defaults ??= stackFrom());

const output = (t: Template) => t.findOutputs('ControllerReplacement').ControllerReplacement;
const groupOf = (t: Template) => Object.values(t.findResources('AWS::AutoScaling::AutoScalingGroup'))[0];
const logicalIds = (t: Template, type: string) => Object.keys(t.findResources(type));

describe('a deploy that replaces the controller says so (output ControllerReplacement in cdk diff)', () => {
  const base = defaultStack();

  it('carries a digest of what replaces the controller and says what happens to running builds', () => {
    expect(output(base).Value).toMatch(/^[0-9a-f]{16}$/);
    expect(output(base).Description).toBe(
      'When this value changes (cdk diff shows it), the deploy replaces the Jenkins controller: Jenkins quiets ' +
        'down and running builds get up to 20 minutes to finish before the old instance terminates; Pipeline ' +
        'builds continue on the new controller if their worker is still running.',
    );
  });

  it('stays the same for a casc/ or jobs/ edit (applied live, no replacement)', () => {
    const repo = repoCopy();
    editFile(path.join(repo, 'casc/ec2-cloud.yaml'), 'instanceCapStr: "4"', 'instanceCapStr: "6"');
    editFile(path.join(repo, 'jobs/seed.groovy'), "displayName('", "displayName('Edited: ");
    expect(output(stackFrom({}, repo)).Value).toBe(output(base).Value);
  });

  it('changes with the controller instance type, which changes the launch template', () => {
    expect(output(stackFrom({ controllerInstanceType: 'm7i.large' })).Value).not.toBe(output(base).Value);
  });

  it('stays the same when only the drain time changes (no replacement), and tells the new time', () => {
    const t = stackFrom({ drainTimeoutMinutes: 10 });
    expect(output(t).Value).toBe(output(base).Value);
    expect(output(t).Description).toContain('running builds get up to 10 minutes to finish');
    t.hasResourceProperties('AWS::AutoScaling::LifecycleHook', { HeartbeatTimeout: 15 * 60 });
    // The replacement boots while the old one drains: 30 minutes of boot plus the 15-minute hold.
    expect(groupOf(t).UpdatePolicy.AutoScalingRollingUpdate.PauseTime).toBe('PT45M');
  });
});

describe('the drain in the stack', () => {
  it('by default: a 25-minute termination hold, its rule, and a rolling update that waits 55 minutes', () => {
    const t = defaultStack();
    t.resourcePropertiesCountIs(
      'AWS::AutoScaling::LifecycleHook',
      { LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING', HeartbeatTimeout: 25 * 60 },
      1,
    );
    t.resourcePropertiesCountIs('AWS::Events::Rule', { EventPattern: { source: ['aws.autoscaling'] } }, 1);
    expect(groupOf(t).UpdatePolicy.AutoScalingRollingUpdate.PauseTime).toBe('PT55M');
  });

  it('drainTimeoutMinutes 0: no hook, no rule, the rolling update waits for the boot only, and says so', () => {
    const t = stackFrom({ drainTimeoutMinutes: 0 });
    t.resourceCountIs('AWS::AutoScaling::LifecycleHook', 0);
    t.resourcePropertiesCountIs('AWS::Events::Rule', { EventPattern: { source: ['aws.autoscaling'] } }, 0);
    expect(groupOf(t).UpdatePolicy.AutoScalingRollingUpdate.PauseTime).toBe('PT30M');
    expect(output(t).Description).toContain(
      'the old instance terminates at once and running builds are cut off',
    );
  });
});

describe('cdk destroy takes the GPU workers down first', () => {
  const t = defaultStack();
  const teardown = Object.entries(t.findResources('Custom::JenkinsGpuFleetTeardown'));

  it('has one teardown resource, keyed by the fleet tag', () => {
    expect(teardown).toHaveLength(1);
    expect(teardown[0][1].Properties.FleetTagValue).toBe('JenkinsGpuTraining');
  });

  it('is deleted before the network, the workers’ security group and instance profile (it depends on them)', () => {
    const dependsOn: string[] = teardown[0][1].DependsOn;
    for (const type of [
      'AWS::EC2::VPC',
      'AWS::EC2::Subnet',
      'AWS::EC2::InternetGateway',
      'AWS::EC2::RouteTable',
    ]) {
      for (const id of logicalIds(t, type)) expect(dependsOn).toContain(id);
    }
    for (const type of ['AWS::EC2::SecurityGroup', 'AWS::IAM::InstanceProfile']) {
      const workers = logicalIds(t, type).filter((id) => id.startsWith('Workers'));
      expect(workers).toHaveLength(1);
      expect(dependsOn).toContain(workers[0]);
    }
  });

  it('runs after the controller is gone (the controller group depends on it), so no new worker launches', () => {
    expect(groupOf(t).DependsOn).toContain(teardown[0][0]);
  });

  it('in an existing VPC still waits for the workers before their security group goes', () => {
    const existing = stackFrom({
      vpcId: 'vpc-0123456789abcdef0',
      subnetIds: ['subnet-0123456789abcdef0'],
      availabilityZones: ['us-east-1a'],
    });
    const [, resource] = Object.entries(existing.findResources('Custom::JenkinsGpuFleetTeardown'))[0];
    const workerGroup = logicalIds(existing, 'AWS::EC2::SecurityGroup').find((id) =>
      id.startsWith('Workers'),
    );
    expect(resource.DependsOn).toContain(workerGroup);
  });
});
