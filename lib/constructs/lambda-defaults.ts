import * as path from 'path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';

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
