import * as fs from 'fs';
import * as path from 'path';

import { bundleFiles, Sandbox, serveDownloads } from './harness';

/**
 * The hand-over of JENKINS_HOME during a drained replacement: Auto Scaling launches the new controller while
 * the old one drains in Terminating:Wait (up to its lifecycle hook's timeout), so the new one must wait
 * longer than one AWS CLI waiter, which gives up after 40 polls 15 s apart with exit code 255 (AWS CLI
 * reference, `aws ec2 wait volume-available`).
 */
const VOLUME = 'vol-0abc123def4567890';
const ARGS = [
  ...['--stack-name', 'jg', '--region', 'us-east-1', '--config-parameter', '/jg/controller/config'],
  ...['--volume-id', VOLUME, '--signal-resource', 'ControllerAsg'],
];
const WAIT = `aws ec2 wait volume-available --region us-east-1 --volume-ids ${VOLUME}`;

describe('bootstrap.sh waiting for JENKINS_HOME', () => {
  let sb: Sandbox;

  beforeEach(async () => {
    sb = new Sandbox();
    await sb.http.start();
    sb.http.sequence('PUT /latest/api/token', [[200, 'imds-token']]);
    sb.http.sequence('GET /latest/meta-data/instance-id', [[200, 'i-0new0000000000000']]);
    sb.http.sequence('GET /login', [[200, 'login']]);
    const byId = sb.p('dev/disk/by-id');
    fs.mkdirSync(byId, { recursive: true });
    fs.writeFileSync(path.join(byId, `nvme-Amazon_Elastic_Block_Store_${VOLUME.replace('-', '')}`), '');
    fs.writeFileSync(path.join(sb.dir, 'meminfo'), 'MemTotal:        8000000 kB\n');
    sb.setParameter(sb.putBundle(bundleFiles(), 'bundle.zip'), 'bundle.zip');
    serveDownloads(sb);
    sb.flag('blkid-type', 'ext4\n');
    // The old controller still holds the volume while it drains.
    sb.flag('volume-holder', 'i-0old0000000000000\n');
  });

  afterEach(async () => {
    await sb.cleanup();
  });

  const run = (env: Record<string, string> = {}) =>
    sb.run('bootstrap.sh', ARGS, { JENKINS_GPU_MEMINFO: path.join(sb.dir, 'meminfo'), ...env });
  const waits = () =>
    sb
      .calls()
      .split('\n')
      .filter((c) => c === WAIT).length;

  test('waits through several CLI waiters (a drain longer than 10 minutes), then attaches the volume', async () => {
    sb.flag('volume-wait-failures', '3');

    const r = await run();

    expect(r.code).toBe(0);
    expect(waits()).toBe(4);
    expect(r.stderr).toContain(`volume ${VOLUME} is still attached; waiting again`);
    expect(sb.calls()).toContain(`aws ec2 attach-volume --region us-east-1 --volume-id ${VOLUME}`);
    expect(sb.calls()).toMatch(/cfn-signal --success true/);
  });

  test('gives up after VOLUME_WAIT_SECONDS and signals the reason', async () => {
    sb.flag('volume-wait-failures', '100');

    const r = await run({ VOLUME_WAIT_SECONDS: '1200' });

    expect(r.code).not.toBe(0);
    expect(waits()).toBe(2);
    expect(sb.calls()).not.toContain('attach-volume');
    expect(sb.calls()).toMatch(
      new RegExp(
        `cfn-signal --success false --reason volume ${VOLUME} was not released within 1200s \\(attached to i-0old0000000000000\\)`,
      ),
    );
  });

  test('by default waits an hour, as long as a rolling update waits for the new controller', async () => {
    sb.flag('volume-wait-failures', '100');

    await run();

    expect(waits()).toBe(6);
  });
});
