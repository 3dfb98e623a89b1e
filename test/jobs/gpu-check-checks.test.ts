/**
 * The first three checks of the gpu-check job, run for real against fakes (test/jobs/gpu-check-harness.ts):
 * driver.sh (a fake nvidia-smi), credential.sh (credential files and variables as withCredentials binds
 * them) and framework.sh (a fake python3 whose virtualenvs have a fake pip and a fake framework probe).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { FakeWorker, T4_QUERY, T4_TABLE } from './gpu-check-harness';

let worker: FakeWorker;
beforeEach(() => {
  worker = new FakeWorker();
});
afterEach(() => worker.cleanup());

describe('driver.sh (stage "GPU and driver")', () => {
  it('passes with the driver version, its CUDA version and each GPU', () => {
    worker.fixture('nvidia-smi-query.out', T4_QUERY);
    worker.fixture('nvidia-smi.out', T4_TABLE);
    const r = worker.run('driver.sh');
    const line = 'driver: NVIDIA driver 550.127.05 (supports CUDA up to 12.4), 1 GPU: Tesla T4 (15360 MiB)';
    expect(r.stdout).toBe(`PASS ${line}\n`);
    expect(r.status).toBe(0);
    expect(worker.results()).toEqual([['PASS', 'driver', line.slice('driver: '.length)]]);
    expect(worker.calls()).toContain(
      'nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader',
    );
  });

  it('lists every GPU of a multi-GPU machine', () => {
    worker.fixture('nvidia-smi-query.out', 'NVIDIA A10G, 550.127.05, 23028 MiB\n'.repeat(4));
    worker.fixture('nvidia-smi.out', T4_TABLE);
    const r = worker.run('driver.sh');
    expect(r.stdout).toContain('4 GPUs: NVIDIA A10G (23028 MiB), NVIDIA A10G (23028 MiB), NVIDIA A10G');
    expect(r.status).toBe(0);
  });

  it('fails when the image has no nvidia-smi, naming the AMI it needs', () => {
    worker.cleanup();
    worker = new FakeWorker(['nvidia-smi']);
    const r = worker.run('driver.sh');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^FAIL driver: nvidia-smi not found: .*Deep Learning AMI/);
    expect(worker.results()[0][0]).toBe('FAIL');
  });

  it.each([
    [
      9,
      "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.",
      'the NVIDIA kernel module is not loaded: check the boot log of the worker (dmesg | grep -i nvidia)',
    ],
    [
      6,
      'No devices were found',
      'the instance has no NVIDIA GPU: use a GPU instance type (g4dn, g5, g6, p3...) in casc/ec2-cloud.yaml',
    ],
    [
      18,
      'Failed to initialize NVML: Driver/library version mismatch',
      'the driver was upgraded while its old kernel module is loaded (unattended upgrades): reboot the worker',
    ],
    [255, 'Unknown Error', 'see the nvidia-smi output above'],
  ])('fails on nvidia-smi exit %i with its message and a hint', (rc, message, hint) => {
    worker.fixture('nvidia-smi-query.out', `${message}\n`);
    worker.fixture('nvidia-smi.rc', String(rc));
    const r = worker.run('driver.sh');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(`${message}\nFAIL driver: nvidia-smi failed (exit ${rc}: ${message}): ${hint}\n`);
  });

  it('fails when nvidia-smi succeeds but lists no GPU', () => {
    worker.fixture('nvidia-smi-query.out', '\n');
    const r = worker.run('driver.sh');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('FAIL driver: nvidia-smi listed no GPU');
  });
});

describe('credential.sh (stage "Credentials")', () => {
  const SECRET = 'sk-live-DO-NOT-PRINT-42';
  const PLACEHOLDER = 'PLACEHOLDER: set with npm run credentials -- set gcp-service-account --file <path>';

  it('reports a set file credential without printing any of it', () => {
    const key = worker.file(
      'service-account.json',
      `{"type": "service_account", "private_key": "${SECRET}"}`,
    );
    const r = worker.run('credential.sh', ['gcp-service-account', 'file'], { CREDENTIAL_FILE: key });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('PASS credential gcp-service-account: resolves, set\n');
    expect(r.stdout + r.stderr + JSON.stringify(worker.results())).not.toContain(SECRET);
  });

  it('passes a file credential that still holds its placeholder, saying how to set it', () => {
    // The placeholder text is what the stack writes (lib/constructs/jenkins-credentials.ts placeholderValue).
    const file = worker.file('service-account.json', PLACEHOLDER);
    const r = worker.run('credential.sh', ['gcp-service-account', 'file'], { CREDENTIAL_FILE: file });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      'PASS credential gcp-service-account: resolves, still the placeholder (builds run without it; set it with npm run credentials -- set gcp-service-account)\n',
    );
  });

  it('tells a set value that only looks like the start of the placeholder from the placeholder', () => {
    for (const content of ['PLACE', 'PLACEHOLDER:x', 'placeholder: lower case']) {
      const file = worker.file('pip.conf', content);
      const r = worker.run('credential.sh', ['pypi-pip-conf', 'file'], { CREDENTIAL_FILE: file });
      expect(r.stdout).toBe('PASS credential pypi-pip-conf: resolves, set\n');
    }
  });

  it('checks a usernamePassword credential by its password, never printing it', () => {
    const set = worker.run('credential.sh', ['scm-credentials', 'password'], { CREDENTIAL_PASSWORD: SECRET });
    expect(set.stdout).toBe('PASS credential scm-credentials: resolves, set\n');
    expect(set.stdout + set.stderr + JSON.stringify(worker.results())).not.toContain(SECRET);
    const placeholder = worker.run('credential.sh', ['scm-credentials', 'password'], {
      CREDENTIAL_PASSWORD: PLACEHOLDER.replace('gcp-service-account', 'scm-credentials'),
    });
    expect(placeholder.stdout).toContain('PASS credential scm-credentials: resolves, still the placeholder');
  });

  it('fails an empty credential', () => {
    const file = worker.file('pip.conf', '');
    const r = worker.run('credential.sh', ['pypi-pip-conf', 'file'], { CREDENTIAL_FILE: file });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(
      'FAIL credential pypi-pip-conf: bound, but the file is empty: set it with npm run credentials -- set pypi-pip-conf --file <path>\n',
    );
  });

  it('is a usage error (exit 2, no result) when the pipeline binds nothing', () => {
    const r = worker.run('credential.sh', ['pypi-pip-conf', 'file']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('CREDENTIAL_FILE is not set');
    expect(worker.results()).toEqual([]);
    expect(worker.run('credential.sh', ['pypi-pip-conf', 'token']).status).toBe(2);
  });
});

describe('framework.sh (stage "Framework")', () => {
  const TF_PROBE = 'framework tensorflow 2.21.0\ncuda 12.5.1\ngpu Tesla T4\n';

  function runFramework(env: Record<string, string>) {
    return worker.run('framework.sh', [], env);
  }

  it('installs tensorflow[and-cuda] from the public index in a fresh virtualenv and passes when it computes on the GPU', () => {
    worker.fixture('probe.out', TF_PROBE);
    const stale = path.join(worker.workspaceTmp, 'gpu-check-venv', 'stale-file');
    fs.mkdirSync(path.dirname(stale), { recursive: true });
    fs.writeFileSync(stale, 'from an earlier build');
    const r = runFramework({ FRAMEWORK: 'tensorflow' });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      'PASS framework: tensorflow 2.21.0 (CUDA 12.5.1) computes on 1 GPU: Tesla T4; installed from the public index\n',
    );
    expect(fs.existsSync(stale)).toBe(false);
    expect(worker.calls()).toEqual([
      `python3 -m venv ${worker.workspaceTmp}/gpu-check-venv`,
      'pip install --progress-bar off tensorflow[and-cuda] (pip.conf: absent)',
      'python probe.py tensorflow (TF_CPP_MIN_LOG_LEVEL=1)',
    ]);
  });

  it('installs torch and tensorboard for pytorch, or the pinned FRAMEWORK_PACKAGE', () => {
    worker.fixture('probe.out', 'framework torch 2.5.1\ncuda 12.4\ngpu Tesla T4\ngpu Tesla T4\n');
    expect(runFramework({ FRAMEWORK: 'pytorch' }).stdout).toContain(
      'PASS framework: torch 2.5.1 (CUDA 12.4) computes on 2 GPUs: Tesla T4, Tesla T4',
    );
    runFramework({ FRAMEWORK: 'pytorch', FRAMEWORK_PACKAGE: 'torch==2.5.1' });
    const installs = worker.calls().filter((c) => c.startsWith('pip install'));
    expect(installs).toEqual([
      'pip install --progress-bar off torch tensorboard (pip.conf: absent)',
      'pip install --progress-bar off torch==2.5.1 tensorboard (pip.conf: absent)',
    ]);
  });

  it('installs from the pypi-pip-conf index when it is set (mode 600), not when it is the placeholder', () => {
    worker.fixture('probe.out', TF_PROBE);
    const conf = worker.file('pip.conf', '[global]\nindex-url = https://pypi.example.com/simple\n');
    const r = runFramework({ FRAMEWORK: 'tensorflow', PIP_CONF_FILE: conf });
    expect(r.stdout).toContain('installed from the index in pypi-pip-conf');
    const placeholder = worker.file('placeholder.conf', 'PLACEHOLDER: set with npm run credentials -- set x');
    runFramework({ FRAMEWORK: 'tensorflow', PIP_CONF_FILE: placeholder });
    expect(worker.calls().filter((c) => c.startsWith('pip install'))).toEqual([
      'pip install --progress-bar off tensorflow[and-cuda] (pip.conf: present, mode 600)',
      'pip install --progress-bar off tensorflow[and-cuda] (pip.conf: absent)',
    ]);
  });

  it("fails with pip's reason when the install fails, without running the probe", () => {
    worker.fixture(
      'pip.out',
      'ERROR: Could not find a version that satisfies the requirement torch==9.9 (from versions: 2.5.1)\n' +
        'ERROR: No matching distribution found for torch==9.9\n',
    );
    worker.fixture('pip.rc', '1');
    const r = runFramework({ FRAMEWORK: 'pytorch', FRAMEWORK_PACKAGE: 'torch==9.9' });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(
      'FAIL framework: pip install torch==9.9 tensorboard failed: ERROR: No matching distribution found for torch==9.9\n',
    );
    expect(worker.calls().some((c) => c.startsWith('python probe.py'))).toBe(false);
  });

  it('fails when the worker cannot make a virtualenv', () => {
    worker.fixture(
      'venv.err',
      'The virtual environment was not created successfully because ensurepip is not\navailable.\n',
    );
    worker.fixture('venv.rc', '1');
    const r = runFramework({ FRAMEWORK: 'tensorflow' });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(
      'FAIL framework: python3 -m venv failed (available.): the worker image needs python3-venv',
    );
  });

  it('fails with the import error when the framework does not load', () => {
    worker.fixture(
      'probe.err',
      'Traceback (most recent call last):\nImportError: libcudart.so.12: cannot open shared object file\n',
    );
    worker.fixture('probe.rc', '1');
    const r = runFramework({ FRAMEWORK: 'tensorflow' });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(
      'FAIL framework: the probe failed (exit 1): ImportError: libcudart.so.12: cannot open shared object file',
    );
  });

  it('fails a CPU-only build, saying which package to install', () => {
    worker.fixture('probe.out', 'framework torch 2.5.1+cpu\ncuda none\n');
    const r = runFramework({ FRAMEWORK: 'pytorch' });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('FAIL framework: torch 2.5.1+cpu is a CPU-only build: set FRAMEWORK_PACKAGE');
  });

  it("fails a CUDA build that sees no GPU, pointing at the driver check and showing the framework's messages", () => {
    worker.fixture('probe.out', 'framework tensorflow 2.21.0\ncuda 12.5.1\n');
    worker.fixture('probe.err', 'W0000 Cannot dlopen some GPU libraries.\n');
    const r = runFramework({ FRAMEWORK: 'tensorflow' });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(
      'FAIL framework: tensorflow 2.21.0 (built for CUDA 12.5.1) sees no GPU: the driver must support CUDA 12.5.1',
    );
    expect(r.stderr).toContain('Cannot dlopen some GPU libraries');
  });

  it('fails when the framework lists a GPU it cannot compute on', () => {
    worker.fixture(
      'probe.out',
      'framework torch 2.9.0\ncuda 13.0\ngpu_unusable Tesla T4: RuntimeError: CUDA error: no kernel image is available for execution on the device\n',
    );
    const r = runFramework({ FRAMEWORK: 'pytorch' });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(
      'FAIL framework: torch 2.9.0 lists a GPU it cannot compute on: Tesla T4: RuntimeError: CUDA error: no kernel image',
    );
  });

  it('is a usage error for a framework it does not know', () => {
    const r = runFramework({ FRAMEWORK: 'jax' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("FRAMEWORK must be tensorflow or pytorch (got 'jax')");
  });
});
