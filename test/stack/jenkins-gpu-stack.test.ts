import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as path from 'path';

import { CascValidationError } from '../../lib/casc/synth-check';
import { JenkinsGpuStack } from '../../lib/jenkins-gpu-stack';
import { resolveSettings } from '../../lib/settings/validate-settings';
import { testApp } from '../helpers';
import { editFile, repoCopy, resourcesOfType, synthApp } from './app-helpers';

/** The stack built from a repository copy (to edit casc/ or jobs/), with default settings. */
function stackFrom(repoRoot: string, settings: Record<string, unknown> = {}): Template {
  const app = testApp();
  const stack = new JenkinsGpuStack(app, 'JenkinsGpuTraining', {
    settings: resolveSettings(settings),
    repoRoot,
  });
  return Template.fromStack(stack);
}

let shipped: Template | undefined;
/** stackFrom a copy of the shipped repository, built once for the tests that only read it. */
const shippedStack = () => (shipped ??= stackFrom(repoCopy()));

/**
 * The default app with cdk-nag, built once: its synth is the first test's check, and its template (the
 * checks only read it) is what the tests that only read it read. This file does not load the CloudFormation
 * rules' engine: test/stack/settings-combinations.test.ts checks the default app against the rules and
 * shows the rules' gate live.
 */
const gatedApp = synthApp();
let defaultApp: Template | undefined;
/** The default app's template, synthesized once (Stage.synth keeps the assembly) for the tests that only read it. */
const defaultAppTemplate = () => (defaultApp ??= Template.fromStack(gatedApp.stack));

describe('the app', () => {
  it('synthesizes with cdk-nag AwsSolutions, without a finding', () => {
    expect(() => gatedApp.app.synth()).not.toThrow();
  });

  it('fails synth on a cdk-nag finding (the gate is live)', () => {
    const { app, stack } = synthApp();
    new s3.Bucket(stack, 'UnencryptedTransportBucket');
    expect(() => app.synth()).toThrow(/AwsSolutions-S1|AwsSolutions-S10/);
  });

  it('is deterministic: two synths give identical templates', () => {
    const first = JSON.stringify(defaultAppTemplate().toJSON());
    const second = JSON.stringify(Template.fromStack(synthApp().stack).toJSON());
    expect(second).toBe(first);
  });
});

describe('JenkinsGpuStack', () => {
  // After the first test, so that cdk-nag's verdict on the default app is that test's, not the file's.
  let t: Template;
  beforeAll(() => {
    t = defaultAppTemplate();
  });

  it('tells the user how to open the UI, where the admin password is and what to fill', () => {
    const outputs = t.findOutputs('*');
    expect(Object.keys(outputs)).toEqual(
      expect.arrayContaining([
        'JenkinsUrl',
        'OpenUiCommand',
        'AdminPasswordSecret',
        'CredentialsToFill',
        'CredentialsSecretPrefix',
        'FleetTagValue',
        'ReaperMaxRunningHours',
        'ReaperBusyGraceMinutes',
        'ReaperMaxStoppedDays',
        'JenkinsHomeVolume',
      ]),
    );
    expect(JSON.stringify(outputs.OpenUiCommand.Value)).toContain('AWS-StartPortForwardingSession');
    expect(outputs.JenkinsUrl.Value).toBe('http://localhost:8080/');
    // Read by `npm run workers -- reap` so the CLI applies the reaper's busy rule.
    expect(outputs.ReaperBusyGraceMinutes.Value).toBe('20');
  });

  it('resolves the worker AMI from the public Deep Learning AMI parameter at deploy time', () => {
    const params = t.toJSON().Parameters as Record<string, { Type: string; Default: string }>;
    expect(Object.values(params)).toContainEqual(
      expect.objectContaining({
        Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>',
        Default: '/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id',
      }),
    );
  });

  it('points the controller at the config bundle through one parameter, secrets by ARN only', () => {
    const param = Object.values(t.findResources('AWS::SSM::Parameter')).find(
      (p) => JSON.stringify(p.Properties.Name) === '"/JenkinsGpuTraining/controller/config"',
    );
    expect(param).toBeDefined();
    const value = JSON.stringify(param!.Properties.Value);
    for (const name of [
      'WORKER_AMI_ID',
      'WORKER_SUBNET_IDS',
      'WORKER_SECURITY_GROUP_ID',
      'WORKER_INSTANCE_PROFILE_ARN',
      'FLEET_TAG_VALUE',
      'JENKINS_URL',
    ]) {
      expect(value).toContain(name);
    }
    expect(value).toMatch(/ADMIN_PASSWORD\\":\\"",\{"Ref":"CredentialsAdminPassword/);
  });

  it('gives the GPU workers read access to exactly their boot payload, whose URI JCasC fills in', () => {
    // The config parameter, not the controller's self-replacement count.
    const param = Object.values(t.findResources('AWS::SSM::Parameter')).find(
      (p) => p.Properties.Name === '/JenkinsGpuTraining/controller/config',
    )!;
    expect(JSON.stringify(param.Properties.Value)).toMatch(
      /WORKER_PAYLOAD_S3_URI\\":\\"s3:\/\/",\{"Fn::Sub":"cdk-[^"]*-assets-/,
    );
    const workerPolicy = Object.values(t.findResources('AWS::IAM::Policy')).find((p) =>
      JSON.stringify(p.Properties.Roles).includes('WorkersRole'),
    )!;
    const read = workerPolicy.Properties.PolicyDocument.Statement.find(
      (st: { Sid?: string }) => st.Sid === 'ReadWorkerBootPayload',
    );
    expect(read.Action).toBe('s3:GetObject');
    expect(JSON.stringify(read.Resource)).toMatch(
      /:s3:::",\{"Fn::Sub":"cdk-[^"]*-assets-[^"]*"\},"\/[0-9a-f]{64}\.sh"/,
    );
  });

  it('applies a new bundle on deploy through the custom resource, after the controller exists', () => {
    t.hasResource('Custom::JenkinsConfigApply', {
      Properties: Match.objectLike({ Digest: Match.stringLikeRegexp('^[0-9a-f]{64}$') }),
      DependsOn: Match.arrayWith([Match.stringLikeRegexp('^ControllerAsg')]),
    });
  });

  it('rejects invalid casc at synth with the validator message', () => {
    const repo = repoCopy();
    editFile(path.join(repo, 'casc/ec2-cloud.yaml'), 'mode: EXCLUSIVE', 'mode: NORMAL');
    expect(() => stackFrom(repo)).toThrow(CascValidationError);
    expect(() => stackFrom(repo)).toThrow(
      /casc\/ec2-cloud\.yaml:\d+: jenkins\.clouds\[0\]\.amazonEC2\.templates\[0\]\.mode/,
    );
  });
});

describe('a casc/ or jobs/ edit', () => {
  const base = shippedStack();
  const repo = repoCopy();
  editFile(path.join(repo, 'casc/ec2-cloud.yaml'), 'instanceCapStr: "4"', 'instanceCapStr: "6"');
  editFile(
    path.join(repo, 'casc/ec2-cloud.yaml'),
    'idleTerminationMinutes: "10"',
    'idleTerminationMinutes: "30"',
  );
  editFile(path.join(repo, 'jobs/seed.groovy'), "displayName('", "displayName('Edited: ");
  const edited = stackFrom(repo);

  it('leaves the launch template, its user data and the Auto Scaling group byte-identical', () => {
    for (const type of [
      'AWS::EC2::LaunchTemplate',
      'AWS::AutoScaling::AutoScalingGroup',
      'AWS::EC2::Volume',
    ]) {
      expect(resourcesOfType(edited, type)).toBe(resourcesOfType(base, type));
    }
  });

  it('moves the too-many-workers alarm with the cloud cap', () => {
    const threshold = (t: Template) =>
      Object.values(t.findResources('AWS::CloudWatch::Alarm')).find(
        (a) => a.Properties.MetricName === 'RunningWorkers',
      )!.Properties.Threshold;
    expect(threshold(base)).toBe(4);
    expect(threshold(edited)).toBe(6);
  });

  it('changes the bundle the controller applies', () => {
    const digest = (t: Template) =>
      Object.values(t.findResources('Custom::JenkinsConfigApply'))[0].Properties.Digest;
    expect(digest(edited)).not.toBe(digest(base));
  });
});

describe('IAM derived from the YAML', () => {
  it('follows an instance type change', () => {
    const repo = repoCopy();
    const file = path.join(repo, 'casc/ec2-cloud.yaml');
    editFile(file, 'type: g4dn.xlarge', 'type: g5.xlarge');
    const policies = resourcesOfType(stackFrom(repo), 'AWS::IAM::Policy');
    expect(policies).toContain('"ec2:InstanceType":["g4dn.xlarge","g5.xlarge"]');
  });

  it('allows exactly the shipped types by default', () => {
    expect(resourcesOfType(shippedStack(), 'AWS::IAM::Policy')).toContain(
      '"ec2:InstanceType":["g4dn.xlarge"]',
    );
  });
});

describe('settings flow into the stack', () => {
  it('adds the HTTPS load balancer only in alb mode', () => {
    const arn = 'arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100';
    const app = testApp();
    const settings = resolveSettings({
      accessMode: 'alb',
      region: 'us-east-1',
      account: '123456789012',
      allowedCidrs: ['198.51.100.0/24'],
      certificateArn: arn,
    });
    const stack = new JenkinsGpuStack(app, 'Alb', {
      settings,
      env: { region: 'us-east-1', account: '123456789012' },
    });
    const t = Template.fromStack(stack);
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 1);
    expect(JSON.stringify(t.findOutputs('JenkinsUrl'))).toContain('https://');
    expect(defaultAppTemplate().findResources('AWS::ElasticLoadBalancingV2::LoadBalancer')).toEqual({});
    void Stack;
  });
});
