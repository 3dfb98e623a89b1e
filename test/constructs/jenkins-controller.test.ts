import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as fs from 'fs';
import * as path from 'path';

import { JenkinsController } from '../../lib/constructs/jenkins-controller';
import { controllerIn, testStack } from '../helpers';
import { renderedUserData as fromTemplate } from '../tools/user-data';

const renderedUserData = (t: Template) => fromTemplate(t.toJSON() as never);

function controllerTemplate(props: Partial<ConstructorParameters<typeof JenkinsController>[2]> = {}) {
  const stack = testStack();
  const { controller } = controllerIn(stack, props);
  return { stack, controller, t: Template.fromStack(stack) };
}

describe('JenkinsController', () => {
  const { controller, t } = controllerTemplate();

  it('runs exactly one instance in one subnet', () => {
    t.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MinSize: '1',
      MaxSize: '1',
      VPCZoneIdentifier: [Match.anyValue()],
    });
  });

  it('never runs two controllers against JENKINS_HOME during an update and waits for the boot signal', () => {
    t.hasResource('AWS::AutoScaling::AutoScalingGroup', {
      UpdatePolicy: {
        AutoScalingRollingUpdate: Match.objectLike({
          MaxBatchSize: 1,
          MinInstancesInService: 0,
          WaitOnResourceSignals: true,
        }),
        AutoScalingScheduledAction: Match.anyValue(),
      },
      CreationPolicy: { ResourceSignal: { Count: 1, Timeout: 'PT30M' } },
    });
    t.resourcePropertiesCountIs('AWS::AutoScaling::AutoScalingGroup', {}, 1);
  });

  it('requires IMDSv2 and encrypts the root volume', () => {
    t.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        BlockDeviceMappings: [
          {
            DeviceName: '/dev/xvda',
            Ebs: { Encrypted: true, VolumeSize: 30, VolumeType: 'gp3', DeleteOnTermination: true },
          },
        ],
      }),
    });
  });

  it('resolves the AMI at launch, so a new AMI never changes the launch template', () => {
    t.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        ImageId: 'resolve:ssm:/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64',
      }),
    });
  });

  it('keeps JENKINS_HOME on an encrypted gp3 volume that is retained', () => {
    t.hasResource('AWS::EC2::Volume', {
      Properties: Match.objectLike({ Encrypted: true, VolumeType: 'gp3', Size: 50 }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  it('snapshots JENKINS_HOME daily and keeps 14 snapshots by default', () => {
    t.hasResourceProperties('AWS::DLM::LifecyclePolicy', {
      State: 'ENABLED',
      PolicyDetails: Match.objectLike({
        ResourceTypes: ['VOLUME'],
        TargetTags: [{ Key: 'jenkins-gpu:home', Value: Match.anyValue() }],
        Schedules: [
          Match.objectLike({
            CreateRule: Match.objectLike({ Interval: 24, IntervalUnit: 'HOURS' }),
            RetainRule: { Count: 14 },
          }),
        ],
      }),
    });
  });

  it('opens no inbound port', () => {
    const groups = t.findResources('AWS::EC2::SecurityGroup');
    const controllerGroup = Object.values(groups).find((g) =>
      String(g.Properties.GroupDescription).startsWith('Jenkins controller'),
    );
    expect(controllerGroup).toBeDefined();
    expect(controllerGroup!.Properties.SecurityGroupIngress).toBeUndefined();
    t.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
  });

  it('gets what the SSM agent needs inline, no AWS managed policy, and attaches only its own volume', () => {
    const role = Object.values(
      t.findResources('AWS::IAM::Role', { Properties: { Description: 'Jenkins controller instance role' } }),
    );
    expect(role).toHaveLength(1);
    expect(role[0].Properties.ManagedPolicyArns).toBeUndefined();
    const statements = (
      Object.values(t.findResources('AWS::IAM::Policy')) as {
        Properties: { PolicyDocument: { Statement: { Sid?: string }[] } };
      }[]
    ).flatMap((p) => p.Properties.PolicyDocument.Statement);
    const sid = (name: string) =>
      statements.find((s) => s.Sid === name) as Record<string, unknown> | undefined;
    expect(sid('SessionManagerChannel')).toMatchObject({
      Action: [
        'ssmmessages:CreateControlChannel',
        'ssmmessages:CreateDataChannel',
        'ssmmessages:OpenControlChannel',
        'ssmmessages:OpenDataChannel',
      ],
      Resource: '*',
    });
    expect(sid('RunCommandChannel')).toMatchObject({
      Action: expect.arrayContaining(['ec2messages:GetMessages', 'ec2messages:SendReply']),
    });
    expect(sid('SsmAgentRegister')).toMatchObject({ Action: 'ssm:UpdateInstanceInformation' });
    // Nothing reads SSM parameters beyond what ControllerConfig grants on its own parameter, and the
    // self-replacement counter (its own test below).
    expect(JSON.stringify(statements.filter((s) => s.Sid !== 'CountSelfReplacements'))).not.toMatch(
      /ssm:GetParameters?"|ssm:\*/,
    );
    const policy = JSON.stringify(statements);
    expect(policy).toContain('"Sid":"AttachJenkinsHome"');
    expect(policy).toContain('"aws:ResourceTag/jenkins-gpu:role":"controller"');
    expect(policy).toContain('"cloudformation:SignalResource"');
  });

  it('may count its self-replacements in its own parameter and mark itself unhealthy in its own group only', () => {
    t.hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/TestStack/controller/self-replacements',
      Type: 'String',
      Value: '0',
    });
    const parameterId = Object.keys(
      t.findResources('AWS::SSM::Parameter', {
        Properties: { Name: '/TestStack/controller/self-replacements' },
      }),
    )[0];
    const roleId = Object.keys(
      t.findResources('AWS::IAM::Role', { Properties: { Description: 'Jenkins controller instance role' } }),
    )[0];
    const asgId = Object.keys(t.findResources('AWS::AutoScaling::AutoScalingGroup'))[0];
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: roleId }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'CountSelfReplacements',
            Effect: 'Allow',
            Action: ['ssm:GetParameter', 'ssm:PutParameter'],
            Resource: { 'Fn::Join': ['', Match.arrayWith([':parameter', { Ref: parameterId }])] },
          }),
        ]),
      },
    });
    t.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: roleId }],
      PolicyDocument: {
        Statement: [
          {
            Sid: 'MarkOwnInstanceUnhealthy',
            Effect: 'Allow',
            Action: 'autoscaling:SetInstanceHealth',
            Resource: {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':autoscaling:',
                  { Ref: 'AWS::Region' },
                  ':',
                  { Ref: 'AWS::AccountId' },
                  ':autoScalingGroup:*:autoScalingGroupName/',
                  { Ref: asgId },
                ],
              ],
            },
          },
        ],
      },
    });
  });

  it('bounds the AWS managed snapshot role to JENKINS_HOME and its own snapshots', () => {
    const statements = JSON.stringify(t.findResources('AWS::IAM::Policy'));
    expect(statements).toContain('"Sid":"DenySnapshotsOfOtherVolumes"');
    expect(statements).toContain('"aws:ResourceTag/jenkins-gpu:home":"TestStack"');
    expect(statements).toContain('"Sid":"DenyDeletingOtherSnapshots"');
    expect(statements).toMatch(
      /"aws:ResourceTag\/aws:dlm:lifecycle-policy-id":\{"Ref":"ControllerDailySnapshots/,
    );
  });

  it('tags the instance as the controller', () => {
    t.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      Tags: Match.arrayWith([{ Key: 'jenkins-gpu:role', Value: 'controller', PropagateAtLaunch: true }]),
    });
  });

  it('user data fetches the scripts and runs bootstrap with the config parameter, volume and signal target', () => {
    const userData = renderedUserData(t);
    expect(userData).toContain("CONFIG_PARAMETER='/TestStack/controller/config'");
    expect(userData).toContain(
      `SIGNAL_RESOURCE='${Stack.of(controller).getLogicalId(controller.autoScalingGroup.node.defaultChild as never)}'`,
    );
    expect(userData).toMatch(/exec \/opt\/jenkins-gpu\/bin\/bootstrap\.sh/);
    const code = userData.split('\n').filter((line) => !line.trimStart().startsWith('#'));
    expect(code.join('\n')).not.toMatch(/casc|jobs\//);
  });

  // The script names what it needs on one line (`: "${NAME:?}" …`); the construct's preamble must give
  // exactly those, or the first boot fails where synth could not see it.
  it('user data gives exactly the parameters assets/user-data/controller.sh requires', () => {
    const script = fs.readFileSync(path.join(__dirname, '../../assets/user-data/controller.sh'), 'utf8');
    const required = [...script.matchAll(/"\$\{([A-Z0-9_]+):\?\}"/g)].map((m) => m[1]).sort();
    const given = [...renderedUserData(t).matchAll(/^([A-Z0-9_]+)='/gm)].map((m) => m[1]).sort();
    expect(required).toContain('SCRIPTS_S3_URL');
    expect(given).toEqual(required);
  });

  it.each([
    [
      { homeVolumeSizeGiB: 10 },
      'JenkinsController: homeVolumeSizeGiB must be an integer from 20 to 16384 (got 10)',
    ],
    [
      { snapshotRetentionDays: 0 },
      'JenkinsController: snapshotRetentionDays must be an integer from 1 to 1000 (got 0)',
    ],
    [
      { bootTimeoutMinutes: 5 },
      'JenkinsController: bootTimeoutMinutes must be an integer from 10 to 120 (got 5)',
    ],
  ])('rejects %j', (props, message) => {
    expect(() => controllerTemplate(props)).toThrow(message);
  });
});
