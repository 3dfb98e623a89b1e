/**
 * A sandboxed GPU worker for the milestone and run-report scripts: IMDSv2 on a loopback server (the real
 * curl talks to it), the worker fakes `aws` and `ps` (test/fakes/worker) first on PATH, and the files the
 * scripts read in a temp dir.
 *
 * IMDSv2 as AWS documents it ("Use the Instance Metadata Service to access instance metadata", EC2 User
 * Guide): a PUT to /latest/api/token returns the session token; a GET without a valid token header answers
 * 401; an unknown path answers 404. Instance tags under /latest/meta-data/tags/instance/<key> answer 404
 * unless the instance allows tags in metadata ("View tags for your EC2 instances from instance metadata").
 * The identity document (/latest/dynamic/instance-identity/document) is JSON with instanceType, region,
 * availabilityZone and pendingTime ("Instance identity documents").
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { FakeHttp, REPO, runBash, RunResult } from './harness';

export const WORKER_ASSETS = path.join(REPO, 'assets', 'worker');
const FAKES = path.join(REPO, 'test', 'fakes', 'worker');
const TOKEN = 'imds-session-token';
export const INSTANCE_ID = 'i-0123456789abcdef0';
const METADATA_PATHS = [
  'instance-id',
  'instance-type',
  'placement/availability-zone',
  'placement/region',
  'instance-life-cycle',
];
const TAG_KEYS = ['jenkins-gpu:fleet', 'jenkins-gpu:template'];

export class WorkerSandbox {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jg-worker-'));
  readonly fake = path.join(this.dir, 'fake');
  readonly bin = path.join(this.dir, 'bin');
  readonly milestones = path.join(this.dir, 'milestones');
  readonly tagsFile = path.join(this.dir, 'worker-tags');
  readonly imds = new FakeHttp();
  /** meta-data path → value; tests change it before running. */
  readonly metadata = new Map<string, string>([
    ['instance-id', INSTANCE_ID],
    ['instance-type', 'g4dn.xlarge'],
    ['placement/availability-zone', 'us-east-1b'],
    ['placement/region', 'us-east-1'],
    ['instance-life-cycle', 'on-demand'],
  ]);
  /** The identity document's pendingTime; undefined: no document (404). */
  pendingTime: string | undefined;

  constructor() {
    for (const d of [this.fake, this.bin]) fs.mkdirSync(d, { recursive: true });
    for (const tool of ['aws', 'ps']) fs.symlinkSync(path.join(FAKES, tool), path.join(this.bin, tool));
    fs.writeFileSync(path.join(this.fake, 'calls.log'), '');
    // /proc/stat without btime unless a test writes one (bootTime).
    fs.writeFileSync(this.procStat, 'cpu  1 2 3 4\nprocesses 42\n');
  }

  readonly procStat = path.join(this.dir, 'stat');

  /** The kernel's boot time in the fake /proc/stat. */
  bootTime(epoch: number): void {
    fs.writeFileSync(this.procStat, `cpu  1 2 3 4\nbtime ${epoch}\nprocesses 42\n`);
  }

  async start(): Promise<void> {
    this.imds.routes.set('PUT /latest/api/token', (req, res) => {
      const ttl = req.headers['x-aws-ec2-metadata-token-ttl-seconds'];
      res.writeHead(ttl ? 200 : 400).end(ttl ? TOKEN : '');
    });
    const paths = [...METADATA_PATHS, ...TAG_KEYS.map((k) => `tags/instance/${k}`)];
    for (const item of paths) {
      this.imds.routes.set(`GET /latest/meta-data/${item}`, (req, res) => {
        const value = this.metadata.get(item);
        if (req.headers['x-aws-ec2-metadata-token'] !== TOKEN) res.writeHead(401).end('');
        else if (value === undefined) res.writeHead(404).end('Not Found');
        else res.writeHead(200).end(value);
      });
    }
    this.imds.routes.set('GET /latest/dynamic/instance-identity/document', (req, res) => {
      if (req.headers['x-aws-ec2-metadata-token'] !== TOKEN) return void res.writeHead(401).end('');
      if (this.pendingTime === undefined) return void res.writeHead(404).end('Not Found');
      const document = {
        accountId: '111122223333',
        availabilityZone: this.metadata.get('placement/availability-zone'),
        instanceId: INSTANCE_ID,
        instanceType: this.metadata.get('instance-type'),
        pendingTime: this.pendingTime,
        region: this.metadata.get('placement/region'),
        version: '2017-09-30',
      };
      res.writeHead(200).end(JSON.stringify(document, null, 2));
    });
    await this.imds.start();
  }

  /** Allows instance tags in IMDS (InstanceMetadataTags=enabled), with these values. */
  tagsInMetadata(fleet: string, template: string): void {
    this.metadata.set(`tags/instance/${TAG_KEYS[0]}`, fleet);
    this.metadata.set(`tags/instance/${TAG_KEYS[1]}`, template);
  }

  /** Makes every IMDS request fail to connect (IMDS disabled or unreachable). */
  async imdsDown(): Promise<void> {
    await this.imds.stop();
    this.imdsUrl = 'http://127.0.0.1:9';
  }

  private imdsUrl?: string;

  /** `aws` prints `out` on stdout for every call but `s3 cp` (describe-tags' text output, for one). */
  awsOut(out: string): void {
    fs.writeFileSync(path.join(this.fake, 'aws.out'), out);
  }

  /** Only `aws <service> <command>` fails, printing `message` on stderr. */
  awsFails(service: string, command: string, message: string, rc = 254): void {
    fs.writeFileSync(path.join(this.fake, `aws.${service}.${command}.rc`), String(rc));
    fs.writeFileSync(path.join(this.fake, `aws.${service}.${command}.out`), message);
  }

  /** `ps -eo etimes=,args=` output. */
  psOut(lines: string): void {
    fs.writeFileSync(path.join(this.fake, 'ps.out'), lines);
  }

  calls(): string[] {
    return fs
      .readFileSync(path.join(this.fake, 'calls.log'), 'utf8')
      .split('\n')
      .filter((l) => l !== '');
  }

  awsCalls(prefix: string): string[] {
    return this.calls().filter((l) => l.startsWith(`aws ${prefix}`));
  }

  milestoneLines(): string[] {
    return fs.existsSync(this.milestones)
      ? fs
          .readFileSync(this.milestones, 'utf8')
          .split('\n')
          .filter((l) => l !== '')
      : [];
  }

  env(extra: Record<string, string>): NodeJS.ProcessEnv {
    return {
      PATH: `${this.bin}:${process.env.PATH}`,
      HOME: this.dir,
      LANG: 'C',
      FAKE_DIR: this.fake,
      IMDS_URL: this.imdsUrl ?? this.imds.url,
      MILESTONES_FILE: this.milestones,
      TAGS_FILE: this.tagsFile,
      PROC_STAT: this.procStat,
      MILESTONE_BIN: path.join(WORKER_ASSETS, 'milestone.sh'),
      ...extra,
    };
  }

  /** Runs a worker script asynchronously: the IMDS server lives in this process and must keep answering. */
  run(script: string, args: string[], extra: Record<string, string> = {}): Promise<RunResult> {
    return runBash([path.join(WORKER_ASSETS, script), ...args], this.env(extra), this.dir);
  }

  async cleanup(): Promise<void> {
    await this.imds.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
