import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';

import { bundleOfRepo } from '../../lib/casc/load-casc';
import { stackVariableNames } from '../../lib/casc/stack-variables';
import { resolveLikeJcasc, shippedTemplates } from '../tools/jcasc';

const REPO = path.resolve(__dirname, '../..');
const PAYLOAD_URI = `s3://cdk-hnb659fds-assets-111122223333-us-east-1/${'0'.repeat(64)}.sh`;

describe('the shipped bundle', () => {
  const bundle = bundleOfRepo(REPO);
  const cloudYaml = bundle.files.get('casc/ec2-cloud.yaml')!;
  const templates = shippedTemplates(bundle);
  const payload = bundle.workerPayload!;

  it('carries casc/, plugins, the pinned core and jobs/', () => {
    expect([...bundle.files.keys()]).toEqual(
      expect.arrayContaining([
        'casc/ec2-cloud.yaml',
        'casc/jenkins.yaml',
        'casc/plugins.txt',
        'casc/jenkins-core.txt',
        'jobs/seed.groovy',
        'jobs/train.Jenkinsfile',
        'jobs/worker-labels.tsv',
      ]),
    );
  });

  it('renders the user data loader into every template, pinning the payload sha256', () => {
    expect(templates.length).toBeGreaterThan(0);
    for (const t of templates) {
      expect(t.userData).not.toContain('@render:');
      expect(t.userData).toContain(`payload_sha256='${payload.sha256}'`);
      expect(t.userData).toContain("payload_s3_uri='${WORKER_PAYLOAD_S3_URI}'");
      expect(t.userData).toContain('/usr/local/sbin/jenkins-gpu-fallback-idle-stop');
      // The full watchdog and the apt setup travel in the payload, not in the user data.
      expect(t.userData).not.toContain('jenkins-gpu-idle-watchdog');
      expect(t.userData).not.toMatch(/\bapt-get\b/);
    }
  });

  it('ships the watchdog and the package setup in the payload', () => {
    expect(payload.content).toContain(
      `'/usr/local/sbin/jenkins-gpu-idle-watchdog' <<'JENKINS_GPU_INCLUDED_FILE'`,
    );
    expect(payload.content).toContain(
      `'/usr/local/sbin/jenkins-gpu-worker-setup' <<'JENKINS_GPU_INCLUDED_FILE'`,
    );
  });

  it('changes the payload digest, and so the bundle, when a worker script changes', () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'repo-'));
    for (const part of ['casc', 'jobs', 'assets'])
      fs.cpSync(path.join(REPO, part), path.join(copy, part), { recursive: true });
    fs.appendFileSync(path.join(copy, 'assets/worker/setup.sh'), '# changed\n');
    const changed = bundleOfRepo(copy);
    expect(changed.workerPayload!.sha256).not.toBe(payload.sha256);
    expect(changed.digest).not.toBe(bundle.digest);
  });

  it('leaves no ${VAR} in the rendered shell for JCasC to resolve, except stack variables', () => {
    // JCasC resolves ${X} but not ^${X}: a bare ${ in userData would be replaced (or fail strict resolution).
    const strings: string[] = [];
    const walk = (v: unknown): void => {
      if (typeof v === 'string') strings.push(v);
      else if (v && typeof v === 'object') Object.values(v).forEach(walk);
    };
    walk(parse(cloudYaml));
    const bare = strings.flatMap((v) => [...v.matchAll(/(?<!\^)\$\{([^}]*)\}/g)].map((m) => m[1]));
    const allowed = stackVariableNames();
    expect(bare.filter((name) => !allowed.has(name))).toEqual([]);
  });

  it('puts the template idle minutes into the user data', () => {
    const shell = resolveLikeJcasc(templates[0].userData, { WORKER_PAYLOAD_S3_URI: PAYLOAD_URI });
    expect(shell).not.toContain('@@IDLE_TERMINATION_MINUTES@@');
    expect(shell).toContain("idle_minutes='10'");
  });
});
