import * as fs from 'fs';
import * as path from 'path';

import { CONTROLLER_LOGS, controllerLogGroupName } from '../../lib/constructs/controller-observability';
import { CONTROLLER, RunResult, Sandbox } from './harness';

const ARGS = ['--stack-name', 'jg', '--region', 'us-east-1'];

interface CollectEntry {
  file_path: string;
  log_group_name: string;
  log_stream_name: string;
}

describe('observability-setup.sh', () => {
  let sb: Sandbox;

  beforeEach(() => {
    sb = new Sandbox();
  });

  afterEach(async () => {
    await sb.cleanup();
  });

  const run = (extra: Record<string, string> = {}): Promise<RunResult> =>
    sb.run('observability-setup.sh', ARGS, { OBSERVABILITY_INSTALL_RETRY_SECONDS: '0', ...extra });
  const calls = () => sb.calls().split('\n');
  const agentConfig = () =>
    JSON.parse(fs.readFileSync(path.join(sb.fake, 'agent-config.json'), 'utf8')) as {
      logs: { logs_collected: { files: { collect_list: CollectEntry[] } } };
    };

  test("ships each log file to the stack's group, the metrics timer first", async () => {
    const r = await run();

    expect(r.code).toBe(0);
    const list = agentConfig().logs.logs_collected.files.collect_list;
    const byGroup = (log: (typeof CONTROLLER_LOGS)[number]) =>
      list.filter((e) => e.log_group_name === controllerLogGroupName('jg', log)).map((e) => e.file_path);
    // The groups the construct creates, and no other.
    expect([...new Set(list.map((e) => e.log_group_name))].sort()).toEqual(
      CONTROLLER_LOGS.map((l) => controllerLogGroupName('jg', l)).sort(),
    );
    expect(byGroup('jenkins')).toEqual(['/var/log/jenkins-gpu/jenkins.log']);
    expect(byGroup('bootstrap')).toEqual(['/var/log/jenkins-gpu/bootstrap.log']);
    expect(byGroup('apply-config')).toEqual(['/var/log/jenkins-gpu/apply-config.log']);
    expect(byGroup('cloud-init')).toEqual(['/var/log/cloud-init.log', '/var/log/cloud-init-output.log']);
    // One stream per instance and file; the group's retention is the stack's, never the agent's.
    expect(new Set(list.map((e) => e.log_stream_name)).size).toBe(list.length);
    expect(list.every((e) => e.log_stream_name.startsWith('{instance_id}/'))).toBe(true);
    expect(JSON.stringify(list)).not.toContain('retention_in_days');

    const order = ['systemctl start jenkins-gpu-metrics.timer', 'dnf install -y amazon-cloudwatch-agent'];
    expect(order.map((c) => calls().indexOf(c))).toEqual([expect.any(Number), expect.any(Number)]);
    expect(calls().indexOf(order[0])).toBeLessThan(calls().indexOf(order[1]));
    expect(calls()).toContain(
      'amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s -c file:/opt/aws/amazon-cloudwatch-agent/etc/jenkins-gpu.json',
    );
    for (const name of ['jenkins', 'bootstrap', 'apply-config']) {
      expect(calls()).toContain(`systemctl start jenkins-gpu-log-${name}.service`);
      expect(fs.existsSync(sb.p(`etc/systemd/system/jenkins-gpu-log-${name}.service`))).toBe(true);
    }
    expect(fs.existsSync(sb.p('etc/systemd/system/jenkins-gpu-metrics.timer'))).toBe(true);
  });

  test('each journal export appends the unit the agent config names to the file it ships', () => {
    const units: Record<string, string> = {
      jenkins: 'jenkins.service',
      bootstrap: 'jenkins-gpu-bootstrap.service',
      'apply-config': 'jenkins-gpu-safe-restart.service',
    };
    for (const [name, unit] of Object.entries(units)) {
      const text = fs.readFileSync(
        path.join(CONTROLLER, 'systemd', `jenkins-gpu-log-${name}.service`),
        'utf8',
      );
      expect(text).toMatch(
        new RegExp(`^ExecStart=/usr/bin/journalctl --boot --follow .*--unit=${unit}$`, 'm'),
      );
      expect(text).toContain(`StandardOutput=append:/var/log/jenkins-gpu/${name}.log`);
      // The unit that the journal export reads exists in the repository (or is systemd-run's safe restart).
      if (name !== 'apply-config') expect(fs.existsSync(path.join(CONTROLLER, 'systemd', unit))).toBe(true);
    }
    expect(fs.readFileSync(path.join(CONTROLLER, 'apply-config.sh'), 'utf8')).toContain(
      'SAFE_RESTART_UNIT=jenkins-gpu-safe-restart',
    );
  });

  test('a package mirror that fails twice: retried, then the agent starts', async () => {
    sb.flag('dnf-failures', '2');

    const r = await run();

    expect(r.code).toBe(0);
    expect(calls().filter((c) => c === 'dnf install -y amazon-cloudwatch-agent')).toHaveLength(3);
    expect(r.stderr).toContain('failed (attempt 2 of 4); retrying');
    expect(calls().some((c) => c.startsWith('amazon-cloudwatch-agent-ctl'))).toBe(true);
  });

  test('a later boot with the agent installed: no dnf (a mirror outage cannot stop the logs)', async () => {
    const ctl = sb.p('opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl');
    fs.mkdirSync(path.dirname(ctl), { recursive: true });
    fs.writeFileSync(ctl, '#!/bin/sh\n', { mode: 0o755 });
    sb.flag('dnf-failures', '10');

    const r = await run();

    expect(r.code).toBe(0);
    expect(calls().some((c) => c.startsWith('dnf '))).toBe(false);
    expect(calls().some((c) => c.startsWith('amazon-cloudwatch-agent-ctl -a fetch-config'))).toBe(true);
  });

  test('no agent package: fails with the reason, the metrics timer runs anyway', async () => {
    sb.flag('dnf-failures', '10');

    const r = await run();

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'dnf install amazon-cloudwatch-agent failed 4 times: logs stay on the instance only',
    );
    expect(calls()).toContain('systemctl start jenkins-gpu-metrics.timer');
  });

  test('an agent that rejects its config fails the unit, naming the agent log', async () => {
    sb.flag('agent-ctl-fails');

    const r = await run();

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'amazon-cloudwatch-agent-ctl fetch-config failed: see /opt/aws/amazon-cloudwatch-agent/logs/',
    );
  });

  test('refuses a stack name that would break the JSON', async () => {
    const r = await sb.run('observability-setup.sh', ['--stack-name', 'jg","x', '--region', 'us-east-1']);

    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--stack-name must be a CloudFormation stack name');
  });
});
