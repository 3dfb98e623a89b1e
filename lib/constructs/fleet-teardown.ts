import { Aws, CustomResource, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, IConstruct, IDependable } from 'constructs';

import { FLEET_TAG_KEY, type FleetTeardownResourceProperties } from '../contracts';
import { requireIntegerProp } from '../errors';
import { projectFunction, scopedProvider } from './lambda-defaults';

export interface FleetTeardownProps {
  /** Value of the `jenkins-gpu:fleet` tag on this stack's workers. */
  readonly fleetTagValue: string;
  /**
   * What the workers use (network, security group, instance profile): CloudFormation deletes these only
   * after the teardown has terminated every worker, so no network interface keeps them in use.
   */
  readonly usedByWorkers: IDependable[];
  /**
   * What must be gone before the teardown runs: the controller, which could launch new workers.
   * @default - no construct has to be deleted first
   */
  readonly deletedFirst?: IConstruct[];
  /** Minutes a stack delete waits for the workers to terminate. @default 30 */
  readonly timeoutMinutes?: number;
}

/**
 * Takes the GPU workers down with the stack: a custom resource whose Delete terminates every instance with
 * this fleet's tag (running, stopped or pending; their root volumes are deleteOnTermination) and waits until
 * none is left, before CloudFormation deletes the network and the workers' security group. Create and
 * Update do nothing, and a Delete that is not the stack's own (a replacement, an update's rollback) leaves
 * the fleet alone.
 */
export class FleetTeardown extends Construct {
  public readonly resource: CustomResource;

  constructor(scope: Construct, id: string, props: FleetTeardownProps) {
    super(scope, id);
    const timeoutMinutes = requireIntegerProp('FleetTeardown', 'timeoutMinutes', props.timeoutMinutes ?? 30, {
      min: 5,
      max: 120,
    });

    const role = this.createRole(props.fleetTagValue);
    const handler = (name: string, entry: string) =>
      projectFunction(this, name, {
        code: 'fleet-teardown',
        handler: `index.${entry}`,
        timeout: Duration.minutes(2),
        role,
        description: 'Terminates every GPU worker of the fleet when the stack is deleted',
      }).fn;
    const onEvent = handler('OnEvent', 'onEvent');
    const isComplete = handler('IsComplete', 'isComplete');
    // Its framework functions log to ProviderLogs only (scopedProvider: no AWSLambdaBasicExecutionRole).
    const provider = scopedProvider(this, 'Provider', {
      onEventHandler: onEvent,
      isCompleteHandler: isComplete,
      queryInterval: Duration.seconds(15),
      totalTimeout: Duration.minutes(timeoutMinutes),
    });
    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::JenkinsGpuFleetTeardown',
      properties: { FleetTagValue: props.fleetTagValue } satisfies FleetTeardownResourceProperties,
    });
    // Created after, so deleted before, what the workers use; the role too, or the handler loses it.
    this.resource.node.addDependency(...props.usedByWorkers, role);
    for (const first of props.deletedFirst ?? []) first.node.addDependency(this.resource);

    this.acknowledgeNagFindings(role, provider, [onEvent, isComplete]);
  }

  /** One role for both handlers, with inline policies only (no AWSLambdaBasicExecutionRole on `*`). */
  private createRole(fleetTagValue: string): iam.Role {
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Fleet teardown: terminates only instances tagged with this stack fleet, on stack delete',
    });
    // DescribeInstances supports no resource-level permissions.
    role.addToPolicy(
      new iam.PolicyStatement({ sid: 'ListFleet', actions: ['ec2:DescribeInstances'], resources: ['*'] }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'TerminateOnlyTheFleet',
        actions: ['ec2:TerminateInstances'],
        resources: [`arn:${Aws.PARTITION}:ec2:${Aws.REGION}:${Aws.ACCOUNT_ID}:instance/*`],
        conditions: { StringEquals: { [`aws:ResourceTag/${FLEET_TAG_KEY}`]: fleetTagValue } },
      }),
    );
    // Is the stack itself being deleted (not just this resource replaced)?
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ReadOwnStackStatus',
        actions: ['cloudformation:DescribeStacks'],
        resources: [Aws.STACK_ID],
      }),
    );
    return role;
  }

  /** cdk-nag findings that are by design, acknowledged on the resources that cause them. */
  private acknowledgeNagFindings(
    role: iam.Role,
    provider: cr.Provider,
    handlers: nodejs.NodejsFunction[],
  ): void {
    const stack = Stack.of(this);
    Validations.of(role.node.findChild('DefaultPolicy')).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason: 'ec2:DescribeInstances supports no resource-level permissions; it is the only action on *',
      },
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*]',
        reason:
          'TerminateInstances targets workers unknown at deploy time; limited by the fleet tag condition',
      },
    );
    const arnOf = (fn: lambda.IFunction) =>
      `AwsSolutions::AwsSolutions-IAM5[Resource::<${stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`;
    const framework = (name: string) => provider.node.findChild(name) as lambda.IFunction;
    // The framework's roles are this construct's children (scopedProvider), its functions the provider's.
    Validations.of(this).acknowledge(
      ...handlers.map((fn) => ({
        id: arnOf(fn),
        reason: 'CDK provider framework: invokes versions of its own handler',
      })),
      ...['framework-isComplete', 'framework-onTimeout'].map((name) => ({
        id: arnOf(framework(name)),
        reason: 'CDK provider framework: its waiter invokes versions of its own functions',
      })),
    );
    Validations.of(provider).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-SF1',
        reason: 'CDK provider framework waiter: each poll is logged by the isComplete function itself',
      },
      {
        id: 'AwsSolutions::AwsSolutions-SF2',
        reason: 'CDK provider framework waiter: a short-lived poll loop, tracing adds nothing',
      },
      {
        id: 'AwsSolutions::AwsSolutions-L1',
        reason: 'CDK provider framework functions use the runtime aws-cdk-lib chooses',
      },
    );
  }
}
