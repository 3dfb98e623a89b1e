import * as path from 'path';
import { Construct } from 'constructs';
import { AssetHashType, DockerImage, Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * The one Lambda runtime of this project: the newest Node.js Lambda offers in the pinned aws-cdk-lib, so
 * every function gets runtime security fixes the longest (cdk-nag AwsSolutions-L1 holds without exceptions).
 */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * The code of `lambda/<name>/index.ts` for a NodejsFunction (`code` prop), bundled with esbuild's JS API
 * in this process. NodejsFunction's own bundling starts `npx esbuild` once per function, about half a
 * second each, which was most of the synth time this project adds over a minimal app (`npm run bench`).
 * The AWS SDK v3 stays external: the Node.js runtime provides it. Skipped, like any bundling, when the
 * context `aws:cdk:bundling-stacks` excludes the stack (unit tests).
 */
export function lambdaCode(name: string): lambda.Code {
  const entry = path.join(ROOT, 'lambda', name, 'index.ts');
  return lambda.Code.fromAsset(path.dirname(entry), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never pulled: local bundling below always succeeds or throws.
      image: DockerImage.fromRegistry('public.ecr.aws/sam/build-nodejs22.x'),
      local: {
        tryBundle(outputDir: string): boolean {
          // Loaded only when bundling runs, so synth of unit tests never needs it.
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          const esbuild = require('esbuild') as typeof import('esbuild');
          esbuild.buildSync({
            entryPoints: [entry],
            outfile: path.join(outputDir, 'index.js'),
            bundle: true,
            platform: 'node',
            format: 'cjs',
            target: 'node22',
            minify: true,
            external: ['@aws-sdk/*'],
            logLevel: 'error',
          });
          return true;
        },
      },
    },
  });
}

export interface ProjectFunctionProps {
  /** The directory under `lambda/` with the handler's index.ts. */
  readonly code: string;
  /** `index.<export>`. */
  readonly handler: string;
  readonly description?: string;
  /** @default Duration.minutes(1) */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default lambda.Architecture.ARM_64 */
  readonly architecture?: lambda.Architecture;
  /** @default - none */
  readonly environment?: Record<string, string>;
  /** Asynchronous invocation retries. @default - Lambda's default (2) */
  readonly retryAttempts?: number;
  /** Description of the execution role. @default - the function's description */
  readonly roleDescription?: string;
  /** Retention of the function's log group. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/** A function of this project, its own log group and an execution role that may write only there. */
export interface ProjectFunction {
  readonly fn: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
}

/**
 * A NodejsFunction with a log group of its own (`<id>Logs`) and an execution role (`<id>Role`) whose only
 * log permission is writing streams of that group: not AWSLambdaBasicExecutionRole, which allows
 * logs:CreateLogGroup, CreateLogStream and PutLogEvents on every log group of the account (`*`). Callers
 * add the function's own permissions to `role`.
 */
export function projectFunction(scope: Construct, id: string, props: ProjectFunctionProps): ProjectFunction {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
  });
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: props.roleDescription ?? props.description,
  });
  grantLogWrites(role, logGroup);
  const fn = new nodejs.NodejsFunction(scope, id, {
    code: lambdaCode(props.code),
    handler: props.handler,
    runtime: LAMBDA_RUNTIME,
    architecture: props.architecture ?? lambda.Architecture.ARM_64,
    memorySize: props.memorySize ?? 256,
    timeout: props.timeout ?? Duration.minutes(1),
    description: props.description,
    environment: props.environment,
    retryAttempts: props.retryAttempts,
    role,
    logGroup,
  });
  return { fn, role, logGroup };
}

/** CreateLogStream and PutLogEvents on the streams of `logGroup` only. */
export function grantLogWrites(role: iam.IRole, logGroup: logs.ILogGroup): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid: 'WriteOwnLogs',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }),
  );
}

export interface ScopedProviderProps {
  readonly onEventHandler: lambda.IFunction;
  /** @default - no waiter */
  readonly isCompleteHandler?: lambda.IFunction;
  /** @default - the framework's default */
  readonly queryInterval?: Duration;
  /** @default - the framework's default */
  readonly totalTimeout?: Duration;
}

/**
 * A CDK provider framework whose functions log to one log group of their own (`<id>Logs`) with roles that
 * may write only there (instead of the framework's default roles with AWSLambdaBasicExecutionRole).
 */
export function scopedProvider(scope: Construct, id: string, props: ScopedProviderProps): cr.Provider {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: logs.RetentionDays.ONE_MONTH });
  const frameworkRole = (roleId: string, description: string) => {
    const role = new iam.Role(scope, roleId, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description,
    });
    grantLogWrites(role, logGroup);
    return role;
  };
  return new cr.Provider(scope, id, {
    ...props,
    logGroup,
    frameworkOnEventRole: frameworkRole(`${id}OnEventRole`, 'CDK provider framework: onEvent'),
    ...(props.isCompleteHandler
      ? {
          frameworkCompleteAndTimeoutRole: frameworkRole(
            `${id}WaiterRole`,
            'CDK provider framework: isComplete and onTimeout',
          ),
        }
      : {}),
  });
}
