import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

import {
  CONTROLLER_LOG_GROUP_PREFIX,
  CONTROLLER_METRIC_NAMESPACE,
  CONTROLLER_METRICS,
  CONTROLLER_STACK_DIMENSION,
  QUEUE_STUCK_MINUTES,
} from '../contracts';
import { requireIntegerProp } from '../errors';
import { acknowledgeFinding } from '../nag/acknowledge';
import { wildcardResourceId } from '../nag/finding-id';

/**
 * The controller's logs and health metrics. The shell side (assets/controller/observability-setup.sh,
 * controller-metrics.sh) spells the same names; test/scripts/observability-setup.test.ts and controller-metrics.test.ts check that both agree.
 */
export const CONTROLLER_LOGS = ['jenkins', 'bootstrap', 'apply-config', 'cloud-init'] as const;
export type ControllerLog = (typeof CONTROLLER_LOGS)[number];

/** `/jenkins-gpu/<stack>/<log>`: a prefix of the stack's own, so the agent's IAM and the key cover only it. */
export function controllerLogGroupName(stackName: string, log: ControllerLog): string {
  return `${CONTROLLER_LOG_GROUP_PREFIX}/${stackName}/${log}`;
}

export interface ControllerObservabilityProps {
  /** The controller's instance role: the CloudWatch agent and controller-metrics.sh run with it. */
  readonly instanceRole: iam.IRole;
  /** Topic every alarm notifies (the stack's alarm topic, whose subscription is the alert e-mail). */
  readonly alarmTopic: sns.ITopic;
  /** @default logs.RetentionDays.THREE_MONTHS (90 days) */
  readonly retention?: logs.RetentionDays;
  /** Used percentage of JENKINS_HOME or the root disk above which an alarm fires. @default 85 */
  readonly diskAlarmPercent?: number;
  /** Minutes without a 200 from Jenkins (or without any sample) before JenkinsDown fires. @default 15 */
  readonly jenkinsDownMinutes?: number;
  /** Starts of jenkins.service within 15 minutes that make RestartLoop fire. @default 3 */
  readonly restartLoopCount?: number;
}

/**
 * CloudWatch Logs and alarms for the controller. Four log groups (`/jenkins-gpu/<stack>/{jenkins,
 * bootstrap,apply-config,cloud-init}`) encrypted with a key of this construct, filled by the CloudWatch
 * agent that observability-setup.sh installs; five alarms on the metrics controller-metrics.sh sends every
 * minute (Jenkins down, a restart loop, JENKINS_HOME and root disk full, a stuck queue), all to the alarm
 * topic. The log groups are deleted with the stack (a retained group would make a new stack of the same name
 * fail on its name), their key after AWS KMS's waiting period.
 */
export class ControllerObservability extends Construct {
  public readonly key: kms.Key;
  public readonly logGroups: Record<ControllerLog, logs.LogGroup>;
  public readonly alarms: {
    readonly jenkinsDown: cloudwatch.Alarm;
    readonly restartLoop: cloudwatch.Alarm;
    readonly jenkinsHomeDisk: cloudwatch.Alarm;
    readonly rootDisk: cloudwatch.Alarm;
    readonly queueStuck: cloudwatch.Alarm;
  };
  private readonly stackName: string;

  constructor(scope: Construct, id: string, props: ControllerObservabilityProps) {
    super(scope, id);
    const disk = props.diskAlarmPercent ?? 85;
    const downMinutes = props.jenkinsDownMinutes ?? 15;
    const restarts = props.restartLoopCount ?? 3;
    requireInteger('diskAlarmPercent', disk, 1, 99);
    // An alarm evaluates at most 1440 minutes of one-minute periods (CloudWatch PutMetricAlarm: Period x
    // EvaluationPeriods <= 86400 s).
    requireInteger('jenkinsDownMinutes', downMinutes, 3, 1440);
    requireInteger('restartLoopCount', restarts, 1, 100);
    this.stackName = Stack.of(this).stackName;

    this.key = this.createKey();
    this.logGroups = this.createLogGroups(props.retention ?? logs.RetentionDays.THREE_MONTHS);
    this.grantAgent(props.instanceRole);
    this.grantMetrics(props.instanceRole);
    const action = new cwActions.SnsAction(props.alarmTopic);
    this.alarms = {
      jenkinsDown: this.jenkinsDownAlarm(downMinutes),
      restartLoop: this.restartLoopAlarm(restarts),
      jenkinsHomeDisk: this.diskAlarm('JenkinsHomeDiskAlarm', 'jenkinsHomeDiskUsed', 'JENKINS_HOME', disk),
      rootDisk: this.diskAlarm('RootDiskAlarm', 'rootDiskUsed', 'The root disk', disk),
      queueStuck: this.queueStuckAlarm(),
    };
    for (const alarm of Object.values(this.alarms)) alarm.addAlarmAction(action);
  }

  /** A controller metric of this stack. */
  public metric(name: keyof typeof CONTROLLER_METRICS, props: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: CONTROLLER_METRIC_NAMESPACE,
      metricName: CONTROLLER_METRICS[name],
      dimensionsMap: { [CONTROLLER_STACK_DIMENSION]: this.stackName },
      ...props,
    });
  }

  /**
   * The key policy lets CloudWatch Logs use the key for this stack's groups only: the
   * kms:EncryptionContext:aws:logs:arn condition of the CloudWatch Logs User Guide, "Encrypt log data in
   * CloudWatch Logs using AWS Key Management Service", step 2.
   */
  private createKey(): kms.Key {
    const stack = Stack.of(this);
    const key = new kms.Key(this, 'LogsKey', {
      description: `Encrypts the Jenkins controller logs of ${this.stackName}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsUsesTheKeyForTheControllerLogs',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: `${CONTROLLER_LOG_GROUP_PREFIX}/${this.stackName}/*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    return key;
  }

  private createLogGroups(retention: logs.RetentionDays): Record<ControllerLog, logs.LogGroup> {
    const groups = {} as Record<ControllerLog, logs.LogGroup>;
    for (const log of CONTROLLER_LOGS) {
      const group = new logs.LogGroup(this, `${pascal(log)}Logs`, {
        logGroupName: controllerLogGroupName(this.stackName, log),
        retention,
        encryptionKey: this.key,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      // The key policy must exist before CloudWatch Logs is asked to use the key.
      group.node.addDependency(this.key);
      groups[log] = group;
    }
    return groups;
  }

  /**
   * What the CloudWatch agent calls to ship files to groups that exist (it creates a group, or sets its
   * retention, only when its config asks, and ours does not): CreateLogStream, DescribeLogStreams and
   * PutLogEvents (CloudWatch Agent User Guide, "Create IAM roles and users for use with the CloudWatch
   * agent", the logs part of CloudWatchAgentServerPolicy), on these groups only.
   */
  private grantAgent(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ShipControllerLogs',
        actions: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
        resources: Object.values(this.logGroups).map((g) => g.logGroupArn),
      }),
    );
  }

  private grantMetrics(role: iam.IRole): void {
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PutControllerMetrics',
        // PutMetricData has no resource-level permissions; the namespace condition is its only scope.
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': CONTROLLER_METRIC_NAMESPACE } },
      }),
    );
    acknowledgeFinding(
      role,
      wildcardResourceId(this, '*'),
      `cloudwatch:PutMetricData has no resource-level permissions; limited to the namespace ${CONTROLLER_METRIC_NAMESPACE}`,
    );
  }

  /**
   * One-minute samples; down when none of the last N minutes saw a 200. Missing data breaches: a dead
   * instance, a stopped timer or a failed boot before the timer started send nothing at all.
   */
  private jenkinsDownAlarm(minutes: number): cloudwatch.Alarm {
    return new cloudwatch.Alarm(this, 'JenkinsDownAlarm', {
      alarmDescription: `Jenkins has not answered /login with 200 for ${minutes} minutes, or the controller sends no metrics (see ${controllerLogGroupName(this.stackName, 'jenkins')} and .../bootstrap)`,
      metric: this.metric('jenkinsUp', { statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(1) }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: minutes,
      datapointsToAlarm: minutes,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
  }

  private restartLoopAlarm(count: number): cloudwatch.Alarm {
    return new cloudwatch.Alarm(this, 'RestartLoopAlarm', {
      alarmDescription: `jenkins.service started ${count} or more times within 15 minutes (OOM or crash loop; see ${controllerLogGroupName(this.stackName, 'jenkins')})`,
      metric: this.metric('jenkinsRestarts', {
        statistic: cloudwatch.Stats.SUM,
        period: Duration.minutes(15),
      }),
      threshold: count,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** Missing data: no sample (JENKINS_HOME not mounted, or no metrics at all) is JenkinsDown's to report. */
  private diskAlarm(
    id: string,
    metric: 'jenkinsHomeDiskUsed' | 'rootDiskUsed',
    what: string,
    percent: number,
  ): cloudwatch.Alarm {
    return new cloudwatch.Alarm(this, id, {
      alarmDescription: `${what} of the Jenkins controller is more than ${percent}% full`,
      metric: this.metric(metric, { statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(5) }),
      threshold: percent,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /**
   * The script counts buildable items older than QUEUE_STUCK_MINUTES only while no executor is busy (a
   * build waiting behind a running one is not stuck); two five-minute periods, so one sample taken as a
   * worker was connecting does not page.
   */
  private queueStuckAlarm(): cloudwatch.Alarm {
    return new cloudwatch.Alarm(this, 'QueueStuckAlarm', {
      alarmDescription: `Builds have waited more than ${QUEUE_STUCK_MINUTES} minutes in the queue while no executor is busy: no GPU worker can start or connect (instance cap, capacity, launch errors; see ${controllerLogGroupName(this.stackName, 'jenkins')})`,
      metric: this.metric('queueStuckItems', {
        statistic: cloudwatch.Stats.MINIMUM,
        period: Duration.minutes(5),
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }
}

function pascal(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, _dash, c: string) => c.toUpperCase());
}

function requireInteger(prop: string, value: number, min: number, max: number): void {
  requireIntegerProp('ControllerObservability', prop, value, { min, max });
}
