import { Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { bundleOfRepo } from '../../lib/casc/load-casc';
import { STACK_VARIABLES } from '../../lib/casc/stack-variables';
import { ArtifactMirror } from '../../lib/constructs/artifact-mirror';
import { ControllerConfig } from '../../lib/constructs/controller-config';
import { controllerIn, testApp, testStack } from '../helpers';
import { synthApp } from '../stack/app-helpers';

function build(prefix?: string) {
  const app = testApp();
  const stack = testStack('TestStack', app);
  const { controller } = controllerIn(stack);
  const mirror = new ArtifactMirror(stack, 'ArtifactMirror', { controllerRole: controller.role, prefix });
  return { app, stack, controller, mirror, t: Template.fromStack(stack) };
}

/** The controller role's statements that name the mirror bucket. */
function mirrorStatements(
  t: Template,
): Array<{ Sid?: string; Action: string | string[]; Resource: unknown }> {
  const policies = Object.values(t.findResources('AWS::IAM::Policy'));
  return policies
    .flatMap((p) => p.Properties.PolicyDocument.Statement)
    .filter((s: { Resource: unknown }) => JSON.stringify(s.Resource).includes('ArtifactMirrorBucket'));
}

describe('ArtifactMirror', () => {
  const { t, stack, mirror } = build();

  it('is a private, encrypted, TLS-only bucket that outlives the stack', () => {
    t.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LifecycleConfiguration: {
          Rules: [{ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 }, Status: 'Enabled' }],
        },
      }),
    });
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('lets the controller read and store objects under its prefix only, and list the bucket', () => {
    const bucketArn = { 'Fn::GetAtt': [Match.stringLikeRegexp('^ArtifactMirrorBucket'), 'Arn'] };
    const statements = mirrorStatements(t);
    expect(statements).toHaveLength(2);
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Sid: 'ArtifactMirrorObjects',
          Action: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
          Resource: {
            'Fn::Join': ['', [expect.objectContaining({ 'Fn::GetAtt': expect.any(Array) }), '/controller/*']],
          },
        }),
        expect.objectContaining({ Sid: 'ArtifactMirrorList', Action: 's3:ListBucket' }),
      ]),
    );
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Sid: 'ArtifactMirrorList', Resource: bucketArn })]),
      },
      Roles: [{ Ref: Match.stringLikeRegexp('^ControllerRole') }],
    });
    // No delete: a stored object stays until someone removes it on purpose.
    expect(JSON.stringify(statements)).not.toContain('DeleteObject');
  });

  it('names its bucket and prefix for the controller-config parameter', () => {
    expect(stack.resolve(mirror.location)).toEqual({
      bucket: { Ref: expect.stringMatching(/^ArtifactMirrorBucket/) },
      prefix: 'controller/',
    });
    expect(build('jenkins/artifacts/').mirror.location.prefix).toBe('jenkins/artifacts/');
  });

  it.each(['controller', '/controller/', 'Controller/', 'a//b/'])('refuses the prefix %j', (prefix) => {
    expect(() => build(prefix)).toThrow(
      /ArtifactMirror: prefix must be lower-case path segments ending in '\/'/,
    );
  });

  it('has no unacknowledged cdk-nag AwsSolutions finding of its own', () => {
    // A bare controller has findings the full stack acknowledges elsewhere: only this construct's count.
    const app = testApp();
    const s = testStack('TestStack', app);
    const { controller } = controllerIn(s);
    new ArtifactMirror(s, 'ArtifactMirror', { controllerRole: controller.role });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    let report = '';
    try {
      app.synth();
    } catch (error) {
      report = String(error);
    }
    const ours = report
      .split('\n\n')
      .filter((f) => f.includes('artifact-mirror.ts') || f.includes('ArtifactMirror'));
    expect(ours).toEqual([]);
  });

  it('the controller-config parameter carries artifactMirror {bucket, prefix}', () => {
    const s = testStack();
    const { controller } = controllerIn(s);
    const m = new ArtifactMirror(s, 'ArtifactMirror', { controllerRole: controller.role });
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mirror-config-'));
    fs.mkdirSync(path.join(root, 'casc'));
    fs.writeFileSync(path.join(root, 'casc', 'jenkins.yaml'), 'jenkins:\n  numExecutors: 0\n');
    new ControllerConfig(s, 'Config', {
      controller,
      bundle: bundleOfRepo(root),
      variables: Object.fromEntries(STACK_VARIABLES.filter((v) => !v.secret).map((v) => [v.name, 'x'])),
      secretVariables: { ADMIN_PASSWORD: new secretsmanager.Secret(s, 'Admin') },
      reloadTokenSecret: new secretsmanager.Secret(s, 'Token'),
      artifactMirror: m.location,
    });
    // The config parameter, not the controller's self-replacement count.
    const param = Object.values(Template.fromStack(s).findResources('AWS::SSM::Parameter')).find((p) =>
      String(p.Properties.Name).endsWith('/controller/config'),
    )!;
    expect(JSON.stringify(param.Properties.Value)).toMatch(
      /\\"artifactMirror\\":\{\\"bucket\\":\\"",\{"Ref":"ArtifactMirrorBucket[0-9A-F]+"\},"\\",\\"prefix\\":\\"controller\/\\"\}/,
    );
  });
});

describe('the stack and its artifact mirror', () => {
  it('gives the controller one mirror bucket and names it in the controller-config parameter', () => {
    const t = Template.fromStack(synthApp().stack);
    const buckets = Object.keys(t.findResources('AWS::S3::Bucket')).filter((id) =>
      id.startsWith('ArtifactMirror'),
    );
    expect(buckets).toHaveLength(1);
    const param = Object.values(
      t.findResources('AWS::SSM::Parameter', {
        Properties: { Name: Match.stringLikeRegexp('/controller/config$') },
      }),
    )[0];
    expect(JSON.stringify(param.Properties.Value)).toContain(
      `{"Ref":"${buckets[0]}"},"\\",\\"prefix\\":\\"controller/\\"}`,
    );
  });
});
