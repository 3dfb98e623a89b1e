import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';

import {
  ControllerObservability,
  ControllerObservabilityProps,
} from '../../lib/constructs/controller-observability';
import { CONTROLLER_METRIC_NAMESPACE } from '../../lib/contracts';
import { testStack } from '../helpers';

function build(props: Partial<ControllerObservabilityProps> = {}) {
  const stack = testStack('jg');
  const role = new iam.Role(stack, 'InstanceRole', {
    assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
  });
  const topic = new sns.Topic(stack, 'Alarms');
  const obs = new ControllerObservability(stack, 'Observability', {
    instanceRole: role,
    alarmTopic: topic,
    ...props,
  });
  return {
    stack,
    obs,
    t: Template.fromStack(stack),
    topicRef: { Ref: stack.getLogicalId(topic.node.defaultChild as never) },
  };
}

const keyArn = (stack: Stack, obs: ControllerObservability) => ({
  'Fn::GetAtt': [stack.getLogicalId(obs.key.node.defaultChild as never), 'Arn'],
});

describe('ControllerObservability', () => {
  const { stack, obs, t, topicRef } = build();

  it('creates the four log groups of the stack, 90 days, encrypted with its key, deleted with the stack', () => {
    for (const log of ['jenkins', 'bootstrap', 'apply-config', 'cloud-init']) {
      t.hasResource('AWS::Logs::LogGroup', {
        Properties: {
          LogGroupName: `/jenkins-gpu/jg/${log}`,
          RetentionInDays: 90,
          KmsKeyId: keyArn(stack, obs),
        },
        DeletionPolicy: 'Delete',
        DependsOn: Match.arrayWith([stack.getLogicalId(obs.key.node.defaultChild as never)]),
      });
    }
    t.resourceCountIs('AWS::Logs::LogGroup', 4);
  });

  it('lets CloudWatch Logs use the key only for the groups under /jenkins-gpu/<stack>/', () => {
    t.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'CloudWatchLogsUsesTheKeyForTheControllerLogs',
            Effect: 'Allow',
            Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
            Action: [
              'kms:Encrypt*',
              'kms:Decrypt*',
              'kms:ReEncrypt*',
              'kms:GenerateDataKey*',
              'kms:Describe*',
            ],
            Resource: '*',
            Condition: {
              ArnLike: {
                'kms:EncryptionContext:aws:logs:arn': {
                  'Fn::Join': [
                    '',
                    [
                      'arn:',
                      { Ref: 'AWS::Partition' },
                      ':logs:',
                      { Ref: 'AWS::Region' },
                      ':',
                      { Ref: 'AWS::AccountId' },
                      ':log-group:/jenkins-gpu/jg/*',
                    ],
                  ],
                },
              },
            },
          },
        ]),
      },
    });
  });

  it('lets the agent write only to these groups, and metrics only in its namespace', () => {
    const statements = Object.values(t.findResources('AWS::IAM::Policy')).flatMap(
      (p) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>,
    );
    const ship = statements.find((s) => s.Sid === 'ShipControllerLogs')!;
    expect(ship.Action).toEqual(['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents']);
    expect(ship.Resource).toHaveLength(4);
    expect(JSON.stringify(ship.Resource)).not.toMatch(/"\*"/);
    expect(statements.find((s) => s.Sid === 'PutControllerMetrics')).toEqual({
      Sid: 'PutControllerMetrics',
      Effect: 'Allow',
      Action: 'cloudwatch:PutMetricData',
      Resource: '*',
      Condition: { StringEquals: { 'cloudwatch:namespace': CONTROLLER_METRIC_NAMESPACE } },
    });
  });

  const alarm = (metricName: string) => {
    const found = Object.values(t.findResources('AWS::CloudWatch::Alarm')).filter(
      (a) => a.Properties.MetricName === metricName,
    );
    expect(found).toHaveLength(1);
    const p = found[0].Properties;
    expect(p.Namespace).toBe(CONTROLLER_METRIC_NAMESPACE);
    expect(p.Dimensions).toEqual([{ Name: 'StackName', Value: 'jg' }]);
    expect(p.AlarmActions).toEqual([topicRef]);
    return p;
  };

  it('JenkinsDown: no 200 from /login in 15 one-minute periods, and no data at all is down', () => {
    expect(alarm('JenkinsUp')).toMatchObject({
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 15,
      DatapointsToAlarm: 15,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
  });

  it('RestartLoop: 3 or more starts of jenkins.service within 15 minutes', () => {
    expect(alarm('JenkinsRestarts')).toMatchObject({
      Statistic: 'Sum',
      Period: 900,
      EvaluationPeriods: 1,
      Threshold: 3,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it.each(['JenkinsHomeDiskUsedPercent', 'RootDiskUsedPercent'])('%s above 85%%', (metric) => {
    expect(alarm(metric)).toMatchObject({
      Statistic: 'Maximum',
      Period: 300,
      EvaluationPeriods: 1,
      Threshold: 85,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('QueueStuck: a stuck item in two five-minute periods in a row', () => {
    expect(alarm('QueueStuckItems')).toMatchObject({
      Statistic: 'Minimum',
      Period: 300,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
    t.resourceCountIs('AWS::CloudWatch::Alarm', 5);
  });

  it('takes another disk threshold and down time', () => {
    const other = build({ diskAlarmPercent: 90, jenkinsDownMinutes: 20 }).t;
    other.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'RootDiskUsedPercent',
      Threshold: 90,
    });
    other.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'JenkinsUp', EvaluationPeriods: 20 });
  });

  it.each([
    [{ diskAlarmPercent: 100 }, 'diskAlarmPercent must be an integer from 1 to 99 (got 100)'],
    [{ jenkinsDownMinutes: 2 }, 'jenkinsDownMinutes must be an integer from 3 to 1440 (got 2)'],
    [{ restartLoopCount: 0.5 }, 'restartLoopCount must be an integer from 1 to 100 (got 0.5)'],
  ])('rejects %j', (props, message) => {
    expect(() => build(props)).toThrow(`ControllerObservability: ${message}`);
  });
});
