import { Template } from 'aws-cdk-lib/assertions';

import { JenkinsGpuStack } from '../../lib/jenkins-gpu-stack';
import { SettingsError } from '../../lib/settings/settings';
import { resolveSettings, settingsFromContext } from '../../lib/settings/validate-settings';
import { testApp } from '../helpers';

const EXISTING_VPC = {
  vpcId: 'vpc-0123456789abcdef0',
  subnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
  availabilityZones: ['us-east-1a', 'us-east-1b'],
};
const WHY =
  'JENKINS_HOME lives in us-east-1a (setting jenkinsHomeAvailabilityZone) and an EBS volume cannot move: the deploy would replace it with an empty one and start an empty Jenkins';

describe('jenkinsHomeAvailabilityZone: a change that would move JENKINS_HOME fails synth', () => {
  it('is not checked until recorded', () => {
    expect(resolveSettings({}).jenkinsHomeAvailabilityZone).toBeUndefined();
    expect(
      resolveSettings({ ...EXISTING_VPC, subnetIds: [...EXISTING_VPC.subnetIds].reverse() }),
    ).toBeDefined();
  });

  it('the recorded zone with the subnets that put the controller there: accepted (also as a -c string)', () => {
    expect(
      resolveSettings({ ...EXISTING_VPC, jenkinsHomeAvailabilityZone: 'us-east-1a' })
        .jenkinsHomeAvailabilityZone,
    ).toBe('us-east-1a');
    expect(
      settingsFromContext({ 'jenkinsGpu.jenkinsHomeAvailabilityZone': 'eu-west-1c' })
        .jenkinsHomeAvailabilityZone,
    ).toBe('eu-west-1c');
  });

  it('subnets reordered so the controller lands in another zone: refused, naming the subnet and the way out', () => {
    const moved = {
      ...EXISTING_VPC,
      subnetIds: ['subnet-0123456789abcdef1', 'subnet-0123456789abcdef0'],
      availabilityZones: ['us-east-1b', 'us-east-1a'],
      jenkinsHomeAvailabilityZone: 'us-east-1a',
    };
    expect(() => resolveSettings(moved)).toThrow(SettingsError);
    expect(() => resolveSettings(moved)).toThrow(
      `setting jenkinsGpu.subnetIds: the controller's subnet (the first, subnet-0123456789abcdef1) is in us-east-1b, but ${WHY} (allowed: a subnet of us-east-1a first in subnetIds and availabilityZones; to move JENKINS_HOME, see the README, "Move JENKINS_HOME to another zone")`,
    );
  });

  it('another region: refused', () => {
    expect(() => resolveSettings({ region: 'eu-west-1', jenkinsHomeAvailabilityZone: 'us-east-1a' })).toThrow(
      `setting jenkinsGpu.region: eu-west-1 is not the region of us-east-1a: ${WHY}`,
    );
  });

  it.each(['us-east-1', 'US-EAST-1A', 'use1-az1'])('refuses %p as a zone name', (value) => {
    expect(() => resolveSettings({ jenkinsHomeAvailabilityZone: value })).toThrow(
      `setting jenkinsGpu.jenkinsHomeAvailabilityZone: invalid value ${JSON.stringify(value)} (allowed: an availability zone name such as us-east-1a (the stack output JenkinsHomeAvailabilityZone))`,
    );
  });

  it('the stack outputs the zone to record: the JENKINS_HOME volume’s own', () => {
    const stack = new JenkinsGpuStack(testApp(), 'JenkinsGpuTraining', {
      settings: resolveSettings(EXISTING_VPC),
    });
    const template = Template.fromStack(stack);
    const [volumeId] = Object.keys(template.findResources('AWS::EC2::Volume'));
    const volumeZone = template.toJSON().Resources[volumeId].Properties.AvailabilityZone;

    expect(volumeZone).toBe('us-east-1a');
    expect(template.toJSON().Outputs.JenkinsHomeAvailabilityZone.Value).toEqual(volumeZone);
  });
});
