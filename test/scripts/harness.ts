/**
 * Test harness for the controller scripts: a sandbox root (JENKINS_GPU_ROOT), fakes first on PATH, a config
 * bundle in the fake S3, and a real loopback HTTP server that plays Jenkins, IMDS and the download sites.
 */
import { spawn } from 'child_process';
import { createHash } from 'crypto';
import { strToU8, zipSync } from 'fflate';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';

import { bundleDigest } from '../../lib/bundle/digest';
import { bootFailureLog, JenkinsReply, SSHD_BOOT_CAUSE, SSHD_BOOT_FAILED_PAGE } from './jenkins-replies';

export const REPO = path.resolve(__dirname, '..', '..');
/** Node stand-ins for tools the scripts use but a test machine may not have (test/fakes/tools). */
const TOOL_SHIMS = path.join(REPO, 'test', 'fakes', 'tools');
const TOOLS_NPM_TEST_BRINGS = ['jq', 'unzip'];

/** Whether `tool` is an executable on this process's PATH. */
export function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => {
    try {
      fs.accessSync(path.join(dir, tool), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
export const CONTROLLER = path.join(REPO, 'assets', 'controller');
const FAKES = path.join(REPO, 'test', 'fakes', 'controller');

export const ADMIN_PASSWORD = 'Adm1n-S3cret-Value-42';
export const RELOAD_TOKEN = 'reloadTokenSecretValue987';
export const ADMIN_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:admin-password';
export const TOKEN_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:reload-token';
export const CORE_VERSION = '2.528.3';

export interface RunResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
}

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export function answer(res: http.ServerResponse, reply: JenkinsReply): void {
  res.writeHead(reply.status, reply.contentType ? { 'content-type': reply.contentType } : {}).end(reply.body);
}

/**
 * A loopback HTTP server; routes are looked up by `METHOD path` (query string stripped). `everyUrl`, when it
 * returns a reply, answers every request with it (a booting Jenkins, or one whose boot failed).
 */
export class FakeHttp {
  readonly requests: Recorded[] = [];
  readonly routes = new Map<string, Handler>();
  everyUrl: () => JenkinsReply | undefined = () => undefined;
  private server?: http.Server;
  url = '';

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      const key = `${req.method} ${(req.url ?? '').split('?')[0]}`;
      const handler = this.routes.get(key);
      req.resume();
      const everyUrl = this.everyUrl();
      if (everyUrl) {
        answer(res, everyUrl);
      } else if (handler) {
        handler(req, res);
      } else {
        res.writeHead(404).end('not found');
      }
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  /** Answers the route with each status/body in turn, the last one forever. */
  sequence(key: string, replies: Array<[number, string]>): void {
    let i = 0;
    this.routes.set(key, (_req, res) => {
      const [status, body] = replies[Math.min(i++, replies.length - 1)];
      res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
    });
  }

  /** Answers the route with each of Jenkins' replies in turn, the last one forever. */
  replies(key: string, replies: readonly JenkinsReply[]): void {
    let i = 0;
    this.routes.set(key, (_req, res) => answer(res, replies[Math.min(i++, replies.length - 1)]));
  }

  file(key: string, body: Buffer | string): void {
    this.routes.set(key, (_req, res) => res.writeHead(200).end(body));
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

/** A port nothing listens on (bound, then closed): connections are refused. */
export async function closedPortUrl(): Promise<string> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

export function writeTree(dir: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** The war the fake download site serves, and its sha256 as casc/jenkins-core.txt pins it. */
export const FAKE_WAR = Buffer.from('fake jenkins war');
export const WAR_SHA256 = sha256(FAKE_WAR);

/** A stand-in .hpi: its bytes name it, so a mix-up between plugins shows as a sha256 mismatch. */
export interface FakePlugin {
  readonly id: string;
  readonly version: string;
  readonly content: Buffer;
}

export function fakePlugin(id: string, version: string): FakePlugin {
  return { id, version, content: Buffer.from(`fake plugin ${id} ${version}\n`) };
}

export const DEFAULT_PLUGINS: readonly FakePlugin[] = [
  fakePlugin('configuration-as-code', '1967.va_968e15fd05b_'),
  fakePlugin('ec2', '2059.v05f9d511d7e5'),
];

/**
 * casc/plugins.txt and casc/plugins.lock for `plugins` (all chosen, none depends on another), in the
 * format lib/plugins/lock-file.ts reads; `lockOnly` plugins are locked without being chosen.
 */
export function pluginFiles(
  plugins: readonly FakePlugin[],
  lockOnly: readonly FakePlugin[] = [],
): Record<string, string> {
  const line = (p: FakePlugin, source: string) =>
    `${p.id}:${p.version} sha256=${sha256(p.content)} source=${source}\n  core 2.479.3\n`;
  return {
    'casc/plugins.txt': `# pinned\n${plugins.map((p) => `${p.id}:${p.version}\n`).join('')}`,
    'casc/plugins.lock': `# generated\n${plugins.map((p) => line(p, 'intent')).join('')}${lockOnly.map((p) => line(p, 'bom')).join('')}`,
  };
}

export function bundleFiles(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    'casc/jenkins.yaml': 'jenkins:\n  systemMessage: "${JENKINS_URL}"\n',
    'casc/clouds.yaml': 'jenkins:\n  clouds: []\n',
    ...pluginFiles(DEFAULT_PLUGINS),
    'casc/jenkins-core.txt': `${CORE_VERSION}\nsha256=${WAR_SHA256}\n`,
    'jobs/train.groovy': 'pipelineJob("train") {}\n',
    ...overrides,
  };
}

export class Sandbox {
  readonly dir: string;
  readonly root: string;
  readonly fake: string;
  readonly bin: string;
  readonly http = new FakeHttp();
  /** Per start of jenkins.service: the reply every URL gets (see jenkinsUnavailable). */
  private readonly unavailable = new Map<number, JenkinsReply>();

  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jg-test-'));
    this.root = path.join(this.dir, 'root');
    this.fake = path.join(this.dir, 'fake');
    this.bin = path.join(this.dir, 'bin');
    for (const d of [this.root, this.fake, this.bin, path.join(this.fake, 'secrets')]) {
      fs.mkdirSync(d, { recursive: true });
    }
    for (const name of fs.readdirSync(FAKES)) {
      if (name.endsWith('.md')) continue;
      fs.copyFileSync(path.join(FAKES, name), path.join(this.bin, name));
      fs.chmodSync(path.join(this.bin, name), 0o755);
    }
    // jq and unzip run on the controller (installed by bootstrap.sh); a test machine may lack them, so
    // `npm test` brings its own: the real jq compiled to WebAssembly and an unzip for `unzip -q X -d D`.
    for (const tool of TOOLS_NPM_TEST_BRINGS) {
      if (!onPath(tool)) fs.symlinkSync(path.join(TOOL_SHIMS, tool), path.join(this.bin, tool));
    }
    fs.writeFileSync(path.join(this.fake, 'secrets', 'admin-password'), ADMIN_PASSWORD);
    fs.writeFileSync(path.join(this.fake, 'secrets', 'reload-token'), RELOAD_TOKEN);
    fs.writeFileSync(path.join(this.fake, 'calls.log'), '');
    this.http.everyUrl = () => this.unavailable.get(this.jenkinsStart());
  }

  /** Which start of jenkins.service runs now: 0 before the script's first `systemctl (re)start jenkins`. */
  jenkinsStart(): number {
    const file = path.join(this.fake, 'jenkins-starts');
    return fs.existsSync(file) ? Number(fs.readFileSync(file, 'utf8').trim()) : 0;
  }

  /** Lines Jenkins logs in the given start (for the fake journalctl). */
  journal(lines: readonly string[], start = 0): void {
    fs.mkdirSync(path.join(this.fake, 'journal'), { recursive: true });
    fs.appendFileSync(path.join(this.fake, 'journal', String(start)), lines.map((l) => `${l}\n`).join(''));
  }

  /** During the given start every URL answers `reply` (STARTING while it boots, a 503 page after a failure). */
  jenkinsUnavailable(start: number, reply: JenkinsReply): void {
    this.unavailable.set(start, reply);
  }

  /**
   * JCasC stops the given start's boot, as on a real Jenkins: the log records the boot failure and every URL
   * answers 503 (jenkins-replies.ts: SSHD_BOOT_FAILED_PAGE, bootFailureLog).
   */
  failBoot(start: number, cause = SSHD_BOOT_CAUSE): void {
    this.jenkinsUnavailable(start, SSHD_BOOT_FAILED_PAGE);
    this.journal(bootFailureLog(cause), start);
  }

  p(rel: string): string {
    return path.join(this.root, rel);
  }

  /** Zips a bundle into the fake S3 and returns its digest (computed by the TypeScript implementation). */
  putBundle(files: Record<string, string>, key: string): string {
    const tree = fs.mkdtempSync(path.join(this.dir, 'bundle-'));
    writeTree(tree, files);
    const digest = bundleDigest(tree);
    fs.mkdirSync(path.join(this.fake, 's3', 'assets-bucket'), { recursive: true });
    // A zip like the one cdk-assets uploads for a directory asset; fflate, so no `zip` binary is needed.
    const entries = Object.fromEntries(Object.entries(files).map(([rel, text]) => [rel, strToU8(text)]));
    fs.writeFileSync(path.join(this.fake, 's3', 'assets-bucket', key), zipSync(entries));
    return digest;
  }

  /** Publishes a bundle that only changes JCasC YAML (same core, same plugins): a reload, no restart. */
  publishYamlChange(): string {
    const digest = this.putBundle(
      bundleFiles({ 'casc/clouds.yaml': 'jenkins:\n  clouds: [] # cap 4\n' }),
      'new.zip',
    );
    this.setParameter(digest, 'new.zip');
    return digest;
  }

  setParameter(digest: string, key: string, extra: Record<string, unknown> = {}): void {
    const value = {
      ...extra,
      bundle: { bucket: 'assets-bucket', key, digest },
      vars: { JENKINS_URL: 'http://jenkins.example.com/', AWS_REGION: 'us-east-1' },
      secrets: { ADMIN_PASSWORD: ADMIN_ARN },
      reloadTokenSecret: TOKEN_ARN,
    };
    fs.writeFileSync(path.join(this.fake, 'parameter.json'), JSON.stringify(value));
  }

  /** A controller as bootstrap.sh leaves it: an active release, the token env file, controller.env. */
  installActiveRelease(files: Record<string, string>): string {
    const tree = fs.mkdtempSync(path.join(this.dir, 'active-'));
    writeTree(tree, files);
    const digest = bundleDigest(tree);
    const releases = this.p('opt/jenkins-gpu/config/releases');
    fs.mkdirSync(releases, { recursive: true });
    fs.cpSync(tree, path.join(releases, digest), { recursive: true });
    fs.symlinkSync(path.join(releases, digest), this.p('opt/jenkins-gpu/config/current'));
    fs.mkdirSync(this.p('run/jenkins-gpu/casc-vars'), { recursive: true });
    fs.writeFileSync(this.p('run/jenkins-gpu/casc-vars/JENKINS_URL'), 'http://old.example.com/');
    fs.writeFileSync(this.p('run/jenkins-gpu/reload-token.env'), `CASC_RELOAD_TOKEN=${RELOAD_TOKEN}\n`);
    fs.mkdirSync(this.p('etc/jenkins-gpu'), { recursive: true });
    fs.writeFileSync(
      this.p('etc/jenkins-gpu/controller.env'),
      'STACK_NAME=jg\nAWS_REGION=us-east-1\nCONFIG_PARAMETER=/jg/controller/config\n',
    );
    return digest;
  }

  current(): string {
    return path.basename(fs.readlinkSync(this.p('opt/jenkins-gpu/config/current')));
  }

  calls(): string {
    return fs.readFileSync(path.join(this.fake, 'calls.log'), 'utf8');
  }

  flag(name: string, content = ''): void {
    fs.writeFileSync(path.join(this.fake, name), content);
  }

  /**
   * A `sleep` first on PATH that only records how long it was asked to wait (`sleep N` in calls.log, see
   * sleeps()): a wait bounded by a count of polls is checked without sitting it out. Not for a script that
   * polls while the test must act: it would poll at full speed.
   */
  recordSleeps(): void {
    const fake = '#!/usr/bin/env bash\nprintf "sleep %s\\n" "$*" >>"$FAKE_DIR/calls.log"\n';
    fs.writeFileSync(path.join(this.bin, 'sleep'), fake, { mode: 0o755 });
  }

  /** The waits recordSleeps recorded, in order ("sleep 1", ...). */
  sleeps(): string[] {
    return this.calls().match(/^sleep .*$/gm) ?? [];
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      PATH: `${this.bin}:${process.env.PATH}`,
      HOME: this.dir,
      TMPDIR: this.dir,
      LANG: 'C',
      FAKE_DIR: this.fake,
      JENKINS_GPU_ROOT: this.root,
      JENKINS_URL_LOCAL: this.http.url,
      JENKINS_WAR_BASE_URL: `${this.http.url}/war`,
      JENKINS_PLUGIN_BASE_URL: `${this.http.url}/plugins`,
      IMDS_URL: this.http.url,
      SAFE_RESTART_POLL: '0',
      JENKINS_WAIT_INTERVAL: '0',
      // lib.sh retry: no wait between attempts (the attempts themselves are what the tests count).
      JG_RETRY_DELAY: '0',
      ...extra,
    };
  }

  /** Runs a script asynchronously (the fake HTTP server lives in this process and must keep answering). */
  run(script: string, args: string[], extraEnv: Record<string, string> = {}): Promise<RunResult> {
    return this.spawnBash([path.join(CONTROLLER, script), ...args], extraEnv);
  }

  /** Runs one lib.sh function in strict mode, as the scripts call it (asynchronously, like run). */
  runLib(call: string, extraEnv: Record<string, string> = {}): Promise<RunResult> {
    const lib = path.join(CONTROLLER, 'lib.sh');
    return this.spawnBash(['-c', `set -euo pipefail; source "$1"; ${call}`, 'lib', lib], extraEnv);
  }

  private spawnBash(args: string[], extraEnv: Record<string, string>): Promise<RunResult> {
    return runBash(args, this.env(extraEnv), this.dir);
  }

  async cleanup(): Promise<void> {
    await this.http.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Secrets must never reach any output: stdout, stderr or the recorded command lines. */
export function expectNoSecrets(sandbox: Sandbox, result: RunResult): void {
  for (const text of [result.stdout, result.stderr, sandbox.calls()]) {
    expect(text).not.toContain(ADMIN_PASSWORD);
    expect(text).not.toContain(RELOAD_TOKEN);
  }
}

/**
 * Serves the war and `plugins` on the fake download sites (the update center's layout,
 * `plugins/<id>/<version>/<id>.hpi`). `badWarSha`: the site serves another war and a .sha256 that matches
 * it, as a compromised host would; `tampered`: these plugins' bytes differ from what the lock pins.
 */
export function serveDownloads(
  sandbox: Sandbox,
  opts: { badWarSha?: boolean; plugins?: readonly FakePlugin[]; tampered?: readonly string[] } = {},
): void {
  const war = opts.badWarSha ? Buffer.from('tampered jenkins war') : FAKE_WAR;
  sandbox.http.file(`GET /war/${CORE_VERSION}/jenkins.war`, war);
  sandbox.http.file(`GET /war/${CORE_VERSION}/jenkins.war.sha256`, `${sha256(war)}  jenkins.war\n`);
  for (const p of opts.plugins ?? DEFAULT_PLUGINS) {
    const body = opts.tampered?.includes(p.id)
      ? Buffer.concat([p.content, Buffer.from('tampered')])
      : p.content;
    sandbox.http.file(`GET /plugins/${p.id}/${p.version}/${p.id}.hpi`, body);
  }
}

/** The artifact mirror in the controller-config parameter, and where its objects land in the fake S3. */
export const MIRROR = { bucket: 'mirror-bucket', prefix: 'controller/' };

export function mirrorObject(sandbox: Sandbox, key: string): string {
  return path.join(sandbox.fake, 's3', MIRROR.bucket, MIRROR.prefix, key);
}

export const BOOT_VOLUME = 'vol-0abc123def4567890';

/**
 * A device as a new EBS volume reads (all zeros; a volume created without a snapshot "is empty", Amazon EBS
 * User Guide): 1 MiB, as much as bootstrap.sh's format_if_new reads.
 */
export function newVolumeDevice(file: string): void {
  fs.writeFileSync(file, '');
  fs.truncateSync(file, 1024 * 1024);
}

/**
 * What bootstrap.sh needs besides the bundle: IMDSv2 answers, a volume device, Jenkins answering /login,
 * the memory size. Returns the arguments of a first boot (`--signal-resource`) and its environment.
 */
export function prepareControllerBoot(sandbox: Sandbox): { args: string[]; env: Record<string, string> } {
  sandbox.http.sequence('PUT /latest/api/token', [[200, 'imds-token']]);
  sandbox.http.routes.set('GET /latest/meta-data/instance-id', (req, res) => {
    const ok = req.headers['x-aws-ec2-metadata-token'] === 'imds-token';
    res.writeHead(ok ? 200 : 401).end(ok ? 'i-0123456789abcdef0' : '');
  });
  sandbox.http.sequence('GET /login', [[200, 'login']]);
  const byId = sandbox.p('dev/disk/by-id');
  fs.mkdirSync(byId, { recursive: true });
  newVolumeDevice(path.join(byId, `nvme-Amazon_Elastic_Block_Store_${BOOT_VOLUME.replace('-', '')}`));
  fs.writeFileSync(path.join(sandbox.dir, 'meminfo'), 'MemTotal:        8000000 kB\n');
  const args = ['--stack-name', 'jg', '--region', 'us-east-1', '--config-parameter', '/jg/controller/config'];
  return {
    args: [...args, '--volume-id', BOOT_VOLUME, '--signal-resource', 'ControllerAsg'],
    env: { JENKINS_GPU_MEMINFO: path.join(sandbox.dir, 'meminfo') },
  };
}

/** The lock's digest as docs/architecture.md defines it: sha256 of the sorted `id version sha256` lines. */
export function pluginSetKey(plugins: readonly FakePlugin[]): string {
  const lines = plugins.map((p) => `${p.id} ${p.version} ${sha256(p.content)}`).sort();
  return sha256(`${lines.join('\n')}\n`);
}

/** bash ARGS in CWD with ENV, asynchronously (a loopback stand-in in this process must keep answering). */
export function runBash(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', args, { env, cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
