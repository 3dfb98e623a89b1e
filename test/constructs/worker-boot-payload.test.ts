import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as fs from 'fs';
import * as path from 'path';

import { WorkerBootPayload } from '../../lib/constructs/worker-boot-payload';
import { testApp } from '../helpers';

const payload = { content: '#!/bin/bash\necho payload\n', sha256: 'f'.repeat(64) };

function build() {
  const app = testApp();
  const stack = new Stack(app, 'S');
  const role = new iam.Role(stack, 'WorkerRole', {
    assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
  });
  const boot = new WorkerBootPayload(stack, 'WorkerBoot', { payload, readers: [role] });
  return { app, stack, boot, t: Template.fromStack(stack) };
}

describe('WorkerBootPayload', () => {
  it('lets the worker role read exactly the payload object and nothing else', () => {
    const { t, stack, boot } = build();
    const objectArn = stack.resolve(
      `arn:${stack.partition}:s3:::${boot.asset.s3BucketName}/${boot.asset.s3ObjectKey}`,
    );
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Sid: 'ReadWorkerBootPayload', Effect: 'Allow', Action: 's3:GetObject', Resource: objectArn },
        ],
      },
      Roles: [{ Ref: Match.stringLikeRegexp('^WorkerRole') }],
    });
  });

  it('ships the payload bytes as they are, so the object hashes to the pinned sha256', () => {
    const { app, boot } = build();
    const file = path.join(app.outdir, 'jenkins-worker-payloads', `${payload.sha256}.sh`);
    expect(fs.readFileSync(file, 'utf8')).toBe(payload.content);
    expect(boot.asset.isFile).toBe(true);
    expect(boot.asset.s3ObjectKey).toMatch(/\.sh$/);
  });

  it('names the object as an s3:// URI for the worker user data', () => {
    const { stack, boot } = build();
    expect(JSON.stringify(stack.resolve(boot.s3Uri))).toMatch(/s3:\/\/.*\.sh/);
  });
});
