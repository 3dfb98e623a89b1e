import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';

import { CostGuard, CostGuardProps } from '../../lib/constructs/cost-guard';
import { testApp } from '../helpers';

const baseProps: CostGuardProps = {
  fleetTagValue: 'JenkinsGpuTraining',
  cloudInstanceCap: 2,
  maxRunningHours: 7,
};

function synth(props: Partial<CostGuardProps> = {}): Template {
  // Skip esbuild: the handler is bundled in the real synth; here only the template matters.
  const app = testApp();
  const stack = new Stack(app, 'Test');
  new CostGuard(stack, 'CostGuard', { ...baseProps, ...props });
  return Template.fromStack(stack);
}

// Synthesis is the slow part: two shared templates, one with every option and one with the defaults.
const full = synth({
  currentAmiIds: ['ami-0123456789abcdef0', 'ami-0fedcba9876543210'],
  alertEmail: 'ml-team@example.com',
  hourlyBurnThresholdUsd: 4,
  monthlyBudgetUsd: 500,
});
const minimal = synth();

describe('reaper function', () => {
  const template = full;

  it('is a Node.js 22 arm64 function configured from the props', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Environment: {
        Variables: {
          FLEET_TAG_VALUE: 'JenkinsGpuTraining',
          MAX_RUNNING_HOURS: '7',
          BUSY_GRACE_MINUTES: '20',
          MAX_BUSY_HOURS: '96',
          MAX_STOPPED_DAYS: '7',
          CURRENT_AMI_IDS: 'ami-0123456789abcdef0,ami-0fedcba9876543210',
          DRY_RUN: 'false',
        },
      },
    });
  });

  it('logs to its own log group with a retention', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('ReaperLogs') } },
    });
  });

  it('runs every 15 minutes by default', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(15 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('Reaper'), 'Arn'] } })],
    });
  });

  it('may describe everything but stop and terminate only instances tagged with its fleet', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Action: 'ec2:DescribeInstances', Effect: 'Allow', Resource: '*' },
          {
            Action: ['ec2:StopInstances', 'ec2:TerminateInstances'],
            Effect: 'Allow',
            Resource: Match.anyValue(),
            Condition: { StringEquals: { 'aws:ResourceTag/jenkins-gpu:fleet': 'JenkinsGpuTraining' } },
          },
        ]),
      },
    });
    // No unconditioned stop/terminate anywhere, and no managed policies on the reaper role.
    const policies = template.findResources('AWS::IAM::Policy');
    for (const policy of Object.values(policies)) {
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        const actions = [statement.Action].flat();
        if (actions.some((a: string) => /Stop|Terminate/.test(a))) expect(statement.Condition).toBeDefined();
      }
    }
    template.hasResourceProperties('AWS::IAM::Role', { ManagedPolicyArns: Match.absent() });
  });

  it('passes dry run, stopped days, busy grace, an empty AMI list and a custom schedule through', () => {
    const t = synth({
      dryRun: true,
      maxStoppedDays: 3,
      busyGraceMinutes: 45,
      schedule: events.Schedule.rate(Duration.hours(1)),
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          DRY_RUN: 'true',
          MAX_STOPPED_DAYS: '3',
          BUSY_GRACE_MINUTES: '45',
          CURRENT_AMI_IDS: '',
        }),
      },
    });
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 hour)' });
  });
});

describe('alarms and notifications', () => {
  it('alarms when more workers run than the cap', () => {
    minimal.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'JenkinsGpu',
      MetricName: 'RunningWorkers',
      Dimensions: [{ Name: 'Fleet', Value: 'JenkinsGpuTraining' }],
      Threshold: 2,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('AlarmTopic') }],
    });
  });

  it('alarms on the burn rate only when a threshold is given', () => {
    expect(
      Object.keys(
        minimal.findResources('AWS::CloudWatch::Alarm', {
          Properties: { MetricName: 'EstimatedHourlyCost' },
        }),
      ),
    ).toHaveLength(0);
    full.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'JenkinsGpu',
      MetricName: 'EstimatedHourlyCost',
      Threshold: 4,
      ComparisonOperator: 'GreaterThanThreshold',
    });
  });

  it('alarms when the reaper itself fails', () => {
    minimal.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Threshold: 0,
    });
  });

  it('encrypts the topic with a rotating customer key CloudWatch may use, and enforces SSL', () => {
    const t = full;
    t.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('AlarmTopicKey'), 'Arn'] },
    });
    t.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          }),
        ]),
      },
    });
    t.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ml-team@example.com' });
  });

  it('subscribes no e-mail by default and creates no budget', () => {
    const t = minimal;
    t.resourceCountIs('AWS::SNS::Subscription', 0);
    t.resourceCountIs('AWS::Budgets::Budget', 0);
  });

  it('adds a monthly budget with alerts at 80 and 100 %', () => {
    const subscribers = [
      { SubscriptionType: 'SNS', Address: { Ref: Match.stringLikeRegexp('AlarmTopic') } },
      { SubscriptionType: 'EMAIL', Address: 'ml-team@example.com' },
    ];
    full.hasResourceProperties('AWS::Budgets::Budget', {
      Budget: { BudgetType: 'COST', TimeUnit: 'MONTHLY', BudgetLimit: { Amount: 500, Unit: 'USD' } },
      NotificationsWithSubscribers: [80, 100].map((threshold) => ({
        Notification: {
          NotificationType: 'ACTUAL',
          ComparisonOperator: 'GREATER_THAN',
          Threshold: threshold,
          ThresholdType: 'PERCENTAGE',
        },
        Subscribers: subscribers,
      })),
    });
  });
});

describe('props validation', () => {
  it.each<[Partial<CostGuardProps>, string]>([
    [{ fleetTagValue: ' ' }, 'CostGuard: fleetTagValue must not be empty'],
    [{ cloudInstanceCap: 0 }, 'CostGuard: cloudInstanceCap must be a positive integer (got 0)'],
    [{ cloudInstanceCap: 1.5 }, 'CostGuard: cloudInstanceCap must be a positive integer (got 1.5)'],
    [{ maxRunningHours: -2 }, 'CostGuard: maxRunningHours must be a positive number (got -2)'],
    [
      { busyGraceMinutes: 9.999 },
      "CostGuard: busyGraceMinutes must be a number of at least 10, twice the watchdog's 5-minute tag interval (got 9.999)",
    ],
    [
      { busyGraceMinutes: NaN },
      "CostGuard: busyGraceMinutes must be a number of at least 10, twice the watchdog's 5-minute tag interval (got NaN)",
    ],
    [{ maxBusyHours: 3 }, 'CostGuard: maxBusyHours must be a number of at least maxRunningHours (7) (got 3)'],
    [{ maxStoppedDays: -1 }, 'CostGuard: maxStoppedDays must be a positive integer (got -1)'],
    [{ maxStoppedDays: 0.5 }, 'CostGuard: maxStoppedDays must be a positive integer (got 0.5)'],
    [
      { currentAmiIds: ['ubuntu'] },
      "CostGuard: currentAmiIds must hold AMI ids like ami-0123456789abcdef0 (got 'ubuntu')",
    ],
    [{ alertEmail: 'nobody' }, "CostGuard: alertEmail must be an e-mail address (got 'nobody')"],
    [{ hourlyBurnThresholdUsd: 0 }, 'CostGuard: hourlyBurnThresholdUsd must be a positive number (got 0)'],
    [{ monthlyBudgetUsd: -5 }, 'CostGuard: monthlyBudgetUsd must be a positive number (got -5)'],
  ])('rejects %p', (props, message) => {
    expect(() => synth(props)).toThrow(message);
  });

  it('accepts a busy grace of exactly 10 minutes and exposes the effective value', () => {
    const app = testApp();
    const stack = new Stack(app, 'Test');
    expect(new CostGuard(stack, 'Ten', { ...baseProps, busyGraceMinutes: 10 }).busyGraceMinutes).toBe(10);
    expect(new CostGuard(stack, 'Default', baseProps).busyGraceMinutes).toBe(20);
  });
});
