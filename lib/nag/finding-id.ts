import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';

/**
 * Ids of validation findings, built from the values a construct actually wrote, so one acknowledgement
 * holds in an environment-agnostic stack (`<AWS::Region>`) and in a pinned one (`us-east-1`, partition
 * `aws`) alike.
 *
 * A finding id is `<namespace>::<rule>`; aws-cdk-lib's validation report turns a plugin's name into the
 * namespace by replacing spaces with hyphens (core/lib/validation/private/validation-id.js,
 * `namespaceFromPluginName`, aws-cdk-lib 2.276.0).
 */

/** cdk-nag's AwsSolutions pack (`packName`, cdk-nag 3.0.2 lib/packs/aws-solutions.js). */
const AWS_SOLUTIONS = 'AwsSolutions';
/** aws-cdk-lib's CloudFormation rule check, plugin name "CloudFormation Validate" (`PLUGIN_NAME`). */
const CLOUDFORMATION_VALIDATE = 'CloudFormation-Validate';

/**
 * The text cdk-nag 3.0.2 renders for a resolved CloudFormation value in a finding id, as its
 * lib/utils/flatten-cfn-reference.js does: `Fn::Join` joined, `Fn::Sub` and `Fn::ImportValue` unwrapped,
 * `{Ref: X}` → `<X>`, `{Fn::GetAtt: [A, B]}` → `<A.B>`, `${` → `<` and `}` → `>` in strings, anything
 * else as JSON.
 */
export function flattenCfnReference(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\${/g, '<').replace(/}/g, '>');
  if (typeof value === 'object' && value !== null) {
    const node = value as Record<string, unknown>;
    if (node['Fn::Join']) {
      const [delimiter, items] = node['Fn::Join'] as [string, unknown[]];
      return items.map(flattenCfnReference).join(delimiter);
    }
    if (node['Fn::Sub']) return flattenCfnReference(node['Fn::Sub']);
    if (node['Fn::GetAtt']) {
      const [resource, attribute] = node['Fn::GetAtt'] as [unknown, unknown];
      return `<${flattenCfnReference(resource)}.${flattenCfnReference(attribute)}>`;
    }
    if (node['Fn::ImportValue']) return flattenCfnReference(node['Fn::ImportValue']);
    if (node.Ref) return `<${flattenCfnReference(node.Ref)}>`;
  }
  return JSON.stringify(value);
}

/** A value (tokens allowed) as cdk-nag shows it in the finding id of a resource in `scope`'s stack. */
export function renderForNag(scope: IConstruct, value: string): string {
  return flattenCfnReference(Stack.of(scope).resolve(value));
}

/** `AwsSolutions::AwsSolutions-<rule>`, e.g. `nagRuleId('S1')`. */
export function nagRuleId(rule: string): string {
  return `${AWS_SOLUTIONS}::${AWS_SOLUTIONS}-${rule}`;
}

/**
 * The IAM5 finding of a wildcard resource in an IAM policy (`Resource::<arn>`). Throws when the ARN has
 * no `*`: cdk-nag reports only those, so an acknowledgement of any other ARN would be one of nothing.
 */
export function wildcardResourceId(scope: IConstruct, resourceArn: string): string {
  const rendered = renderForNag(scope, resourceArn);
  if (!rendered.includes('*')) {
    throw new Error(
      `wildcardResourceId: ${rendered} has no wildcard, so cdk-nag reports no IAM5 finding for it`,
    );
  }
  return `${nagRuleId('IAM5')}[Resource::${rendered}]`;
}

/** The IAM5 finding of a wildcard action (`Action::<action>`), e.g. `kms:GenerateDataKey*`. */
export function wildcardActionId(action: string): string {
  if (!action.includes('*')) {
    throw new Error(`wildcardActionId: ${action} has no wildcard, so cdk-nag reports no IAM5 finding for it`);
  }
  return `${nagRuleId('IAM5')}[Action::${action}]`;
}

/**
 * The IAM4 finding of the AWS managed policy `name` (as for `iam.ManagedPolicy.fromAwsManagedPolicyName`,
 * e.g. `service-role/AWSLambdaBasicExecutionRole`) attached to a role in `scope`'s stack (`Policy::<arn>`).
 */
export function awsManagedPolicyId(scope: IConstruct, name: string): string {
  const arn = iam.ManagedPolicy.fromAwsManagedPolicyName(name).managedPolicyArn;
  return `${nagRuleId('IAM4')}[Policy::${renderForNag(scope, arn)}]`;
}

/** A rule of aws-cdk-lib's CloudFormation rule check (cfn-lint rule ids), e.g. `cfnRuleId('W3010')`. */
export function cfnRuleId(rule: string): string {
  return `${CLOUDFORMATION_VALIDATE}::${rule}`;
}
