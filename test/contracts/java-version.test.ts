/**
 * Contract: the Java the pinned Jenkins core needs, on the controller and on every agent.
 *
 * - Core 2.555 and later runs only on Java 21 or 25 (`executable/Main.java`, SUPPORTED_JAVA_VERSIONS, in
 *   jenkinsci/jenkins), and the 2.555 LTS upgrade guide requires Java 21 for controllers and agents: an
 *   agent JVM older than the controller's minimum cannot connect.
 * - The EC2 plugin installs Java on an agent by itself only on Amazon Linux; our workers are Ubuntu, so the
 *   worker setup installs it (assets/worker/setup.sh).
 *
 * Re-check when casc/jenkins-core.txt changes.
 */
import * as fs from 'fs';
import * as path from 'path';

const REPO = path.resolve(__dirname, '../..');
const read = (rel: string) => fs.readFileSync(path.join(REPO, rel), 'utf8');

/** The Java major versions a core supports, from the facts above (older cores: 17 and 21). */
function supportedJava(coreVersion: string): number[] {
  const [major, minor] = coreVersion.split('.').map(Number);
  return major > 2 || (major === 2 && minor >= 555) ? [21, 25] : [17, 21];
}

const core = read('casc/jenkins-core.txt')
  .split('\n')
  .map((l) => l.trim())
  .find((l) => l !== '' && !l.startsWith('#'))!;

describe('Java for the pinned core', () => {
  it('core 2.555 and later runs on Java 21 or 25 only', () => {
    expect(supportedJava('2.555.1')).toEqual([21, 25]);
    expect(supportedJava('2.541.3')).toEqual([17, 21]);
  });

  it('the worker setup installs a Java the pinned core supports, and no other', () => {
    const setup = read('assets/worker/setup.sh');
    const major = Number(/^readonly AGENT_JAVA_MAJOR=(\d+)$/m.exec(setup)?.[1]);
    expect(supportedJava(core)).toContain(major);
    expect(setup).toContain('readonly AGENT_JAVA_PACKAGE="openjdk-$AGENT_JAVA_MAJOR-jre-headless"');
    // No fallback to another JDK package in the code (comments aside): an unsupported agent JVM cannot connect.
    const code = setup.split('\n').filter((line) => !line.trim().startsWith('#'));
    expect(code.filter((line) => /openjdk-\d+/.test(line))).toEqual([]);
  });

  it('the controller bootstrap installs a Java the pinned core supports', () => {
    const versions = [...read('assets/controller/bootstrap.sh').matchAll(/java-(\d+)-amazon-corretto/g)].map(
      (m) => Number(m[1]),
    );
    expect(versions.length).toBeGreaterThan(0);
    for (const v of versions) expect(supportedJava(core)).toContain(v);
  });
});
