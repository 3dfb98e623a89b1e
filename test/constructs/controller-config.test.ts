import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { bundleOfRepo } from '../../lib/casc/load-casc';
import { STACK_VARIABLES } from '../../lib/casc/stack-variables';
import { ControllerConfig, ControllerConfigProps } from '../../lib/constructs/controller-config';
import { controllerIn, testStack } from '../helpers';

function tinyRepo(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'config-'));
  fs.mkdirSync(path.join(root, 'casc'));
  fs.writeFileSync(path.join(root, 'casc', 'jenkins.yaml'), 'jenkins:\n  numExecutors: 0\n');
  return root;
}

const PLAIN = Object.fromEntries(
  STACK_VARIABLES.filter((v) => !v.secret).map((v) => [v.name, `value-of-${v.name}`]),
);

/** A ControllerConfig on a real controller; `overrides` may use the stack (e.g. to create a topic). */
function build(
  overrides: Partial<ControllerConfigProps> | ((stack: Stack) => Partial<ControllerConfigProps>) = {},
) {
  const stack = testStack();
  const { controller } = controllerIn(stack);
  const admin = new secretsmanager.Secret(stack, 'Admin');
  const token = new secretsmanager.Secret(stack, 'Token');
  const config = new ControllerConfig(stack, 'Config', {
    controller,
    bundle: bundleOfRepo(tinyRepo()),
    variables: PLAIN,
    secretVariables: { ADMIN_PASSWORD: admin },
    reloadTokenSecret: token,
    ...(typeof overrides === 'function' ? overrides(stack) : overrides),
  });
  return { config, t: Template.fromStack(stack) };
}

describe('ControllerConfig', () => {
  const { config, t } = build();

  it('publishes bundle location, digest and variables in one parameter, secrets as ARNs', () => {
    // The controller's own parameter (its self-replacement count) is the other one.
    const param = Object.values(t.findResources('AWS::SSM::Parameter')).find(
      (p) => p.Properties.Name === '/TestStack/controller/config',
    )!;
    expect(param.Properties.Name).toBe('/TestStack/controller/config');
    const value = JSON.stringify(param.Properties.Value);
    expect(value).toContain(config.digest);
    expect(value).toContain('value-of-WORKER_AMI_ID');
    expect(value).toMatch(/ADMIN_PASSWORD\\":\\"",\{"Ref":"Admin/);
    expect(value).toMatch(/reloadTokenSecret\\":\\"",\{"Ref":"Token/);
  });

  it('lets the controller read exactly the bundle object and the secrets', () => {
    const policy = JSON.stringify(t.findResources('AWS::IAM::Policy'));
    expect(policy).toContain('"Sid":"ReadConfigBundle"');
    expect(policy).toMatch(/"s3:GetObject".*\/[0-9a-f]{64}\.zip/);
    expect(policy).toContain('"Ref":"Admin');
    expect(policy).toContain('"Ref":"Token');
  });

  it('applies the bundle at deploy through a custom resource that waits for the controller', () => {
    t.hasResource('Custom::JenkinsConfigApply', {
      Properties: Match.objectLike({ Digest: config.digest, TimeoutSeconds: '1740' }),
      DependsOn: Match.arrayWith([
        Match.stringLikeRegexp('^ConfigParameter'),
        Match.stringLikeRegexp('^ControllerAsg'),
      ]),
    });
    t.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Runtime: 'nodejs24.x', Handler: 'index.onEvent' },
      1,
    );
    t.resourcePropertiesCountIs(
      'AWS::Lambda::Function',
      { Runtime: 'nodejs24.x', Handler: 'index.isComplete' },
      1,
    );
  });

  it('may run commands only on instances of the controller group', () => {
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'ssm:SendCommand',
            Condition: {
              StringEquals: {
                'aws:ResourceTag/aws:autoscaling:groupName': {
                  Ref: Match.stringLikeRegexp('^ControllerAsg'),
                },
              },
            },
          }),
        ]),
      },
    });
  });

  it('tells the controller how long an upgrade may wait for running builds (60 minutes by default)', () => {
    const valueOf = (tpl: Template) =>
      JSON.stringify(
        Object.values(tpl.findResources('AWS::SSM::Parameter')).find(
          (p) => p.Properties.Name === '/TestStack/controller/config',
        )!.Properties.Value,
      );
    expect(valueOf(t)).toContain('safeRestartMaxWaitMinutes\\":60');
    expect(valueOf(build({ safeRestartMaxWaitMinutes: 240 }).t)).toContain(
      'safeRestartMaxWaitMinutes\\":240',
    );
    expect(() => build({ safeRestartMaxWaitMinutes: 4 })).toThrow(
      'ControllerConfig: safeRestartMaxWaitMinutes must be an integer from 5 to 1440 (got 4)',
    );
  });

  it('lets the controller set its parameter back after a rollback, and nothing else', () => {
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^ControllerRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'RestoreConfigParameter',
            Action: ['ssm:GetParameterHistory', 'ssm:PutParameter'],
            Resource: Match.not(Match.stringLikeRegexp('\\*')),
          }),
        ]),
      },
    });
  });

  it('lets the apply function see whether the agent is online and whether the stack rolls back', () => {
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^ConfigApplyOnEventRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['autoscaling:DescribeAutoScalingGroups', 'ssm:DescribeInstanceInformation'],
            Resource: '*',
          }),
          Match.objectLike({ Action: 'cloudformation:DescribeStacks', Resource: { Ref: 'AWS::StackId' } }),
        ]),
      },
    });
  });

  it('tells the controller the alarm topic and lets it publish there, when one is given', () => {
    expect(JSON.stringify(t.findResources('AWS::SSM::Parameter'))).not.toContain('alertTopicArn');
    const withTopic = build((stack) => ({ alertTopic: new sns.Topic(stack, 'Alerts') })).t;
    expect(JSON.stringify(withTopic.findResources('AWS::SSM::Parameter'))).toMatch(
      /alertTopicArn\\":\\"",\{"Ref":"Alerts/,
    );
    withTopic.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^ControllerRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'sns:Publish', Resource: { Ref: Match.stringLikeRegexp('^Alerts') } }),
        ]),
      },
    });
  });

  it("leaves only the current bundle in the cloud assembly: an earlier synth's is removed, a partial one kept", () => {
    const stack = testStack();
    const bundles = path.join(
      (stack.node.root as unknown as { outdir: string }).outdir,
      'jenkins-config-bundles',
    );
    const stale = path.join(bundles, 'a'.repeat(64));
    const partial = path.join(bundles, `${'b'.repeat(64)}.partial-4242`);
    for (const dir of [stale, partial]) fs.mkdirSync(path.join(dir, 'casc'), { recursive: true });
    const { controller } = controllerIn(stack);
    const config = new ControllerConfig(stack, 'Config', {
      controller,
      bundle: bundleOfRepo(tinyRepo()),
      variables: PLAIN,
      secretVariables: { ADMIN_PASSWORD: new secretsmanager.Secret(stack, 'Admin') },
      reloadTokenSecret: new secretsmanager.Secret(stack, 'Token'),
    });

    expect(fs.readdirSync(bundles).sort()).toEqual([config.digest, path.basename(partial)].sort());
  });

  it('rejects variables that do not match the stack variables', () => {
    const missing = Object.fromEntries(Object.entries(PLAIN).filter(([name]) => name !== 'WORKER_AMI_ID'));
    expect(() => build({ variables: { ...missing, TYPO: 'x' } })).toThrow(
      'ControllerConfig: variables must match lib/casc/stack-variables.ts (missing: WORKER_AMI_ID; unknown: TYPO; secret/plain mixed up: none)',
    );
    expect(() => build({ applyTimeoutMinutes: 2 })).toThrow(
      'ControllerConfig: applyTimeoutMinutes must be an integer from 5 to 110 (got 2)',
    );
  });
});
