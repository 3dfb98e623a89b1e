/**
 * Runs the real scripts of the gpu-check job (jobs/gpu-check/*.sh) as a Jenkins `sh` step would on a worker:
 * WORKSPACE and WORKSPACE_TMP (`<workspace>@tmp`) set, as Jenkins sets them for every sh step, in a temp dir.
 * PATH holds only the fakes of test/fakes/gpu-check (nvidia-smi, the system python3 that makes fake
 * virtualenvs, the AWS CLI) and the few real tools the scripts use, so nothing reaches a real GPU, index or
 * bucket. Fixtures are files in the fake dir (see each fake's header for what it reads).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO = path.resolve(__dirname, '../..');
export const GPU_CHECK = path.join(REPO, 'jobs/gpu-check');
const FAKES = path.join(REPO, 'test/fakes/gpu-check');
const FAKE_TOOLS = ['nvidia-smi', 'python3', 'fake-venv-python', 'fake-venv-pip', 'aws'];
const REAL_TOOLS = [
  'awk',
  'basename',
  'cat',
  'chmod',
  'cmp',
  'cp',
  'date',
  'dirname',
  'find',
  'grep',
  'head',
  'install',
  'mkdir',
  'rm',
  'sed',
  'stat',
  'tail',
  'tee',
];

/** `nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader` on a g4dn.xlarge. */
export const T4_QUERY = 'Tesla T4, 550.127.05, 15360 MiB\n';
/** The header of plain `nvidia-smi` on the same machine (the table's first lines). */
export const T4_TABLE = [
  'Mon Jan 15 08:00:00 2027',
  '+-----------------------------------------------------------------------------------------+',
  '| NVIDIA-SMI 550.127.05             Driver Version: 550.127.05     CUDA Version: 12.4     |',
  '|-----------------------------------------+------------------------+----------------------+',
  '',
].join('\n');

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function which(tool: string): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const candidate = path.join(dir, tool);
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error(`${tool} not found on PATH`);
}

export class FakeWorker {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gpu-check-'));
  readonly workspace = path.join(this.dir, 'workspace/gpu-check');
  readonly workspaceTmp = `${this.workspace}@tmp`;
  readonly fake = path.join(this.dir, 'fake');
  private readonly bin = path.join(this.dir, 'bin');

  /** @param without fakes to leave off PATH (e.g. nvidia-smi on a machine without the driver). */
  constructor(without: string[] = []) {
    for (const dir of [this.workspace, this.fake, this.bin, path.join(this.dir, 'home')]) {
      fs.mkdirSync(dir, { recursive: true });
    }
    for (const tool of REAL_TOOLS) fs.symlinkSync(which(tool), path.join(this.bin, tool));
    for (const tool of FAKE_TOOLS.filter((t) => !without.includes(t))) {
      fs.symlinkSync(path.join(FAKES, tool), path.join(this.bin, tool));
    }
  }

  /** Writes a fixture file into the fake dir (`name` may contain directories, e.g. s3/bucket/key). */
  fixture(name: string, content: string): string {
    const file = path.join(this.fake, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    return file;
  }

  /** A file outside the workspace, e.g. a credential file that a withCredentials binding would write. */
  file(name: string, content: string): string {
    const file = path.join(this.dir, 'files', name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    return file;
  }

  run(script: string, args: string[] = [], env: Record<string, string> = {}): RunResult {
    const result = spawnSync('/bin/bash', [path.join(GPU_CHECK, script), ...args], {
      cwd: this.workspace,
      env: {
        PATH: this.bin,
        HOME: path.join(this.dir, 'home'),
        FAKE_DIR: this.fake,
        WORKSPACE: this.workspace,
        WORKSPACE_TMP: this.workspaceTmp,
        BUILD_NUMBER: '7',
        ...env,
      },
      encoding: 'utf8',
    });
    if (result.error) throw result.error;
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  /** The results file as [status, check, detail] rows, in the order reported. */
  results(): string[][] {
    const file = path.join(this.workspace, 'gpu-check-results.tsv');
    if (!fs.existsSync(file)) return [];
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => line.split('\t'));
  }

  /** Appends result rows as earlier stages would have reported them. */
  reported(rows: Array<[string, string, string]>): void {
    const file = path.join(this.workspace, 'gpu-check-results.tsv');
    fs.appendFileSync(file, rows.map((row) => `${row.join('\t')}\n`).join(''));
  }

  calls(): string[] {
    const file = path.join(this.fake, 'calls.log');
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
