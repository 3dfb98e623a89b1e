/**
 * jenkins-start.sh --prepare keeps JENKINS_HOME/plugins exactly the locked set of the active release, also
 * after someone installed or updated a plugin through Jenkins' own plugin manager (a new or changed
 * `<id>.jpi` in JENKINS_HOME/plugins is what the UI leaves behind).
 */
import * as fs from 'fs';
import * as path from 'path';

import { bundleFiles, DEFAULT_PLUGINS, pluginSetKey, Sandbox } from './harness';

describe('jenkins-start.sh --prepare and the plugin lock', () => {
  let sb: Sandbox;
  let plugins: string;

  beforeEach(async () => {
    sb = new Sandbox();
    await sb.http.start();
    sb.installActiveRelease(bundleFiles());
    const set = sb.p(`opt/jenkins-gpu/plugins/${pluginSetKey(DEFAULT_PLUGINS)}`);
    fs.mkdirSync(set, { recursive: true });
    fs.writeFileSync(path.join(set, '.complete'), '');
    for (const p of DEFAULT_PLUGINS) fs.writeFileSync(path.join(set, `${p.id}.jpi`), p.content);
    plugins = sb.p('var/lib/jenkins/plugins');
  });

  afterEach(async () => {
    await sb.cleanup();
  });

  const prepare = () => sb.run('jenkins-start.sh', ['--prepare']);

  test('an unchanged set is left alone: no copy, no re-explode', async () => {
    expect((await prepare()).code).toBe(0);
    const first = sb.calls();

    const r = await prepare();

    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(sb.calls()).toBe(first);
  });

  test('a plugin installed outside the lock is removed again, with a warning', async () => {
    expect((await prepare()).code).toBe(0);
    fs.writeFileSync(path.join(plugins, 'blueocean.jpi'), 'installed from the UI');

    const r = await prepare();

    expect(r.code).toBe(0);
    expect(r.stderr).toContain('differs from the locked set');
    expect(fs.readdirSync(plugins).sort()).toEqual([
      '.jenkins-gpu-plugin-set',
      'configuration-as-code.jpi',
      'ec2.jpi',
    ]);
  });

  test('a plugin updated outside the lock is put back to the locked version', async () => {
    expect((await prepare()).code).toBe(0);
    fs.writeFileSync(path.join(plugins, 'ec2.jpi'), 'a newer ec2 from the UI');

    const r = await prepare();

    expect(r.code).toBe(0);
    expect(r.stderr).toContain('restoring the lock');
    expect(fs.readFileSync(path.join(plugins, 'ec2.jpi'))).toEqual(DEFAULT_PLUGINS[1].content);
  });
});
