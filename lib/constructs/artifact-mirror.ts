import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

import { UserInputError } from '../errors';

/** Where the controller keeps its artifacts: the `artifactMirror` field of the controller-config parameter. */
export interface ArtifactMirrorLocation {
  readonly bucket: string;
  /** Key prefix, ending in `/`. */
  readonly prefix: string;
}

export interface ArtifactMirrorProps {
  /** The role that installs from the mirror and stores what it verified there: the controller's. */
  readonly controllerRole: iam.IRole;
  /**
   * Key prefix of the controller's objects (`war/…`, `plugin-sets/…`); the role may use no other.
   * @default 'controller/'
   */
  readonly prefix?: string;
}

/**
 * The stack's own copy of the controller's third-party artifacts: the Jenkins war and the locked plugin
 * set, stored by the controller after its first verified install (assets/controller/lib.sh) so that a
 * re-boot or a replacement controller needs no third-party site when nothing changed. Every object is
 * checked against the sha256 pinned in the repository each time it is read, so the bucket is a cache
 * that cannot change what runs; it is kept (retained on destroy), private and TLS-only.
 */
export class ArtifactMirror extends Construct {
  public readonly bucket: s3.Bucket;
  public readonly location: ArtifactMirrorLocation;

  constructor(scope: Construct, id: string, props: ArtifactMirrorProps) {
    super(scope, id);
    const prefix = props.prefix ?? 'controller/';
    if (!/^[a-z0-9][a-z0-9-]*(\/[a-z0-9][a-z0-9-]*)*\/$/.test(prefix)) {
      throw new UserInputError(
        `ArtifactMirror: prefix must be lower-case path segments ending in '/', like 'controller/' (got '${prefix}')`,
      );
    }
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // Objects are written once under content-addressed keys; versions would only keep duplicates.
      versioned: false,
      removalPolicy: RemovalPolicy.RETAIN,
      // A controller stopped in the middle of storing a 100 MB set leaves parts behind.
      lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(7) }],
    });
    this.location = { bucket: this.bucket.bucketName, prefix };
    this.grantController(props.controllerRole, prefix);
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions::AwsSolutions-S1',
      reason:
        'Holds copies of public Jenkins release files only; the controller verifies each object against the sha256 pinned in the repository on every read, so integrity does not rest on access records, and only the controller role can write',
    });
  }

  private grantController(role: iam.IRole, prefix: string): void {
    const objects = `${this.bucket.bucketArn}/${prefix}*`;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ArtifactMirrorObjects',
        // PutObject also covers the multipart upload the CLI uses for large files; Abort cleans up after a
        // failed one.
        actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
        resources: [objects],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ArtifactMirrorList',
        // With s3:ListBucket a key the mirror does not hold yet answers 404, without it 403 (S3 API
        // reference, HeadObject "Permissions"), so the boot log says "not there" rather than "denied".
        // The bucket holds nothing but these artifacts.
        actions: ['s3:ListBucket'],
        resources: [this.bucket.bucketArn],
      }),
    );
    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket);
    Validations.of(role).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${prefix}*]`,
      reason: `The controller reads and stores artifacts under its own prefix ${prefix} of the artifact mirror only; the keys are content-addressed, so they cannot be listed in the policy`,
    });
  }
}
