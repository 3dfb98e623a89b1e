import * as fs from 'fs';
import * as path from 'path';

import { bundleFiles, CONTROLLER, prepareControllerBoot, Sandbox, serveDownloads } from './harness';
import { STARTING } from './jenkins-replies';

/**
 * A failed boot that no CloudFormation operation waits for (an Auto Scaling replacement, a reboot) is healed:
 * the instance marks itself Unhealthy so Auto Scaling replaces it, at most 3 times in a row (counted in SSM),
 * and the alarm topic is told. cfn-signal outside an operation fails with "Stack ... is in UPDATE_COMPLETE
 * state and cannot be signaled" (test/fakes/controller/cfn-signal).
 */
const TOPIC = 'arn:aws:sns:us-east-1:111122223333:jg-alarms';
const INSTANCE = 'i-0123456789abcdef0';
const SET_HEALTH = `aws autoscaling set-instance-health --region us-east-1 --instance-id ${INSTANCE} --health-status Unhealthy --no-should-respect-grace-period`;
const PUT_COUNTER =
  'aws ssm put-parameter --name /jg/controller/self-replacements --region us-east-1 --type String --overwrite --value';

describe('bootstrap.sh heals a failed boot', () => {
  let sb: Sandbox;
  let boot: { args: string[]; env: Record<string, string> };

  beforeEach(async () => {
    sb = new Sandbox();
    await sb.http.start();
    boot = prepareControllerBoot(sb);
    sb.setParameter(sb.putBundle(bundleFiles(), 'bundle.zip'), 'bundle.zip', { alertTopicArn: TOPIC });
    sb.flag('self-replacements', '0\n');
  });

  afterEach(async () => {
    await sb.cleanup();
  });

  const counter = () => fs.readFileSync(path.join(sb.fake, 'self-replacements'), 'utf8').trim();
  const lines = () => sb.calls().split('\n');
  const published = () => lines().filter((l) => l.startsWith('aws sns publish'));
  const noSignalArgs = () => [...boot.args.slice(0, -2), '--no-signal'];

  test('a replacement whose boot fails outside a CloudFormation operation: counted, marked Unhealthy, alarmed', async () => {
    sb.flag('cfn-not-waiting');
    serveDownloads(sb, { badWarSha: true });

    const r = await sb.run('bootstrap.sh', boot.args, boot.env);

    expect(r.code).not.toBe(0);
    expect(sb.calls()).toMatch(/cfn-signal --success false --reason sha256 mismatch/);
    expect(r.stderr).toContain('cfn-signal failed: no CloudFormation operation waits for this instance');
    // Counted before acting.
    const put = lines().findIndex((l) => l === `${PUT_COUNTER} 1`);
    const mark = lines().findIndex((l) => l === SET_HEALTH);
    expect(put).toBeGreaterThan(-1);
    expect(mark).toBeGreaterThan(put);
    expect(counter()).toBe('1');
    expect(published()).toHaveLength(1);
    expect(published()[0]).toContain(`--topic-arn ${TOPIC}`);
    expect(published()[0]).toContain(
      `--subject Jenkins controller ${INSTANCE} failed to boot: replacing it (1/3)`,
    );
    expect(published()[0]).toMatch(/--message Instance i-\S+ of stack jg failed to boot: sha256 mismatch/);
  });

  test('during a CloudFormation operation the failure signal is all: CloudFormation rolls back, no self-replacement', async () => {
    serveDownloads(sb, { badWarSha: true });

    const r = await sb.run('bootstrap.sh', boot.args, boot.env);

    expect(r.code).not.toBe(0);
    expect(sb.calls()).toMatch(/cfn-signal --success false/);
    expect(sb.calls()).not.toContain('set-instance-health');
    expect(lines().filter((l) => l.startsWith('aws ssm put-parameter'))).toEqual([]);
    expect(counter()).toBe('0');
  });

  test('a reboot (--no-signal) whose Jenkins does not answer within the bound: replaced, the count goes on', async () => {
    serveDownloads(sb);
    sb.flag('blkid-type', 'ext4\n');
    sb.flag('volume-holder', `${INSTANCE}\n`);
    sb.flag('self-replacements', '2\n');
    // Only /login: the fake IMDS is the same loopback server (jenkinsUnavailable would take it away too).
    sb.http.replies('GET /login', [STARTING]);

    const r = await sb.run('bootstrap.sh', noSignalArgs(), { ...boot.env, JENKINS_WAIT_SECONDS: '1' });

    expect(r.code).not.toBe(0);
    expect(sb.calls()).not.toContain('cfn-signal');
    expect(lines()).toContain(SET_HEALTH);
    expect(counter()).toBe('3');
    expect(published()[0]).toContain('replacing it (3/3)');
    expect(published()[0]).toContain('Jenkins did not answer on /login within 1s (last HTTP 503)');
  });

  // jenkins-gpu-bootstrap.service stops a reboot's bootstrap that overruns TimeoutStartSec with SIGTERM.
  test('a reboot bootstrap stopped by SIGTERM (the unit start timeout) is a failed boot: replaced', async () => {
    serveDownloads(sb);
    sb.flag('blkid-type', 'ext4\n');
    sb.flag('volume-holder', `${INSTANCE}\n`);
    sb.http.replies('GET /login', [STARTING]);
    const args = noSignalArgs()
      .map((a) => `'${a}'`)
      .join(' ');
    // Started in the background; stopped once it has started Jenkins (the fake systemctl's start count).
    const r = await sb.runLib(
      `bash "${path.join(CONTROLLER, 'bootstrap.sh')}" ${args} & pid=$!
       for _ in $(seq 1200); do [[ -f "$FAKE_DIR/jenkins-starts" ]] && break; sleep 0.1; done
       kill -TERM "$pid"; rc=0; wait "$pid" || rc=$?; echo "exit $rc"`,
      { ...boot.env, JENKINS_WAIT_SECONDS: '600', JENKINS_WAIT_INTERVAL: '1' },
    );

    expect(r.stdout).toBe('exit 143\n');
    expect(lines()).toContain(SET_HEALTH);
    expect(counter()).toBe('1');
    expect(published()[0]).toContain('failed to boot: bootstrap was stopped by SIGTERM');
    // A oneshot unit has no start timeout unless given one (systemd.service, TimeoutStartSec=).
    const unit = fs.readFileSync(path.join(CONTROLLER, 'systemd', 'jenkins-gpu-bootstrap.service'), 'utf8');
    expect(unit).toMatch(/^TimeoutStartSec=90min$/m);
    expect(unit).toMatch(/^TimeoutStopSec=5min$/m);
  });

  test('after 3 self-replacements in a row it stays up and alarms instead', async () => {
    sb.flag('cfn-not-waiting');
    sb.flag('self-replacements', '3\n');
    serveDownloads(sb, { badWarSha: true });

    const r = await sb.run('bootstrap.sh', boot.args, boot.env);

    expect(r.code).not.toBe(0);
    expect(sb.calls()).not.toContain('set-instance-health');
    expect(lines().filter((l) => l.startsWith('aws ssm put-parameter'))).toEqual([]);
    expect(counter()).toBe('3');
    expect(published()).toHaveLength(1);
    expect(published()[0]).toContain(`--subject Jenkins controller ${INSTANCE} failed to boot, not replaced`);
    expect(published()[0]).toContain('already replaced itself 3 times in a row, the limit: it stays up');
    expect(published()[0]).toContain('aws ssm put-parameter --name /jg/controller/self-replacements');
  });

  test('a count that cannot be read or written: not replaced (the loop could not be bounded), alarmed', async () => {
    sb.flag('cfn-not-waiting');
    serveDownloads(sb, { badWarSha: true });
    fs.rmSync(path.join(sb.fake, 'self-replacements'));

    await sb.run('bootstrap.sh', boot.args, boot.env);

    expect(sb.calls()).not.toContain('set-instance-health');
    expect(published()[0]).toContain('cannot be read, so the instance is not replaced');

    sb.flag('self-replacements', '0\n');
    sb.flag('put-parameter-denied');
    fs.writeFileSync(path.join(sb.fake, 'calls.log'), '');
    await sb.run('bootstrap.sh', boot.args, boot.env);

    expect(sb.calls()).not.toContain('set-instance-health');
    expect(published()[0]).toContain('cannot be written, so the instance is not replaced');
  });

  test('Auto Scaling refusing the health change is alarmed', async () => {
    sb.flag('cfn-not-waiting');
    sb.flag('set-health-denied');
    serveDownloads(sb, { badWarSha: true });

    await sb.run('bootstrap.sh', boot.args, boot.env);

    expect(lines()).toContain(SET_HEALTH);
    expect(published()[0]).toContain(
      'Auto Scaling refused to mark it unhealthy: it stays up without Jenkins',
    );
  });

  test('a config parameter that cannot be read: still replaced; no topic to tell, said in the log', async () => {
    sb.flag('cfn-not-waiting');
    fs.rmSync(path.join(sb.fake, 'parameter.json'));

    const r = await sb.run('bootstrap.sh', boot.args, boot.env);

    expect(r.code).not.toBe(0);
    expect(lines()).toContain(SET_HEALTH);
    expect(counter()).toBe('1');
    expect(published()).toHaveLength(0);
    expect(r.stderr).toContain('no alarm topic known');
  });

  test('a healthy boot resets the count; outside a CloudFormation operation its refused signal is no failure', async () => {
    sb.flag('cfn-not-waiting');
    sb.flag('self-replacements', '2\n');
    serveDownloads(sb);

    const r = await sb.run('bootstrap.sh', boot.args, boot.env);

    expect(r.code).toBe(0);
    expect(sb.calls()).toMatch(/cfn-signal --success true/);
    expect(lines()).toContain(`${PUT_COUNTER} 0`);
    expect(counter()).toBe('0');
    expect(r.stderr).toContain('reset from 2 to 0');
    expect(sb.calls()).not.toContain('set-instance-health');
    expect(published()).toHaveLength(0);
  });

  test('a healthy boot with the count at 0 writes nothing', async () => {
    serveDownloads(sb);

    const r = await sb.run('bootstrap.sh', boot.args, boot.env);

    expect(r.code).toBe(0);
    expect(sb.calls()).toContain('aws ssm get-parameter --name /jg/controller/self-replacements');
    expect(lines().filter((l) => l.startsWith('aws ssm put-parameter'))).toEqual([]);
  });
});
