import { Aws, CustomResource, Duration, Stack } from 'aws-cdk-lib';
import type * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import * as path from 'path';

import { BuiltBundle, pruneBundles, writeBundle } from '../bundle/build-bundle';
import { STACK_VARIABLES } from '../casc/stack-variables';
import {
  APPLY_TIMEOUT_MINUTES,
  applyCommandTimeoutSeconds,
  type ApplyConfigResourceProperties,
  configParameterName,
  type ControllerConfigDocument,
  SAFE_RESTART_MAX_WAIT_MINUTES,
  SSM_SHELL_DOCUMENT,
} from '../contracts';
import { requireIntegerProp, UserInputError } from '../errors';
import { acknowledgeFinding, acknowledgeFindings } from '../nag/acknowledge';
import { nagRuleId, wildcardActionId, wildcardResourceId } from '../nag/finding-id';
import type { ArtifactMirrorLocation } from './artifact-mirror';
import { assemblyDir } from './assembly-dir';
import { JenkinsController } from './jenkins-controller';
import { projectFunction, scopedProvider } from './lambda-defaults';

export interface ControllerConfigProps {
  /** The controller the bundle is applied to. */
  readonly controller: JenkinsController;
  /** The rendered config bundle (`casc/`, `jobs/`), validated by the caller. */
  readonly bundle: BuiltBundle;
  /** Plain `${VARS}` for JCasC: every non-secret stack variable, values may be tokens. */
  readonly variables: Record<string, string>;
  /** Secret `${VARS}` for JCasC: read from Secrets Manager on the controller, never in the template. */
  readonly secretVariables: Record<string, secretsmanager.ISecret>;
  /** The JCasC reload token (`CASC_RELOAD_TOKEN`). */
  readonly reloadTokenSecret: secretsmanager.ISecret;
  /** Name of the SSM parameter that points at the active bundle. @default `/<stackName>/controller/config` */
  readonly parameterName?: string;
  /**
   * Topic the controller publishes to when something happens after the deploy has finished (a core or
   * plugin upgrade rolled back at its safe restart).
   * @default - no announcement (only the controller's journal tells)
   */
  readonly alertTopic?: sns.ITopic;
  /**
   * The stack's S3 prefix where the controller keeps the war and the plugin set it verified, and installs
   * them from first (docs/architecture.md, "Artifact mirror").
   * @default - no mirror (every install downloads from get.jenkins.io and updates.jenkins.io)
   */
  readonly artifactMirror?: ArtifactMirrorLocation;
  /** Minutes a deploy waits for the controller to apply a bundle. @default 30 */
  readonly applyTimeoutMinutes?: number;
  /**
   * Minutes a core or plugin upgrade waits for running builds (Jenkins starts no new build meanwhile) before
   * it restarts Jenkins anyway, from 5 to 1440. Both the wait and its end are announced on `alertTopic`.
   * @default 60
   */
  readonly safeRestartMaxWaitMinutes?: number;
}

/**
 * Config delivery: the bundle as an S3 asset, an SSM parameter that points at it (read by the controller at
 * every boot) and a custom resource that applies a new bundle to the running controller at deploy time,
 * failing the deploy with Jenkins' message when Jenkins rejects it.
 */
export class ControllerConfig extends Construct {
  public readonly parameter: ssm.StringParameter;
  public readonly bundleAsset: s3assets.Asset;
  public readonly digest: string;

  constructor(scope: Construct, id: string, props: ControllerConfigProps) {
    super(scope, id);
    const { timeoutMinutes, maxWait } = configTimings(props);
    checkVariables(props.variables, props.secretVariables);
    const parameterName = props.parameterName ?? configParameterName(Stack.of(this).stackName);

    this.digest = props.bundle.digest;
    this.bundleAsset = this.stageBundle(props.bundle);
    this.grantBundleAndSecrets(props);
    this.parameter = this.createParameter(props, parameterName, maxWait);
    this.grantParameter(props);
    // The controller reads the parameter at its first boot.
    props.controller.autoScalingGroup.node.addDependency(this.parameter);

    this.addApplyOnDeploy(props, timeoutMinutes);
  }

  /** The bundle is written inside cdk.out only (content-addressed), then staged as an asset. */
  private stageBundle(bundle: BuiltBundle): s3assets.Asset {
    const outdir =
      Stack.of(this).node.root.node.tryGetContext('jenkinsGpu:bundleDir') ??
      path.join(assemblyDir(this), 'jenkins-config-bundles');
    const asset = new s3assets.Asset(this, 'Bundle', { path: writeBundle(bundle, outdir) });
    // Staged above (the asset copies it into the assembly): earlier synths' bundles are stale.
    pruneBundles(outdir, this.digest);
    return asset;
  }

  private grantBundleAndSecrets(props: ControllerConfigProps): void {
    const role = props.controller.role;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadConfigBundle',
        actions: ['s3:GetObject'],
        resources: [
          `arn:${Stack.of(this).partition}:s3:::${this.bundleAsset.s3BucketName}/${this.bundleAsset.s3ObjectKey}`,
        ],
      }),
    );
    for (const secret of [...Object.values(props.secretVariables), props.reloadTokenSecret]) {
      secret.grantRead(role);
    }
  }

  /** The parameter the boot and the apply read: the bundle's location, the variables, secrets as ARNs. */
  private createParameter(
    props: ControllerConfigProps,
    parameterName: string,
    maxWait: number,
  ): ssm.StringParameter {
    return new ssm.StringParameter(this, 'Parameter', {
      parameterName,
      description: 'Active Jenkins config bundle and JCasC variables (no secret values: secrets are ARNs)',
      stringValue: Stack.of(this).toJsonString({
        bundle: {
          bucket: this.bundleAsset.s3BucketName,
          key: this.bundleAsset.s3ObjectKey,
          digest: this.digest,
        },
        vars: props.variables,
        secrets: Object.fromEntries(Object.entries(props.secretVariables).map(([k, s]) => [k, s.secretArn])),
        reloadTokenSecret: props.reloadTokenSecret.secretArn,
        safeRestartMaxWaitMinutes: maxWait,
        ...(props.alertTopic ? { alertTopicArn: props.alertTopic.topicArn } : {}),
        ...(props.artifactMirror ? { artifactMirror: props.artifactMirror } : {}),
      } satisfies ControllerConfigDocument),
    });
  }

  private grantParameter(props: ControllerConfigProps): void {
    const role = props.controller.role;
    // Only GetParameter (what the boot and the apply call), not grantRead's DescribeParameters, which has
    // no resource-level permissions and so granted nothing on this ARN.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadConfigParameter',
        actions: ['ssm:GetParameter'],
        resources: [this.parameter.parameterArn],
      }),
    );
    // A safe restart that rolls an upgrade back sets the parameter back to the value naming the release that
    // runs (apply-config.sh restore_desired_state), so the next boot does not start the failed one.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'RestoreConfigParameter',
        actions: ['ssm:GetParameterHistory', 'ssm:PutParameter'],
        resources: [this.parameter.parameterArn],
      }),
    );
    if (props.alertTopic) {
      props.alertTopic.grantPublish(role);
      acknowledgeFinding(
        role,
        wildcardActionId('kms:GenerateDataKey*'),
        'Publishing to the KMS-encrypted alarm topic needs the GenerateDataKey family, on that one key only',
      );
    }
  }

  /**
   * The apply-on-deploy custom resource: a provider whose onEvent sends the apply to the running
   * controller (SSM Run Command) and whose isComplete polls it; any change of the parameter re-applies.
   */
  private addApplyOnDeploy(props: ControllerConfigProps, timeoutMinutes: number): void {
    const asg = props.controller.autoScalingGroup;
    const { onEvent, isComplete } = this.createApplyFunctions(asg);
    const provider = scopedProvider(this, 'ApplyProvider', {
      onEventHandler: onEvent,
      isCompleteHandler: isComplete,
      queryInterval: Duration.seconds(15),
      totalTimeout: Duration.minutes(timeoutMinutes),
    });
    const apply = new CustomResource(this, 'Apply', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::JenkinsConfigApply',
      properties: {
        AutoScalingGroupName: asg.autoScalingGroupName,
        ParameterName: this.parameter.parameterName,
        Digest: this.digest,
        // Any change of the parameter (new bundle, a new worker AMI, …) re-applies it.
        ParameterValue: this.parameter.stringValue,
        TimeoutSeconds: String(applyCommandTimeoutSeconds(timeoutMinutes)),
      } satisfies ApplyConfigResourceProperties,
    });
    apply.node.addDependency(asg, props.controller.role, this.parameter);

    this.acknowledgeNagFindings(onEvent, isComplete, provider);
  }

  /** The apply's two functions, each with only what it calls. */
  private createApplyFunctions(asg: autoscaling.IAutoScalingGroup): {
    onEvent: nodejs.NodejsFunction;
    isComplete: nodejs.NodejsFunction;
  } {
    const stack = Stack.of(this);
    const handler = (name: string, entry: string) =>
      projectFunction(this, name, {
        code: 'apply-config',
        handler: `index.${entry}`,
        description: `Applies a new Jenkins config bundle to the running controller (${entry})`,
      }).fn;
    const onEvent = handler('ApplyOnEvent', 'onEvent');
    const isComplete = handler('ApplyIsComplete', 'isComplete');

    onEvent.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['autoscaling:DescribeAutoScalingGroups', 'ssm:DescribeInstanceInformation'],
        resources: ['*'],
      }),
    );
    // Is this update a rollback of the stack (never fail it then)?
    onEvent.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['cloudformation:DescribeStacks'], resources: [Aws.STACK_ID] }),
    );
    onEvent.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ssm:SendCommand'],
        resources: [
          stack.formatArn({
            service: 'ssm',
            account: '',
            resource: 'document',
            resourceName: SSM_SHELL_DOCUMENT,
          }),
        ],
      }),
    );
    onEvent.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ssm:SendCommand'],
        resources: [stack.formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' })],
        conditions: {
          StringEquals: { 'aws:ResourceTag/aws:autoscaling:groupName': asg.autoScalingGroupName },
        },
      }),
    );
    isComplete.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['ssm:GetCommandInvocation'], resources: ['*'] }),
    );
    return { onEvent, isComplete };
  }

  /** cdk-nag findings of the apply functions and the provider framework, with the reason for each. */
  private acknowledgeNagFindings(
    onEvent: nodejs.NodejsFunction,
    isComplete: nodejs.NodejsFunction,
    provider: cr.Provider,
  ): void {
    acknowledgeFindings(
      onEvent.role!,
      {
        id: wildcardResourceId(this, '*'),
        reason:
          'autoscaling:DescribeAutoScalingGroups and ssm:DescribeInstanceInformation have no resource-level permissions',
      },
      {
        // The ARN of the ssm:SendCommand statement in createApplyFunctions.
        id: wildcardResourceId(
          this,
          Stack.of(this).formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' }),
        ),
        reason:
          'ssm:SendCommand is limited by aws:ResourceTag to instances of the controller Auto Scaling group',
      },
    );
    acknowledgeFindings(isComplete.role!, {
      id: wildcardResourceId(this, '*'),
      reason: 'ssm:GetCommandInvocation has no resource-level permissions',
    });
    // The provider framework may invoke every version of the functions it wraps (`<arn>:*`).
    const versionsOf = (fn: lambda.IFunction) => wildcardResourceId(this, `${fn.functionArn}:*`);
    const frameworkFunction = (name: string) => provider.node.findChild(name) as lambda.IFunction;
    // The framework's roles are this construct's children (scopedProvider), the functions the provider's.
    acknowledgeFindings(
      this,
      { id: versionsOf(onEvent), reason: 'CDK provider framework: invokes versions of its own handler' },
      { id: versionsOf(isComplete), reason: 'CDK provider framework: invokes versions of its own handler' },
      {
        id: versionsOf(frameworkFunction('framework-isComplete')),
        reason: 'CDK provider framework: its waiter invokes versions of its own functions',
      },
      {
        id: versionsOf(frameworkFunction('framework-onTimeout')),
        reason: 'CDK provider framework: its waiter invokes versions of its own functions',
      },
    );
    acknowledgeFindings(
      provider,
      {
        id: nagRuleId('SF1'),
        reason: 'CDK provider framework waiter: each poll is logged by the isComplete function itself',
      },
      {
        id: nagRuleId('SF2'),
        reason: 'CDK provider framework waiter: a short-lived poll loop, tracing adds nothing',
      },
      {
        id: nagRuleId('L1'),
        reason: 'CDK provider framework functions use the runtime aws-cdk-lib chooses',
      },
    );
  }
}

/** The apply timeout and the safe restart's wait, with their defaults, each checked against its bounds. */
function configTimings(props: ControllerConfigProps): { timeoutMinutes: number; maxWait: number } {
  const check = (prop: string, value: number, range: { min: number; max: number }) =>
    requireIntegerProp('ControllerConfig', prop, value, range);
  return {
    timeoutMinutes: check(
      'applyTimeoutMinutes',
      props.applyTimeoutMinutes ?? APPLY_TIMEOUT_MINUTES.default,
      APPLY_TIMEOUT_MINUTES,
    ),
    maxWait: check(
      'safeRestartMaxWaitMinutes',
      props.safeRestartMaxWaitMinutes ?? SAFE_RESTART_MAX_WAIT_MINUTES.default,
      SAFE_RESTART_MAX_WAIT_MINUTES,
    ),
  };
}

function checkVariables(plain: Record<string, string>, secret: Record<string, unknown>): void {
  const given = new Set([...Object.keys(plain), ...Object.keys(secret)]);
  const missing = STACK_VARIABLES.filter((v) => !given.has(v.name)).map((v) => v.name);
  const unknown = [...given].filter((name) => !STACK_VARIABLES.some((v) => v.name === name));
  const misplaced = STACK_VARIABLES.filter((v) => (v.secret ? v.name in plain : v.name in secret)).map(
    (v) => v.name,
  );
  if (missing.length || unknown.length || misplaced.length) {
    throw new UserInputError(
      `ControllerConfig: variables must match lib/casc/stack-variables.ts (missing: ${missing.join(', ') || 'none'}; unknown: ${unknown.join(', ') || 'none'}; secret/plain mixed up: ${misplaced.join(', ') || 'none'})`,
    );
  }
}
