/**
 * The last checks of the gpu-check job and the summary that decides the build, run for real against fakes
 * (test/jobs/gpu-check-harness.ts): storage.sh on a local results path, a fake S3 (the AWS CLI) and a
 * fake GCS (gcs.py in a fake virtualenv); train.sh with a fake train.py; summary.sh on results files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { FakeWorker } from './gpu-check-harness';

let worker: FakeWorker;
beforeEach(() => {
  worker = new FakeWorker();
});
afterEach(() => worker.cleanup());

/** A fake service-account key, built at run time so the repository holds no secret-looking literal. */
const PEM_LABEL = ['PRIVATE', 'KEY'].join(' ');
const KEY = JSON.stringify({ type: 'service_account', private_key: `-----BEGIN ${PEM_LABEL}-----SECRET` });
const PLACEHOLDER = 'PLACEHOLDER: set with npm run credentials -- set gcp-service-account --file <path>';

describe('storage.sh (stage "Results storage")', () => {
  it('writes and reads back a file in a results path on the worker', () => {
    const output = path.join(worker.dir, 'results/gpu-check/7');
    const r = worker.run('storage.sh', [], { OUTPUT_DIR: output });
    expect(r.stdout).toBe(
      `PASS storage: wrote and read back ${output}/storage-probe.txt on the worker's disk (it goes when the worker is terminated)\n`,
    );
    expect(r.status).toBe(0);
    expect(fs.readFileSync(path.join(output, 'storage-probe.txt'), 'utf8')).toMatch(
      /^written by gpu-check build 7 /,
    );
  });

  it('fails when the results path cannot be created', () => {
    const blocker = worker.file('not-a-dir', 'a file where a directory should be');
    const r = worker.run('storage.sh', [], { OUTPUT_DIR: `${blocker}/gpu-check/7` });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(
      new RegExp(
        `^FAIL storage: cannot write ${blocker}/gpu-check/7/storage-probe.txt on the worker's disk .*: mkdir: .*Not a directory \\(the agent user \\(ubuntu\\) must be able to create it\\)\\n$`,
      ),
    );
  });

  it('writes and reads back s3:// with the instance role (no credential)', () => {
    const r = worker.run('storage.sh', [], { OUTPUT_DIR: 's3://results-bucket/results/gpu-check/7' });
    expect(r.stdout).toBe(
      "PASS storage: wrote and read back s3://results-bucket/results/gpu-check/7/storage-probe.txt with the worker's instance role\n",
    );
    expect(
      fs.existsSync(path.join(worker.fake, 's3/results-bucket/results/gpu-check/7/storage-probe.txt')),
    ).toBe(true);
    expect(worker.calls().filter((c) => c.startsWith('aws'))).toEqual([
      expect.stringMatching(
        /^aws s3 cp --only-show-errors \S+ s3:\/\/results-bucket\/results\/gpu-check\/7\/storage-probe.txt$/,
      ),
      expect.stringMatching(
        /^aws s3 cp --only-show-errors s3:\/\/results-bucket\/results\/gpu-check\/7\/storage-probe.txt \S+$/,
      ),
    ]);
  });

  it("fails s3:// with the CLI's AccessDenied line and which bucket the role may use", () => {
    worker.fixture('s3-denied', '');
    const r = worker.run('storage.sh', [], { OUTPUT_DIR: 's3://other-bucket/x' });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(
      /^FAIL storage: cannot write s3:\/\/other-bucket\/x\/storage-probe.txt with the worker's instance role: upload failed: .* An error occurred \(AccessDenied\) when calling the PutObject operation: Access Denied \(the workers' role may use only the bucket of the stack's resultsLocation setting\)\n$/,
    );
  });

  it('fails when what it reads back differs from what it wrote', () => {
    worker.fixture('s3-corrupt', '');
    const r = worker.run('storage.sh', [], { OUTPUT_DIR: 's3://results-bucket/x' });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(
      'FAIL storage: read back s3://results-bucket/x/storage-probe.txt, but it differs from what was written\n',
    );
  });

  it('fails gs:// at once when gcp-service-account is still the placeholder, installing nothing', () => {
    const key = worker.file('service-account.json', PLACEHOLDER);
    const r = worker.run('storage.sh', [], {
      OUTPUT_DIR: 'gs://bucket/results/gpu-check/7',
      GCP_KEY_FILE: key,
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(
      'FAIL storage: gs://bucket/results/gpu-check/7 is on Google Cloud Storage, which needs the gcp-service-account credential: npm run credentials -- set gcp-service-account --file <key.json>\n',
    );
    expect(worker.calls()).toEqual([]);
  });

  it('writes and reads back gs:// with the service-account key, through gcs.py in its own virtualenv', () => {
    const key = worker.file('service-account.json', KEY);
    const r = worker.run('storage.sh', [], {
      OUTPUT_DIR: 'gs://bucket/results/gpu-check/7',
      GCP_KEY_FILE: key,
    });
    expect(r.stdout).toContain(
      'PASS storage: wrote and read back gs://bucket/results/gpu-check/7/storage-probe.txt with the gcp-service-account key\n',
    );
    expect(r.status).toBe(0);
    expect(r.stdout + r.stderr).not.toContain('SECRET');
    const calls = worker.calls();
    expect(calls[0]).toBe(`python3 -m venv ${worker.workspaceTmp}/gpu-check-storage-venv`);
    expect(calls[1]).toBe('pip install --progress-bar off google-cloud-storage (pip.conf: absent)');
    expect(calls.filter((c) => c.startsWith('gcs cp'))).toEqual([
      expect.stringMatching(
        new RegExp(`^gcs cp \\S+ gs://bucket/results/gpu-check/7/storage-probe.txt \\(key: ${key}\\)$`),
      ),
      expect.stringMatching(
        new RegExp(`^gcs cp gs://bucket/results/gpu-check/7/storage-probe.txt \\S+ \\(key: ${key}\\)$`),
      ),
    ]);
  });

  it("fails gs:// with gcs.py's one-line reason", () => {
    const key = worker.file('service-account.json', KEY);
    worker.fixture(
      'gcs.err',
      'Forbidden 403: POST https://storage.googleapis.com/upload/storage/v1/b/bucket/o?uploadType=multipart: sa@p.iam.gserviceaccount.com does not have storage.objects.create access\n',
    );
    worker.fixture('gcs.rc', '1');
    const r = worker.run('storage.sh', [], { OUTPUT_DIR: 'gs://bucket/x', GCP_KEY_FILE: key });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(
      'FAIL storage: cannot write gs://bucket/x/storage-probe.txt with the gcp-service-account key: Forbidden 403: POST',
    );
    expect(r.stdout).toContain(
      '(the service account needs permission to create and read objects in the bucket',
    );
  });
});

describe('train.sh (stage "Train on GPU")', () => {
  const FILES = 'checkpoint/model.pt\nevents/events.out.tfevents.1800000000.ip-10-0-1-5.4242.0\n';
  /** train.py's progress line and its result line (jobs/gpu-check/train.py main()). */
  const RESULT =
    'step 4000 loss 0.0213 (10 s)\n' +
    'result device=GPU:0 steps=24100 seconds=60.0 first_loss=0.61 last_loss=0.0042 ' +
    'checkpoint=@OUTPUT@/checkpoint/model.pt events=@OUTPUT@/events\n';

  /**
   * As the earlier stages leave the worker: the driver check passed, framework.sh made the virtualenv and
   * storage.sh wrote to OUTPUT_DIR (for gs://, it also made the gs:// client's virtualenv).
   */
  function earlierChecksPassed(env: Record<string, string>) {
    worker.reported([['PASS', 'driver', 'NVIDIA driver 550.127.05']]);
    worker.fixture('probe.out', 'framework torch 2.5.1\ncuda 12.4\ngpu Tesla T4\n');
    expect(worker.run('framework.sh', [], { FRAMEWORK: 'pytorch' }).status).toBe(0);
    expect(worker.run('storage.sh', [], env).status).toBe(0);
  }

  function trainWith(out: string, files: string, env: Record<string, string>, then: () => void = () => {}) {
    earlierChecksPassed(env);
    then();
    worker.fixture('train.out', out);
    worker.fixture('train.files', files);
    return worker.run('train.sh', [], { FRAMEWORK: 'pytorch', TRAIN_SECONDS: '60', ...env });
  }

  it('trains on the GPU, copies checkpoint and events to OUTPUT_DIR and prints the TensorBoard command', () => {
    const output = path.join(worker.dir, 'results/gpu-check/7');
    const r = trainWith(RESULT, FILES, { OUTPUT_DIR: output });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      `PASS train: 24100 steps in 60.0 s on GPU:0, loss 0.61 -> 0.0042; checkpoint checkpoint/model.pt and TensorBoard events events/ in ${output}\n`,
    );
    expect(r.stdout).toMatch(new RegExp(`TensorBoard: tensorboard --logdir ${output}\\n$`));
    expect(fs.readdirSync(path.join(output, 'events'))).toEqual([
      'events.out.tfevents.1800000000.ip-10-0-1-5.4242.0',
    ]);
    expect(fs.existsSync(path.join(output, 'checkpoint/model.pt'))).toBe(true);
    expect(worker.calls()).toContainEqual(
      `python train.py --framework pytorch --seconds 60 --output ${worker.workspace}/output (TF_CPP_MIN_LOG_LEVEL=1)`,
    );
  });

  it('copies the output to s3:// recursively', () => {
    const r = trainWith(RESULT, FILES, { OUTPUT_DIR: 's3://results-bucket/results/gpu-check/7' });
    expect(r.status).toBe(0);
    expect(
      fs.existsSync(path.join(worker.fake, 's3/results-bucket/results/gpu-check/7/checkpoint/model.pt')),
    ).toBe(true);
    expect(worker.calls()).toContainEqual(
      `aws s3 cp --only-show-errors --recursive ${worker.workspace}/output s3://results-bucket/results/gpu-check/7`,
    );
  });

  it('copies the output to gs:// with the service-account key', () => {
    const key = worker.file('service-account.json', KEY);
    const r = trainWith(RESULT, FILES, { OUTPUT_DIR: 'gs://bucket/results/gpu-check/7', GCP_KEY_FILE: key });
    expect(r.status).toBe(0);
    expect(fs.existsSync(path.join(worker.fake, 'gcs/bucket/results/gpu-check/7/events'))).toBe(true);
    expect(worker.calls()).toContainEqual(
      `gcs cp ${worker.workspace}/output gs://bucket/results/gpu-check/7 (key: ${key})`,
    );
  });

  it('skips (exit 0) without training when a check it needs did not pass', () => {
    worker.reported([
      ['PASS', 'driver', 'ok'],
      ['FAIL', 'framework', 'pip install failed'],
    ]);
    const r = worker.run('train.sh', [], { FRAMEWORK: 'pytorch', OUTPUT_DIR: '/tmp/unused' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('SKIP train: needs these checks to pass first: framework storage\n');
    expect(worker.calls()).toEqual([]);
  });

  it.each([
    [
      'trained on the CPU',
      RESULT.replace('device=GPU:0', 'device=CPU:0'),
      FILES,
      'FAIL train: trained on CPU:0, not on a GPU',
    ],
    [
      'the loss did not halve',
      RESULT.replace('last_loss=0.0042', 'last_loss=0.4'),
      FILES,
      'FAIL train: the loss did not halve (first 0.61, last 0.4 after 24100 steps)',
    ],
    [
      'no result line',
      'step 100 loss 0.5\n',
      FILES,
      'FAIL train: train.py printed no result line (step 100 loss 0.5)',
    ],
    [
      'no checkpoint',
      RESULT,
      'events/events.out.tfevents.1800000000.ip-10-0-1-5.4242.0\n',
      'FAIL train: train.py reported the checkpoint',
    ],
    ['no event file', RESULT, 'checkpoint/model.pt\n', 'FAIL train: no TensorBoard event file under'],
  ])('fails when %s', (_label, out, files, line) => {
    const r = trainWith(out, files, { OUTPUT_DIR: path.join(worker.dir, 'results') });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(line);
    expect(r.stdout).not.toContain('TensorBoard:');
  });

  it('fails with the last line of a crashed train.py', () => {
    worker.fixture('train.rc', '1');
    const r = trainWith(
      'Traceback (most recent call last):\ntorch.OutOfMemoryError: CUDA out of memory.\n',
      FILES,
      {
        OUTPUT_DIR: path.join(worker.dir, 'results'),
      },
    );
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(
      'FAIL train: train.py failed (exit 1): torch.OutOfMemoryError: CUDA out of memory.\n',
    );
  });

  it('fails when the output cannot be copied to OUTPUT_DIR', () => {
    const r = trainWith(RESULT, FILES, { OUTPUT_DIR: 's3://results-bucket/x' }, () =>
      worker.fixture('s3-denied', ''),
    );
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(
      'FAIL train: trained, but copying the output to s3://results-bucket/x failed: upload failed:',
    );
  });
});

describe('summary.sh (post of the GPU stage: decides the build)', () => {
  const CHECKS = ['driver', 'credential gcp-service-account', 'framework', 'storage', 'train'];

  it('lists every result and passes when every check passed', () => {
    worker.reported(CHECKS.map((c) => ['PASS', c, `${c} ok`] as [string, string, string]));
    const r = worker.run('summary.sh', CHECKS, { OUTPUT_DIR: 's3://bucket/results/gpu-check/7' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      [
        'gpu-check results:',
        '  PASS  driver                          driver ok',
        '  PASS  credential gcp-service-account  credential gcp-service-account ok',
        '  PASS  framework                       framework ok',
        '  PASS  storage                         storage ok',
        '  PASS  train                           train ok',
        'gpu-check: all 5 checks passed: this worker, its credentials and RESULTS_DIR are ready for the train job',
        'TensorBoard: tensorboard --logdir s3://bucket/results/gpu-check/7',
        '',
      ].join('\n'),
    );
  });

  it('fails the build when a check failed or was skipped; the last result of a check counts', () => {
    worker.reported([
      ['PASS', 'driver', 'ok'],
      ['PASS', 'credential gcp-service-account', 'resolves, set'],
      ['PASS', 'framework', 'ok'],
      ['PASS', 'storage', 'first try'],
      ['FAIL', 'storage', 'cannot write'],
      ['SKIP', 'train', 'needs these checks to pass first: storage'],
    ]);
    const r = worker.run('summary.sh', CHECKS);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('  FAIL  storage                         cannot write\n');
    expect(r.stdout).toContain('  SKIP  train ');
    expect(r.stdout).toMatch(/gpu-check: 2 checks of 5 did not pass: storage, train\n$/);
  });

  it('fails a check with no result, explaining an unbound credential', () => {
    worker.reported([['PASS', 'driver', 'ok']]);
    const r = worker.run('summary.sh', ['driver', 'credential pypi-pip-conf', 'framework']);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(
      '  FAIL  credential pypi-pip-conf  Jenkins could not bind it (its error is in the log above): the secret is missing, or a file credential holds text; set it with npm run credentials -- set pypi-pip-conf --file <path>\n',
    );
    expect(r.stdout).toContain(
      '  FAIL  framework                 no result: the stage stopped before it reported',
    );
    expect(r.stdout).toMatch(/2 checks of 3 did not pass: credential pypi-pip-conf, framework\n$/);
  });

  it('fails when no stage reported anything', () => {
    const r = worker.run('summary.sh', CHECKS);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/5 checks of 5 did not pass/);
  });
});
