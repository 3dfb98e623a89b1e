import * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * The one Lambda runtime of this project: the newest Node.js Lambda offers in the pinned aws-cdk-lib, so
 * every function gets runtime security fixes the longest (cdk-nag AwsSolutions-L1 holds without exceptions).
 */
export const LAMBDA_RUNTIME = lambda.Runtime.NODEJS_24_X;
