import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';

import { requireIntegerProp } from '../errors';
import { acknowledgeFinding } from '../nag/acknowledge';
import { wildcardResourceId } from '../nag/finding-id';

export interface ShellSessionLoggingProps {
  /** The instance role of the machine sessions are opened on (the controller). */
  readonly instanceRole: iam.IRole;
  /**
   * Name of the Session Manager document (`aws ssm start-session --document-name <this>`).
   * @default `<stackName>-ShellSession`
   */
  readonly documentName?: string;
  /** @default logs.RetentionDays.ONE_YEAR */
  readonly retention?: logs.RetentionDays;
  /** Minutes of inactivity after which Session Manager ends a shell session. @default 20 */
  readonly idleSessionTimeoutMinutes?: number;
}

/**
 * Logged shell sessions on the controller: a Session Manager session document of this stack whose shell
 * sessions are streamed to a CloudWatch log group, and the instance-role permissions the SSM agent needs to
 * write there (Systems Manager User Guide, "Logging session data using Amazon CloudWatch Logs":
 * logs:CreateLogStream, PutLogEvents, DescribeLogGroups, DescribeLogStreams). A document of its own, not
 * the account's SSM-SessionManagerRunShell preferences, which are shared by every stack in the region.
 * Port forwarding sessions (the UI) carry no shell to log; CloudTrail records every StartSession.
 * docs/policies/ has the IAM policies that make admins use this document and UI users port-forward only.
 */
export class ShellSessionLogging extends Construct {
  public readonly logGroup: logs.LogGroup;
  public readonly documentName: string;

  constructor(scope: Construct, id: string, props: ShellSessionLoggingProps) {
    super(scope, id);
    const idle = requireIntegerProp(
      'ShellSessionLogging',
      'idleSessionTimeoutMinutes',
      props.idleSessionTimeoutMinutes ?? 20,
      { min: 1, max: 60 },
    );
    this.documentName = props.documentName ?? `${Stack.of(this).stackName}-ShellSession`;
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.retention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    new ssm.CfnDocument(this, 'Document', {
      name: this.documentName,
      documentType: 'Session',
      content: {
        schemaVersion: '1.0',
        description: 'Shell on the Jenkins controller, streamed to CloudWatch Logs',
        sessionType: 'Standard_Stream',
        inputs: {
          cloudWatchLogGroupName: this.logGroup.logGroupName,
          cloudWatchEncryptionEnabled: false,
          cloudWatchStreamingEnabled: true,
          idleSessionTimeout: String(idle),
          runAsEnabled: false,
        },
      },
    });
    props.instanceRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'StreamShellSessions',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    props.instanceRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'FindSessionLogGroup',
        // The agent checks that the group exists before a session starts; no resource-level permissions.
        actions: ['logs:DescribeLogGroups'],
        resources: ['*'],
      }),
    );
    acknowledgeFinding(
      props.instanceRole,
      wildcardResourceId(this, '*'),
      'logs:DescribeLogGroups (the SSM agent checking the session log group exists) has no resource-level permissions',
    );
  }
}
