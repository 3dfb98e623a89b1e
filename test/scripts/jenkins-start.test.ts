import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { INIT_SCRIPTS_DIR, initScriptFiles } from '../../lib/bundle/init-scripts';
import { bundleFiles, CONTROLLER, CORE_VERSION, Sandbox } from './harness';

const REPO = path.resolve(__dirname, '../..');

/** The plugin-set key of a release, computed by lib.sh itself. */
function pluginSetKey(sb: Sandbox, release: string): string {
  return execFileSync('bash', ['-c', 'source "$1/lib.sh"; plugin_set_key "$2"', '_', CONTROLLER, release], {
    encoding: 'utf8',
    env: sb.env(),
  }).trim();
}

describe('jenkins-start.sh', () => {
  let sb: Sandbox;
  let release: string;
  let setDir: string;

  beforeEach(async () => {
    sb = new Sandbox();
    await sb.http.start();
    const digest = sb.installActiveRelease(bundleFiles());
    release = sb.p(`opt/jenkins-gpu/config/releases/${digest}`);
    setDir = sb.p(`opt/jenkins-gpu/plugins/${pluginSetKey(sb, release)}`);
    fs.mkdirSync(setDir, { recursive: true });
    for (const f of ['.complete', 'ec2.jpi', 'configuration-as-code.jpi'])
      fs.writeFileSync(path.join(setDir, f), f);
  });

  afterEach(async () => {
    await sb.cleanup();
  });

  test('--prepare replaces the installed plugins with the active set and keeps *.disabled markers', async () => {
    const plugins = sb.p('var/lib/jenkins/plugins');
    fs.mkdirSync(path.join(plugins, 'old-plugin'), { recursive: true });
    fs.writeFileSync(path.join(plugins, 'old-plugin.jpi'), 'old');
    fs.writeFileSync(path.join(plugins, 'ec2.jpi.disabled'), '');

    const r = await sb.run('jenkins-start.sh', ['--prepare']);

    expect(r.code).toBe(0);
    expect(fs.readdirSync(plugins).sort()).toEqual([
      '.jenkins-gpu-plugin-set',
      'configuration-as-code.jpi',
      'ec2.jpi',
      'ec2.jpi.disabled',
    ]);
    expect(sb.calls()).toContain(`chown -R jenkins:jenkins ${plugins}`);
  });

  test('--prepare fails when the active release has no installed plugin set', async () => {
    fs.rmSync(path.join(setDir, '.complete'));

    const r = await sb.run('jenkins-start.sh', ['--prepare']);

    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('is not installed');
  });

  test('runs java with the war of the pinned core and the required JVM flags', async () => {
    fs.mkdirSync(sb.p('opt/jenkins-gpu/war'), { recursive: true });
    fs.writeFileSync(sb.p(`opt/jenkins-gpu/war/jenkins-${CORE_VERSION}.war`), 'war');

    const r = await sb.run('jenkins-start.sh', [], { JAVA_HEAP_OPTS: '-Xms1g -Xmx2g' });

    expect(r.code).toBe(0);
    const java = sb
      .calls()
      .split('\n')
      .find((l) => l.startsWith('java '));
    expect(java).toBe(
      'java -Xms1g -Xmx2g -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true ' +
        '-Djenkins.install.runSetupWizard=false -Dcasc.strict.secret.resolution=true ' +
        // A resumed node step waits 15 min (not the default 5) for its agent after a controller outage.
        '-Dorg.jenkinsci.plugins.workflow.support.pickles.ExecutorPickle.timeoutForNodeMillis=900000 ' +
        // The init hooks (init.groovy.d/) come from the release that starts, not from JENKINS_HOME.
        `-Djenkins.util.groovy.GroovyHookScript.ROOT_PATH=${release} ` +
        `-jar ${sb.p(`opt/jenkins-gpu/war/jenkins-${CORE_VERSION}.war`)} --httpPort=8080`,
    );
  });

  test('Jenkins finds the init.groovy.d/ hooks in the active release it runs', async () => {
    const hooks = initScriptFiles(path.join(REPO, INIT_SCRIPTS_DIR));
    for (const [rel, content] of hooks) {
      fs.mkdirSync(path.dirname(path.join(release, rel)), { recursive: true });
      fs.writeFileSync(path.join(release, rel), content);
    }
    fs.mkdirSync(sb.p('opt/jenkins-gpu/war'), { recursive: true });
    fs.writeFileSync(sb.p(`opt/jenkins-gpu/war/jenkins-${CORE_VERSION}.war`), 'war');

    const r = await sb.run('jenkins-start.sh', []);

    expect(r.code).toBe(0);
    const root = /-Djenkins\.util\.groovy\.GroovyHookScript\.ROOT_PATH=(\S+)/.exec(sb.calls())?.[1];
    expect(root).toBe(release);
    expect(hooks.size).toBeGreaterThan(0);
    for (const [rel, content] of hooks) expect(fs.readFileSync(path.join(root!, rel), 'utf8')).toBe(content);
  });
});
