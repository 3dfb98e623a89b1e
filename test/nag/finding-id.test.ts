import { App, Aws, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';

import {
  awsManagedPolicyId,
  cfnRuleId,
  flattenCfnReference,
  nagRuleId,
  renderForNag,
  wildcardActionId,
  wildcardResourceId,
} from '../../lib/nag/finding-id';

// cdk-nag's own renderer, the one its IAM4/IAM5 rules call (cdk-nag 3.0.2 lib/utils/flatten-cfn-reference.js;
// the package has no `exports` map, so the file is reachable). Ours must agree with it on every shape.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const cdkNag = require('cdk-nag/lib/utils/flatten-cfn-reference') as {
  flattenCfnReference: (value: unknown) => string;
};

/** A stack as the app builds it: cdk.json turns on partition literals, which change pinned ARNs. */
function stackIn(env?: { account?: string; region?: string }): Stack {
  const app = new App({ context: { '@aws-cdk/core:enablePartitionLiterals': true } });
  return new Stack(app, 'S', { env });
}

const instances = (stack: Stack) =>
  stack.formatArn({ service: 'ec2', resource: 'instance', resourceName: '*' });

describe('flattenCfnReference', () => {
  const shapes: [string, unknown, string][] = [
    ['a literal', 'arn:aws:s3:::bucket/*', 'arn:aws:s3:::bucket/*'],
    ['Fn::Sub syntax in a string', 'arn:${AWS::Partition}:s3:::b', 'arn:<AWS::Partition>:s3:::b'],
    ['a Ref', { Ref: 'AWS::Region' }, '<AWS::Region>'],
    ['a GetAtt', { 'Fn::GetAtt': ['Fn1234', 'Arn'] }, '<Fn1234.Arn>'],
    [
      'a Join of literals, Refs and GetAtts',
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':x:', { 'Fn::GetAtt': ['A', 'B'] }, '/*']] },
      'arn:<AWS::Partition>:x:<A.B>/*',
    ],
    ['a Join with a delimiter', { 'Fn::Join': [':', ['a', { Ref: 'X' }]] }, 'a:<X>'],
    ['a Sub of a string', { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::b/*' }, 'arn:<AWS::Partition>:s3:::b/*'],
    ['an ImportValue', { 'Fn::ImportValue': 'Exported' }, 'Exported'],
    ['any other object, as JSON', { 'Fn::Select': [0, ['a']] }, '{"Fn::Select":[0,["a"]]}'],
    ['nothing', undefined, ''],
  ];

  it.each(shapes)('renders %s as cdk-nag does', (_name, value, expected) => {
    expect(flattenCfnReference(value)).toBe(expected);
    expect(flattenCfnReference(value)).toBe(cdkNag.flattenCfnReference(value));
  });
});

describe('wildcardResourceId', () => {
  it('names the pseudo parameters in an environment-agnostic stack', () => {
    const stack = stackIn();
    expect(wildcardResourceId(stack, instances(stack))).toBe(
      'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*]',
    );
  });

  it('names the literal region and partition when only the region is pinned', () => {
    const stack = stackIn({ region: 'us-east-1' });
    expect(wildcardResourceId(stack, instances(stack))).toBe(
      'AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:ec2:us-east-1:<AWS::AccountId>:instance/*]',
    );
  });

  it('names the literal account, region and partition when both are pinned', () => {
    const stack = stackIn({ account: '111122223333', region: 'us-east-1' });
    expect(wildcardResourceId(stack, instances(stack))).toBe(
      'AwsSolutions::AwsSolutions-IAM5[Resource::arn:aws:ec2:us-east-1:111122223333:instance/*]',
    );
  });

  it('keeps pseudo parameters written explicitly (Aws.REGION) even in a pinned stack', () => {
    const stack = stackIn({ account: '111122223333', region: 'us-east-1' });
    expect(
      wildcardResourceId(stack, `arn:${Aws.PARTITION}:ec2:${Aws.REGION}:${Aws.ACCOUNT_ID}:instance/*`),
    ).toBe(
      'AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*]',
    );
  });

  it("renders a resource's attribute as <LogicalId.Attribute>", () => {
    const stack = stackIn();
    const fn = new lambda.Function(stack, 'Handler', {
      code: lambda.Code.fromInline('exports.handler = async () => {};'),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_22_X,
    });
    const logicalId = stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction);
    expect(wildcardResourceId(stack, `${fn.functionArn}:*`)).toBe(
      `AwsSolutions::AwsSolutions-IAM5[Resource::<${logicalId}.Arn>:*]`,
    );
  });

  it('refuses an ARN without a wildcard: cdk-nag would report nothing to acknowledge', () => {
    const stack = stackIn({ region: 'us-east-1' });
    expect(() => wildcardResourceId(stack, `arn:${stack.partition}:s3:::bucket/key`)).toThrow(
      'wildcardResourceId: arn:aws:s3:::bucket/key has no wildcard, so cdk-nag reports no IAM5 finding for it',
    );
  });
});

describe('the other finding ids', () => {
  it('renders an AWS managed policy with the partition as CloudFormation resolves it', () => {
    for (const stack of [stackIn(), stackIn({ account: '111122223333', region: 'us-east-1' })]) {
      expect(awsManagedPolicyId(stack, 'service-role/AWSLambdaBasicExecutionRole')).toBe(
        'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      );
    }
  });

  it('names wildcard actions, AwsSolutions rules and CloudFormation rules', () => {
    expect(wildcardActionId('kms:GenerateDataKey*')).toBe(
      'AwsSolutions::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
    );
    expect(() => wildcardActionId('kms:Decrypt')).toThrow(/has no wildcard/);
    expect(nagRuleId('S1')).toBe('AwsSolutions::AwsSolutions-S1');
    // The namespace aws-cdk-lib itself uses for W3010 (core/lib/stack.js, _silenceLiteralAzWarning).
    expect(cfnRuleId('W3010')).toBe('CloudFormation-Validate::W3010');
  });

  it('renders a value of another construct through the stack that holds it', () => {
    const stack = stackIn({ region: 'eu-west-1' });
    expect(renderForNag(stack, `${stack.region}/${stack.partition}`)).toBe('eu-west-1/aws');
  });
});
