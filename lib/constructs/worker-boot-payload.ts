import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import * as path from 'path';

import { WorkerPayload, writeWorkerPayload } from '../bundle/worker-payload';
import { assemblyDir } from './assembly-dir';

export interface WorkerBootPayloadProps {
  /** The rendered payload (lib/bundle/worker-payload.ts); its sha256 is pinned in the worker user data. */
  readonly payload: WorkerPayload;
  /** Roles that may read the payload object: the GPU workers' role. */
  readonly readers: iam.IRole[];
}

/**
 * The GPU workers' boot payload as one S3 object (a file asset, uploaded byte for byte, so the sha256 the
 * user data pins is the sha256 of the object). Each reader may get exactly that object and nothing else.
 */
export class WorkerBootPayload extends Construct {
  public readonly asset: s3assets.Asset;
  /** `s3://<bucket>/<key>` of the payload (a token): the `WORKER_PAYLOAD_S3_URI` stack variable. */
  public readonly s3Uri: string;

  constructor(scope: Construct, id: string, props: WorkerBootPayloadProps) {
    super(scope, id);
    const file = writeWorkerPayload(props.payload, path.join(assemblyDir(this), 'jenkins-worker-payloads'));
    this.asset = new s3assets.Asset(this, 'Asset', { path: file });
    this.s3Uri = `s3://${this.asset.s3BucketName}/${this.asset.s3ObjectKey}`;
    const objectArn = `arn:${Stack.of(this).partition}:s3:::${this.asset.s3BucketName}/${this.asset.s3ObjectKey}`;
    for (const reader of props.readers) {
      reader.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ReadWorkerBootPayload',
          actions: ['s3:GetObject'],
          resources: [objectArn],
        }),
      );
    }
  }
}
