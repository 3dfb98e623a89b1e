import { AssetHashType, DockerImage, Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * The one Lambda runtime of this project: the newest Node.js Lambda offers in the pinned aws-cdk-lib, so
 * every function gets runtime security fixes the longest (cdk-nag AwsSolutions-L1 holds without exceptions).
 */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * What every function of the stack shares, the provider frameworks' included: Graviton (the handlers are
 * plain JavaScript, and arm64 costs less per GB-second), 256 MB for ours (the SDK clients load faster than
 * with 128), and three months of logs (a stop, terminate or apply can be traced back a quarter later).
 * No active X-Ray tracing: each handler logs its every call, and tracing would need xray:Put* on `*`.
 */
export const LAMBDA_ARCHITECTURE = lambda.Architecture.ARM_64;
const LAMBDA_MEMORY_MB = 256;
export const LAMBDA_LOG_RETENTION = logs.RetentionDays.THREE_MONTHS;

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
  /** @default - none */
  readonly environment?: Record<string, string>;
  /** Asynchronous invocation retries. @default - Lambda's default (2) */
  readonly retryAttempts?: number;
  /** Description of the execution role. @default - the function's description */
  readonly roleDescription?: string;
  /**
   * An execution role shared with the other handlers of the same code (it gets this log group's writes).
   * @default - a role of its own, `<id>Role`
   */
  readonly role?: iam.Role;
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
 * add the function's own permissions to `role`. Every function of the stack is made here (or is a provider
 * framework's, see scopedProvider): test/stack/lambda-functions.test.ts holds them to it.
 */
export function projectFunction(scope: Construct, id: string, props: ProjectFunctionProps): ProjectFunction {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: LAMBDA_LOG_RETENTION });
  const role =
    props.role ??
    new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: props.roleDescription ?? props.description,
    });
  // Statement ids are unique within a policy: a shared role gets one statement per function.
  grantLogWrites(role, logGroup, props.role ? `Write${id}Logs` : undefined);
  const fn = new nodejs.NodejsFunction(scope, id, {
    code: lambdaCode(props.code),
    handler: props.handler,
    runtime: LAMBDA_RUNTIME,
    architecture: LAMBDA_ARCHITECTURE,
    memorySize: LAMBDA_MEMORY_MB,
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
function grantLogWrites(role: iam.IRole, logGroup: logs.ILogGroup, sid = 'WriteOwnLogs'): void {
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid,
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
 * may write only there (instead of the framework's default roles with AWSLambdaBasicExecutionRole). The
 * framework picks its functions' runtime, memory and timeout (its onEvent waits for the handler, so up to
 * 15 minutes); their architecture is set here to the stack's, which the framework offers no prop for.
 */
export function scopedProvider(scope: Construct, id: string, props: ScopedProviderProps): cr.Provider {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: LAMBDA_LOG_RETENTION });
  const frameworkRole = (roleId: string, description: string) => {
    const role = new iam.Role(scope, roleId, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description,
    });
    grantLogWrites(role, logGroup);
    return role;
  };
  const provider = new cr.Provider(scope, id, {
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
  for (const child of provider.node.children) {
    if (child instanceof lambda.Function) {
      (child.node.defaultChild as lambda.CfnFunction).architectures = [LAMBDA_ARCHITECTURE.name];
    }
  }
  return provider;
}
