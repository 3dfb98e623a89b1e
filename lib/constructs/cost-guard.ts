import { Aws, Duration, Fn, Token } from 'aws-cdk-lib';
import * as budgets from 'aws-cdk-lib/aws-budgets';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct, IConstruct } from 'constructs';

import {
  COST_METRIC_NAMESPACE,
  COST_METRICS,
  FLEET_DIMENSION,
  FLEET_TAG_KEY,
  REAPER_ENV,
  ReaperEnvName,
} from '../contracts';
import {
  DEFAULT_BUSY_GRACE_MINUTES,
  DEFAULT_MAX_BUSY_HOURS,
  DEFAULT_MAX_STOPPED_DAYS,
  policyProblems,
} from '../cost/decide';
import { UserInputError } from '../errors';
import { acknowledgeFindings } from '../nag/acknowledge';
import { wildcardResourceId } from '../nag/finding-id';
import { AMI_ID, EMAIL_ADDRESS } from '../patterns';
import { projectFunction } from './lambda-defaults';

export interface CostGuardProps {
  /** Value of the `jenkins-gpu:fleet` tag on this stack's workers; the reaper only touches those. */
  readonly fleetTagValue: string;
  /** The EC2 cloud's instance cap; more running workers than this raises an alarm. */
  readonly cloudInstanceCap: number;
  /** Hard lifetime in hours of a running worker since its last start (job timeout + idle + margin). */
  readonly maxRunningHours: number;
  /**
   * A worker past `maxRunningHours` is kept while its watchdog's `jenkins-gpu:busy-at` tag (refreshed at
   * most every 5 minutes while a build runs) is at most this many minutes old: the pipeline timeout bounds
   * it. At least 10, twice the tag interval, so one missed refresh does not stop a training run.
   * @default 20
   */
  readonly busyGraceMinutes?: number;
  /**
   * Absolute limit in hours since the last start: a worker past it is stopped even while its busy tag is
   * fresh (a hung build on a controller that is alive but hung). At least `maxRunningHours`.
   * @default 96 (the pipeline's longest timeout, 72 h, plus a day)
   */
  readonly maxBusyHours?: number;
  /**
   * Days a worker may stay stopped before it is terminated (its EBS volume keeps billing).
   * @default 7
   */
  readonly maxStoppedDays?: number;
  /**
   * AMI ids the worker templates use now (tokens allowed); stopped workers from other AMIs are terminated.
   * @default [] - the AMI rule is off
   */
  readonly currentAmiIds?: string[];
  /**
   * Only log what the reaper would do.
   * @default false
   */
  readonly dryRun?: boolean;
  /**
   * When the reaper runs.
   * @default events.Schedule.rate(Duration.minutes(15))
   */
  readonly schedule?: events.Schedule;
  /**
   * E-mail address subscribed to the alarm topic (and budget alerts).
   * @default - no subscription; subscribe to `alarmTopic` yourself
   */
  readonly alertEmail?: string;
  /**
   * Alarm when the estimated on-demand cost of the running workers exceeds this many USD per hour.
   * @default - no cost alarm (the instance-count alarm still applies)
   */
  readonly hourlyBurnThresholdUsd?: number;
  /**
   * A monthly account cost budget in USD with alerts at 80 % and 100 % of actual spend.
   * @default - no budget
   */
  readonly monthlyBudgetUsd?: number;
}

/**
 * Cost guard layers 3 and 4: a scheduled reaper Lambda that stops workers past their hard lifetime unless
 * their watchdog reports a running build (terminates them if spot), and terminates long-stopped or outdated
 * ones (it works while Jenkins is down); alarms on worker count, burn rate and reaper failures; an optional
 * monthly budget.
 */
export class CostGuard extends Construct {
  readonly reaper: nodejs.NodejsFunction;
  readonly alarmTopic: sns.Topic;
  readonly runningWorkersAlarm: cloudwatch.Alarm;
  readonly hourlyCostAlarm?: cloudwatch.Alarm;
  readonly reaperErrorsAlarm: cloudwatch.Alarm;
  readonly budget?: budgets.CfnBudget;
  /** The effective policy values, for stack outputs read by `npm run workers`. */
  readonly maxRunningHours: number;
  readonly busyGraceMinutes: number;
  readonly maxBusyHours: number;
  readonly maxStoppedDays: number;

  constructor(scope: Construct, id: string, props: CostGuardProps) {
    super(scope, id);
    validateCostGuardProps(props);
    this.maxRunningHours = props.maxRunningHours;
    this.busyGraceMinutes = props.busyGraceMinutes ?? DEFAULT_BUSY_GRACE_MINUTES;
    this.maxBusyHours = props.maxBusyHours ?? DEFAULT_MAX_BUSY_HOURS;
    this.maxStoppedDays = props.maxStoppedDays ?? DEFAULT_MAX_STOPPED_DAYS;

    const { fn: reaper, role } = this.createReaper(props);
    this.reaper = reaper;
    this.alarmTopic = this.createAlarmTopic(props);
    const alarms = this.createAlarms(props);
    this.runningWorkersAlarm = alarms.runningWorkers;
    this.hourlyCostAlarm = alarms.hourlyCost;
    this.reaperErrorsAlarm = alarms.reaperErrors;

    if (props.monthlyBudgetUsd !== undefined)
      this.budget = this.createBudget(props.monthlyBudgetUsd, props.alertEmail);
    this.acknowledgeNagFindings(role);
  }

  /**
   * The reaper function on its schedule, with the effective policy in its environment. Its own role and log
   * group: logs only to that group, not AWSLambdaBasicExecutionRole's `*`.
   */
  private createReaper(props: CostGuardProps): { fn: nodejs.NodejsFunction; role: iam.Role } {
    const fleetTagValue = props.fleetTagValue;
    const amiIds = props.currentAmiIds ?? [];
    const { fn, role } = projectFunction(this, 'Reaper', {
      code: 'reaper',
      handler: 'index.handler',
      timeout: Duration.minutes(2),
      // The next scheduled run retries anyway; async retries would only repeat a failure sooner.
      retryAttempts: 0,
      description: `Stops/terminates stray GPU workers of fleet ${Token.isUnresolved(fleetTagValue) ? '(stack)' : fleetTagValue}`,
      roleDescription: 'GPU worker reaper: describe, and stop/terminate only instances of its fleet',
      environment: {
        [REAPER_ENV.fleetTagValue]: fleetTagValue,
        [REAPER_ENV.maxRunningHours]: String(props.maxRunningHours),
        [REAPER_ENV.busyGraceMinutes]: String(this.busyGraceMinutes),
        [REAPER_ENV.maxBusyHours]: String(this.maxBusyHours),
        [REAPER_ENV.maxStoppedDays]: String(this.maxStoppedDays),
        // Fn.join keeps deploy-time AMI ids (tokens) intact; it refuses an empty list.
        [REAPER_ENV.currentAmiIds]: amiIds.length > 0 ? Fn.join(',', amiIds) : '',
        [REAPER_ENV.dryRun]: String(props.dryRun ?? false),
      } satisfies Record<ReaperEnvName, string>,
    });
    // DescribeInstances supports no resource-level permissions.
    role.addToPolicy(new iam.PolicyStatement({ actions: ['ec2:DescribeInstances'], resources: ['*'] }));
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ec2:StopInstances', 'ec2:TerminateInstances'],
        resources: [`arn:${Aws.PARTITION}:ec2:${Aws.REGION}:${Aws.ACCOUNT_ID}:instance/*`],
        conditions: { StringEquals: { [`aws:ResourceTag/${FLEET_TAG_KEY}`]: fleetTagValue } },
      }),
    );

    new events.Rule(this, 'ReaperSchedule', {
      description: 'Runs the GPU worker reaper',
      schedule: props.schedule ?? events.Schedule.rate(Duration.minutes(15)),
      targets: [new targets.LambdaFunction(fn, { retryAttempts: 0 })],
    });
    return { fn, role };
  }

  /** Worker count above the cloud cap, the burn rate above its threshold, and reaper failures. */
  private createAlarms(props: CostGuardProps): {
    runningWorkers: cloudwatch.Alarm;
    hourlyCost?: cloudwatch.Alarm;
    reaperErrors: cloudwatch.Alarm;
  } {
    const metric = (metricName: string, statistic: string, period: Duration) =>
      new cloudwatch.Metric({
        namespace: COST_METRIC_NAMESPACE,
        metricName,
        dimensionsMap: { [FLEET_DIMENSION]: props.fleetTagValue },
        statistic,
        period,
      });
    const runningWorkers = this.alarmAbove(
      'RunningWorkersAlarm',
      `More GPU workers running than the cloud's instance cap (${props.cloudInstanceCap})`,
      metric(COST_METRICS.runningWorkers, cloudwatch.Stats.MAXIMUM, Duration.minutes(30)),
      props.cloudInstanceCap,
    );
    const hourlyCost =
      props.hourlyBurnThresholdUsd === undefined
        ? undefined
        : this.alarmAbove(
            'HourlyCostAlarm',
            `Running GPU workers cost more than ${props.hourlyBurnThresholdUsd} USD/hour (on-demand estimate)`,
            metric(COST_METRICS.estimatedHourlyCost, cloudwatch.Stats.AVERAGE, Duration.hours(1)),
            props.hourlyBurnThresholdUsd,
          );
    // A reaper that cannot run (IAM, throttling, a bad deploy) must not fail silently.
    const reaperErrors = this.alarmAbove(
      'ReaperErrorsAlarm',
      'The GPU worker reaper failed (see its log group)',
      this.reaper.metricErrors({ period: Duration.hours(1), statistic: cloudwatch.Stats.SUM }),
      0,
    );
    return { runningWorkers, hourlyCost, reaperErrors };
  }

  /** Every alarm fires above its threshold on one period, treats no data as fine and notifies the topic. */
  private alarmAbove(
    id: string,
    alarmDescription: string,
    metric: cloudwatch.IMetric,
    threshold: number,
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmDescription,
      metric,
      threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new cwActions.SnsAction(this.alarmTopic));
    return alarm;
  }

  /** cdk-nag findings that are by design, acknowledged on the resources themselves with the reason. */
  private acknowledgeNagFindings(role: iam.Role): void {
    const reaperPolicy = role.node.findChild('DefaultPolicy').node.defaultChild as IConstruct;
    acknowledgeFindings(
      reaperPolicy,
      {
        id: wildcardResourceId(this, '*'),
        reason: 'ec2:DescribeInstances supports no resource-level permissions; it is the only action on *',
      },
      {
        // The ARN of the Stop/TerminateInstances statement above.
        id: wildcardResourceId(this, `arn:${Aws.PARTITION}:ec2:${Aws.REGION}:${Aws.ACCOUNT_ID}:instance/*`),
        reason:
          'Stop/TerminateInstances target instances unknown at deploy time; limited by the fleet tag condition',
      },
    );
  }

  /**
   * SNS topic for the alarms. A customer managed key, because CloudWatch alarms cannot publish to a topic
   * encrypted with the AWS managed `alias/aws/sns` key (its policy cannot grant cloudwatch.amazonaws.com).
   */
  private createAlarmTopic(props: CostGuardProps): sns.Topic {
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the GPU cost guard alarm topic',
      enableKeyRotation: true,
    });
    for (const service of ['cloudwatch.amazonaws.com', 'budgets.amazonaws.com']) {
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal(service)],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
        }),
      );
    }
    const topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'Jenkins GPU cost guard',
      masterKey: key,
      enforceSSL: true,
    });
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('budgets.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    if (props.alertEmail) topic.addSubscription(new subscriptions.EmailSubscription(props.alertEmail));
    return topic;
  }

  /**
   * Account-wide on purpose: a filter on the fleet tag would show $0 until someone activates the tag as a
   * cost allocation tag, and a budget that silently never alerts is worse than a broad one.
   */
  private createBudget(limitUsd: number, alertEmail: string | undefined): budgets.CfnBudget {
    const subscribers: budgets.CfnBudget.SubscriberProperty[] = [
      { subscriptionType: 'SNS', address: this.alarmTopic.topicArn },
      ...(alertEmail ? [{ subscriptionType: 'EMAIL', address: alertEmail }] : []),
    ];
    return new budgets.CfnBudget(this, 'MonthlyBudget', {
      budget: {
        budgetType: 'COST',
        timeUnit: 'MONTHLY',
        budgetLimit: { amount: limitUsd, unit: 'USD' },
      },
      notificationsWithSubscribers: [80, 100].map((threshold) => ({
        notification: {
          notificationType: 'ACTUAL',
          comparisonOperator: 'GREATER_THAN',
          threshold,
          thresholdType: 'PERCENTAGE',
        },
        subscribers,
      })),
    });
  }
}

/** Throws on the first invalid prop, with the message the tests pin. */
function validateCostGuardProps(props: CostGuardProps): void {
  const fail = (message: string): never => {
    throw new UserInputError(`CostGuard: ${message}`);
  };
  if (!Number.isInteger(props.cloudInstanceCap) || props.cloudInstanceCap < 1) {
    fail(`cloudInstanceCap must be a positive integer (got ${props.cloudInstanceCap})`);
  }
  const problems = policyProblems({
    fleetTagValue: props.fleetTagValue,
    maxRunningHours: props.maxRunningHours,
    busyGraceMinutes: props.busyGraceMinutes ?? DEFAULT_BUSY_GRACE_MINUTES,
    maxBusyHours: props.maxBusyHours ?? DEFAULT_MAX_BUSY_HOURS,
    maxStoppedDays: props.maxStoppedDays ?? DEFAULT_MAX_STOPPED_DAYS,
    currentAmiIds: props.currentAmiIds ?? [],
  });
  if (problems.length > 0) fail(problems[0]);
  for (const amiId of props.currentAmiIds ?? []) {
    if (!Token.isUnresolved(amiId) && !AMI_ID.test(amiId)) {
      fail(`currentAmiIds must hold AMI ids like ami-0123456789abcdef0 (got '${amiId}')`);
    }
  }
  if (
    props.alertEmail !== undefined &&
    !Token.isUnresolved(props.alertEmail) &&
    !EMAIL_ADDRESS.test(props.alertEmail)
  ) {
    fail(`alertEmail must be an e-mail address (got '${props.alertEmail}')`);
  }
  if (
    props.hourlyBurnThresholdUsd !== undefined &&
    !(Number.isFinite(props.hourlyBurnThresholdUsd) && props.hourlyBurnThresholdUsd > 0)
  ) {
    fail(`hourlyBurnThresholdUsd must be a positive number (got ${props.hourlyBurnThresholdUsd})`);
  }
  if (
    props.monthlyBudgetUsd !== undefined &&
    !(Number.isFinite(props.monthlyBudgetUsd) && props.monthlyBudgetUsd > 0)
  ) {
    fail(`monthlyBudgetUsd must be a positive number (got ${props.monthlyBudgetUsd})`);
  }
}
