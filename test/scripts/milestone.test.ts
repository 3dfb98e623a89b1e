/**
 * Runs the real assets/worker/milestone.sh against IMDSv2 on loopback and the worker's fake `aws` and `ps`
 * (test/scripts/worker-metadata.ts): what it appends to the milestone file, which metric it sends, and that
 * no failure ever fails its caller.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { buildWorkerPayload } from '../../lib/bundle/worker-payload';
import { PRICE_TABLE } from '../../lib/cost/prices';
import { REPO } from './harness';
import { INSTANCE_ID, WorkerSandbox } from './worker-metadata';

const START = 1_800_000_000; // 2027-01-15T08:00:00Z
const START_ISO = '2027-01-15T08:00:00Z';
/** `aws ec2 describe-tags --query 'Tags[].[Key,Value]' --output text`: one tab-separated pair per line. */
const DESCRIBE_TAGS_TEXT = 'jenkins-gpu:fleet\tjg-fleet\njenkins-gpu:template\tgpu-tensorflow-ondemand\n';
const DIMENSIONS = 'Fleet=jg-fleet,Template=gpu-tensorflow-ondemand';

let w: WorkerSandbox;
beforeEach(async () => {
  w = new WorkerSandbox();
  await w.start();
  w.awsOut(DESCRIBE_TAGS_TEXT);
});
afterEach(() => w.cleanup());

const milestone = (name: string, now: number, extra: Record<string, string> = {}) =>
  w.run('milestone.sh', [name], { MILESTONE_NOW: String(now), ...extra });

describe('instance-start', () => {
  it('records the pendingTime of the identity document and sends it as 0 s, with the tags from describe-tags', async () => {
    w.pendingTime = START_ISO;
    const r = await milestone('instance-start', START + 40);
    expect(r.code).toBe(0);
    expect(w.milestoneLines()).toEqual([`instance-start ${START}`]);
    expect(w.awsCalls('ec2 describe-tags')).toEqual([
      `aws ec2 describe-tags --region us-east-1 --cli-connect-timeout 5 --cli-read-timeout 20 --filters Name=resource-id,Values=${INSTANCE_ID} Name=key,Values=jenkins-gpu:fleet,jenkins-gpu:template --query Tags[].[Key,Value] --output text`,
    ]);
    expect(w.awsCalls('cloudwatch')).toEqual([
      `aws cloudwatch put-metric-data --region us-east-1 --cli-connect-timeout 5 --cli-read-timeout 20 --namespace JenkinsGpu/Workers --metric-name MilestoneSeconds --dimensions ${DIMENSIONS},Milestone=instance-start --value 0 --unit Seconds`,
    ]);
    expect(fs.readFileSync(w.tagsFile, 'utf8')).toBe('jg-fleet gpu-tensorflow-ondemand\n');
  });

  it('falls back to the kernel boot time when IMDS has no identity document, and records a start only once', async () => {
    w.bootTime(START + 5);
    const first = await milestone('instance-start', START + 40);
    expect(first.stderr).toContain('no IMDS identity document from http://127.0.0.1:');
    const again = await milestone('instance-start', START + 90);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain(`instance-start ${START + 5} already recorded`);
    expect(w.milestoneLines()).toEqual([`instance-start ${START + 5}`]);
  });

  it('uses pendingTime up to 10 minutes before the kernel started (a fresh launch)', async () => {
    w.pendingTime = START_ISO;
    w.bootTime(START + 600);
    await milestone('instance-start', START + 700);
    expect(w.milestoneLines()).toEqual([`instance-start ${START}`]);
  });

  it('uses the boot time when pendingTime is older than this boot (a restarted worker whose document kept its launch time)', async () => {
    w.pendingTime = START_ISO;
    w.bootTime(START + 601);
    const r = await milestone('instance-start', START + 700);
    expect(r.stderr).toContain(
      `pendingTime ${START_ISO} lies before this boot (kernel started at ${START + 601}): using the boot time`,
    );
    expect(w.milestoneLines()).toEqual([`instance-start ${START + 601}`]);
  });

  it('appends a new start after a restart: the file keeps one line per start', async () => {
    fs.writeFileSync(w.milestones, `instance-start ${START - 86_400}\nboot-complete ${START - 86_200}\n`);
    w.pendingTime = START_ISO;
    w.bootTime(START + 8);
    await milestone('instance-start', START + 20);
    expect(w.milestoneLines()).toEqual([
      `instance-start ${START - 86_400}`,
      `boot-complete ${START - 86_200}`,
      `instance-start ${START}`,
    ]);
  });

  it('records the boot time and warns, sending nothing, when IMDS is unreachable', async () => {
    w.bootTime(START + 3);
    await w.imdsDown();
    const r = await milestone('instance-start', START + 40);
    expect(r.code).toBe(0);
    expect(w.milestoneLines()).toEqual([`instance-start ${START + 3}`]);
    expect(r.stderr).toContain('MilestoneSeconds not sent: worker tags unknown');
    expect(w.awsCalls('')).toEqual([]);
  });
});

describe('later milestones', () => {
  beforeEach(() => fs.writeFileSync(w.milestones, `instance-start ${START}\n`));

  it('sends boot-complete as seconds since the last start, with the cached tags (no describe-tags)', async () => {
    fs.writeFileSync(w.tagsFile, 'jg-fleet gpu-tensorflow-spot\n');
    const r = await milestone('boot-complete', START + 187);
    expect(r.code).toBe(0);
    expect(w.milestoneLines()).toEqual([`instance-start ${START}`, `boot-complete ${START + 187}`]);
    expect(w.awsCalls('ec2')).toEqual([]);
    expect(w.awsCalls('cloudwatch')[0]).toContain(
      '--metric-name MilestoneSeconds --dimensions Fleet=jg-fleet,Template=gpu-tensorflow-spot,Milestone=boot-complete --value 187 --unit Seconds',
    );
  });

  it('reads the tags from IMDS when the instance allows tags in metadata', async () => {
    w.tagsInMetadata('jg-fleet', 'gpu-g5-zone-b');
    await milestone('training-start', START + 400);
    expect(w.awsCalls('ec2')).toEqual([]);
    expect(w.awsCalls('cloudwatch')[0]).toContain(
      '--dimensions Fleet=jg-fleet,Template=gpu-g5-zone-b,Milestone=training-start --value 400',
    );
  });

  it('dates agent-connected by the start of the agent java process', async () => {
    w.psOut(
      [
        '  900 sshd: ubuntu [priv]',
        '  250 java -jar /tmp/remoting.jar -workDir /home/ubuntu/jenkins',
        '  120 /usr/bin/java -jar /opt/other/tool.jar',
      ].join('\n') + '\n',
    );
    await milestone('agent-connected', START + 500);
    expect(w.milestoneLines()).toContain(`agent-connected ${START + 250}`);
    expect(w.awsCalls('cloudwatch')[0]).toContain('Milestone=agent-connected --value 250 --unit Seconds');
  });

  it('uses now for agent-connected when no agent runs, and says so', async () => {
    w.psOut('  900 sshd: ubuntu [priv]\n');
    const r = await milestone('agent-connected', START + 500);
    expect(r.stderr).toContain('no agent process found, using now');
    expect(w.milestoneLines()).toContain(`agent-connected ${START + 500}`);
  });

  it('records build-end without a metric', async () => {
    await milestone('build-end', START + 900);
    expect(w.milestoneLines()).toContain(`build-end ${START + 900}`);
    expect(w.awsCalls('')).toEqual([]);
  });
});

describe('never fails its caller', () => {
  it('warns about an unknown milestone and records nothing', async () => {
    const r = await milestone('training-done', START);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      "jenkins-gpu-milestone: WARNING: unknown milestone 'training-done' (allowed: instance-start, boot-complete, agent-connected, training-start, build-end, or --tags)\n",
    );
    expect(w.milestoneLines()).toEqual([]);
  });

  it('warns when describe-tags is refused, still recording the milestone', async () => {
    fs.writeFileSync(w.milestones, `instance-start ${START}\n`);
    // What AWS CLI v2 prints when the role lacks ec2:DescribeTags (UnauthorizedOperation, exit 254).
    w.awsFails(
      'ec2',
      'describe-tags',
      'An error occurred (UnauthorizedOperation) when calling the DescribeTags operation: You are not authorized to perform this operation.',
    );
    const r = await milestone('boot-complete', START + 60);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'jenkins-gpu-milestone: WARNING: aws ec2 describe-tags failed: worker tags unknown (An error occurred (UnauthorizedOperation)',
    );
    expect(w.milestoneLines()).toEqual([`instance-start ${START}`, `boot-complete ${START + 60}`]);
    expect(w.awsCalls('cloudwatch')).toEqual([]);
    expect(fs.existsSync(w.tagsFile)).toBe(false);
  });

  it('warns when the instance lacks the fleet tags', async () => {
    fs.writeFileSync(w.milestones, `instance-start ${START}\n`);
    w.awsOut('');
    const r = await milestone('boot-complete', START + 60);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      "has no usable jenkins-gpu:fleet and jenkins-gpu:template tags (got '' and '')",
    );
  });

  it('warns when put-metric-data fails', async () => {
    fs.writeFileSync(w.milestones, `instance-start ${START}\n`);
    w.awsFails(
      'cloudwatch',
      'put-metric-data',
      'An error occurred (AccessDenied) when calling the PutMetricData operation: denied',
    );
    const r = await milestone('boot-complete', START + 60);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'WARNING: MilestoneSeconds not sent: aws cloudwatch put-metric-data failed (An error occurred (AccessDenied)',
    );
  });

  it('warns when there is no instance-start to measure from', async () => {
    const r = await milestone('boot-complete', START + 60);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`WARNING: MilestoneSeconds not sent: no instance-start in ${w.milestones}`);
  });

  it('warns when the milestone file cannot be written', async () => {
    fs.writeFileSync(path.join(w.dir, 'x'), ''); // a file where the directory should be
    const r = await milestone('training-start', START, { MILESTONES_FILE: path.join(w.dir, 'x', 'm') });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`WARNING: could not append 'training-start ${START}' to ${w.dir}/x/m`);
  });
});

describe('--tags', () => {
  it('prints the fleet and template, and nothing when they are unknown', async () => {
    expect((await w.run('milestone.sh', ['--tags'])).stdout).toBe('jg-fleet gpu-tensorflow-ondemand\n');
    fs.rmSync(w.tagsFile);
    await w.imdsDown();
    const r = await w.run('milestone.sh', ['--tags']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
  });
});

describe('the worker payload', () => {
  const payload = buildWorkerPayload(REPO)!.content;

  it('installs the milestone and report scripts, the unit for later boots and the price table', () => {
    for (const dest of [
      '/usr/local/sbin/jenkins-gpu-milestone',
      '/usr/local/sbin/jenkins-gpu-run-report',
      '/etc/systemd/system/jenkins-gpu-boot-milestones.service',
    ]) {
      expect(payload).toContain(`'${dest}' <<'JENKINS_GPU_INCLUDED_FILE'`);
    }
    const prices = /<<'EOF_PRICES'\n([\s\S]*?)\nEOF_PRICES\n/.exec(payload)?.[1];
    expect(JSON.parse(prices!)).toEqual(PRICE_TABLE);
    expect(payload).toContain('systemctl enable jenkins-gpu-boot-milestones.service\n');
  });

  it('records instance-start and boot-complete after the setup of the first boot', () => {
    const setup = payload.indexOf('\n"$ROOT/usr/local/sbin/jenkins-gpu-worker-setup"\n');
    expect(setup).toBeGreaterThan(0);
    expect(payload.slice(setup)).toContain(
      '"$ROOT/usr/local/sbin/jenkins-gpu-milestone" instance-start\n"$ROOT/usr/local/sbin/jenkins-gpu-milestone" boot-complete\n',
    );
  });
});
