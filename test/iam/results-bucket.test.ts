import { synthApp } from '../stack/app-helpers';
import { call, instanceSession } from './calls';
import { evaluateCall } from './evaluate';
import { lintPolicies } from './lint';
import { CfnTemplate } from './resolve-intrinsics';
import { StackFacts } from './stack-facts';
import { INSTANCES } from './tables/table';

/**
 * With `resultsLocation: s3://…` the worker role also reads and writes that bucket (training data in,
 * checkpoints and results out: jobs/train.Jenkinsfile writes under RESULTS_DIR/PROBLEM/MODEL-BUILD), and
 * nothing else of S3. A second synthesis, so the default-settings suite stays as it is.
 */
let facts: StackFacts;

beforeAll(() => {
  const { app, stack } = synthApp({ jenkinsGpu: { resultsLocation: 's3://ml-results/runs' } });
  facts = new StackFacts(app.synth().getStackByName(stack.stackName).template as CfnTemplate);
});

const object = (key: string, bucket = 'ml-results') => `arn:aws:s3:::${bucket}/${key}`;

describe('the worker role with an s3:// results location', () => {
  const evaluate = async (c: ReturnType<typeof call>) => {
    const role = facts.role(/^WorkersRole[0-9A-F]{8}$/);
    return (await evaluateCall(role, instanceSession(facts, role.arn, INSTANCES.worker), c)).outcome;
  };

  it.each([
    ['listing the bucket', 's3:ListBucket', 'arn:aws:s3:::ml-results'],
    ['reading training data', 's3:GetObject', object('data/train.tfrecord')],
    ['writing a checkpoint', 's3:PutObject', object('runs/mnist/transformer-12/model.ckpt')],
    [
      'aborting a multipart upload',
      's3:AbortMultipartUpload',
      object('runs/mnist/transformer-12/model.ckpt'),
    ],
  ])('allows %s', async (what, action, resource) => {
    expect(await evaluate(call(what, { action, resource }))).toBe('Allowed');
  });

  it.each([
    ['reading another bucket', 's3:GetObject', object('secrets.json', 'prod-data')],
    ['deleting results', 's3:DeleteObject', object('runs/mnist/transformer-11/model.ckpt')],
    ['changing the bucket policy', 's3:PutBucketPolicy', 'arn:aws:s3:::ml-results'],
    ['listing every bucket', 's3:ListAllMyBuckets', '*'],
  ])('denies %s', async (what, action, resource) => {
    expect(await evaluate(call(what, { action, resource }))).not.toBe('Allowed');
  });

  it('names only actions that exist and condition keys that apply', async () => {
    expect(await lintPolicies(facts.roles)).toEqual([]);
  });
});
