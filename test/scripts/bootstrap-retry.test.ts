import * as fs from 'fs';
import * as path from 'path';

import { bundleFiles, prepareControllerBoot, Sandbox, serveDownloads } from './harness';

/**
 * lib.sh `retry` and the boot steps it wraps: a package repository, IMDS, an AWS endpoint or a download
 * site that is away for a moment must not fail the boot; what is not transient (attach-volume, which has
 * its own wait) is not retried.
 */
describe('lib.sh retry', () => {
  let sb: Sandbox;
  let sleeps: string;

  beforeEach(() => {
    sb = new Sandbox();
    // A `sleep` that only records how long it was asked to wait, so the backoff is checked without waiting.
    sleeps = path.join(sb.dir, 'sleep-bin');
    fs.mkdirSync(sleeps);
    fs.writeFileSync(
      path.join(sleeps, 'sleep'),
      '#!/usr/bin/env bash\nprintf "sleep %s\\n" "$*" >>"$FAKE_DIR/calls.log"\n',
      { mode: 0o755 },
    );
  });

  afterEach(async () => {
    await sb.cleanup();
  });

  // A command that fails until its n-th call: counts its calls in a file.
  const flaky = (succeedAt: number, code = 7) =>
    `n=$(( $(cat "$FAKE_DIR/n" 2>/dev/null || echo 0) + 1 )); echo "$n" >"$FAKE_DIR/n"; ` +
    `[[ $n -ge ${succeedAt} ]] || exit ${code}; echo "value after $n"`;
  const run = (call: string, env: Record<string, string> = {}) =>
    sb.runLib(call, { PATH: `${sleeps}:${sb.bin}:${process.env.PATH}`, JG_RETRY_DELAY: '5', ...env });
  const waits = () => sb.calls().match(/^sleep .*$/gm) ?? [];

  test('a command that fails 4 times: 5 attempts, waits of 5, 10, 20 and 40 s, its output once', async () => {
    const r = await run(`out="$(retry "the flaky step" bash -c '${flaky(5)}')"; echo "got: $out"`);

    expect(r.code).toBe(0);
    expect(r.stdout).toBe('got: value after 5\n');
    expect(waits()).toEqual(['sleep 5', 'sleep 10', 'sleep 20', 'sleep 40']);
    expect(r.stderr).toContain('the flaky step failed (attempt 4/5, exit code 7); trying again in 40s');
  });

  test('gives up after 5 attempts with the exit code of the last one', async () => {
    const r = await run(`retry "the dead step" bash -c '${flaky(99, 3)}' || echo "exit $?"`);

    expect(r.stdout).toBe('exit 3\n');
    expect(fs.readFileSync(path.join(sb.fake, 'n'), 'utf8').trim()).toBe('5');
    expect(waits()).toHaveLength(4);
    expect(r.stderr).toContain('the dead step failed 5 times (last exit code 3); giving up');
  });

  test('each wait is at most 60 s', async () => {
    await run(`retry "x" bash -c '${flaky(99)}' || true`, { JG_RETRY_DELAY: '20' });

    expect(waits()).toEqual(['sleep 20', 'sleep 40', 'sleep 60', 'sleep 60']);
  });

  test('the first success ends it: no wait', async () => {
    const r = await run(`retry "x" true`);

    expect(r.code).toBe(0);
    expect(waits()).toEqual([]);
  });
});

describe('bootstrap.sh retries transient steps', () => {
  let sb: Sandbox;
  let boot: { args: string[]; env: Record<string, string> };

  beforeEach(async () => {
    sb = new Sandbox();
    await sb.http.start();
    boot = prepareControllerBoot(sb);
    sb.setParameter(sb.putBundle(bundleFiles(), 'bundle.zip'), 'bundle.zip');
    serveDownloads(sb);
  });

  afterEach(async () => {
    await sb.cleanup();
  });

  const unreachable = (operation: string, times: number) => {
    fs.mkdirSync(path.join(sb.fake, 'unreachable'), { recursive: true });
    fs.writeFileSync(path.join(sb.fake, 'unreachable', operation), `${times}\n`);
  };
  const count = (line: RegExp) =>
    sb
      .calls()
      .split('\n')
      .filter((l) => line.test(l)).length;

  test('packages, IMDS, describe-volumes, SSM, Secrets Manager, S3 and a download each fail first: the boot succeeds', async () => {
    sb.flag('dnf-failures', '2');
    sb.http.sequence('PUT /latest/api/token', [
      [500, 'internal error'],
      [200, 'imds-token'],
    ]);
    unreachable('ec2-describe-volumes', 2);
    unreachable('ssm-get-parameter', 3);
    unreachable('secretsmanager-get-secret-value', 1);
    unreachable('s3-cp', 1);
    // The download site answers 404 once (a mirror not in sync yet); curl's own --retry does not retry a 404.
    let warRequests = 0;
    sb.http.routes.set('GET /war/2.528.3/jenkins.war', (_req, res) => {
      warRequests++;
      if (warRequests === 1) res.writeHead(404).end('not found');
      else res.writeHead(200).end('fake jenkins war');
    });

    const r = await sb.run('bootstrap.sh', boot.args, boot.env);

    expect(r.stderr).toContain('Jenkins answers');
    expect(r.code).toBe(0);
    expect(count(/^dnf install -y java-21-amazon-corretto-headless/)).toBe(3);
    expect(sb.http.requests.filter((q) => q.url === '/latest/api/token')).toHaveLength(2);
    expect(count(/^aws ec2 describe-volumes/)).toBe(3);
    expect(count(/^aws ssm get-parameter --name \/jg\/controller\/config/)).toBe(4);
    expect(warRequests).toBe(2);
    expect(r.stderr).toContain('dnf install failed (attempt 2/5, exit code 1); trying again in 0s');
    expect(sb.calls()).toMatch(/cfn-signal --success true/);
  });

  test('a package repository that stays away: 5 attempts, then the boot fails with the reason', async () => {
    sb.flag('dnf-failures', '100');

    const r = await sb.run('bootstrap.sh', boot.args, boot.env);

    expect(r.code).not.toBe(0);
    expect(count(/^dnf install -y java-21-amazon-corretto-headless/)).toBe(5);
    expect(sb.calls()).toMatch(/cfn-signal --success false --reason dnf install failed/);
  });

  test('attach-volume is not retried (its wait for the volume is the retry)', async () => {
    unreachable('ec2-attach-volume', 1);

    const r = await sb.run('bootstrap.sh', boot.args, boot.env);

    expect(r.code).not.toBe(0);
    expect(count(/^aws ec2 attach-volume/)).toBe(1);
    expect(sb.calls()).toMatch(/cfn-signal --success false --reason cannot attach volume vol-/);
  });
});
