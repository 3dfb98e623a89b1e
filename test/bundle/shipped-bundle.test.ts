import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { buildBundle } from '../../lib/bundle/build-bundle';
import { unescapeJcasc } from '../../lib/bundle/render-worker-script';
import { stackVariableNames } from '../../lib/casc/stack-variables';

const REPO = path.resolve(__dirname, '../..');

describe('the shipped bundle', () => {
  const bundle = buildBundle({ repoRoot: REPO });
  const cloudYaml = bundle.files.get('casc/ec2-cloud.yaml')!;
  const templates: { description: string; userData: string }[] =
    parse(cloudYaml).jenkins.clouds[0].amazonEC2.templates;

  it('carries casc/, plugins, the pinned core and jobs/', () => {
    expect([...bundle.files.keys()]).toEqual(
      expect.arrayContaining([
        'casc/ec2-cloud.yaml',
        'casc/jenkins.yaml',
        'casc/plugins.txt',
        'casc/jenkins-core.txt',
        'jobs/seed.groovy',
        'jobs/train.Jenkinsfile',
      ]),
    );
  });

  it('renders the worker boot script into every template', () => {
    expect(templates.length).toBeGreaterThan(0);
    for (const t of templates) {
      expect(t.userData).not.toContain('@render:');
      expect(t.userData).toContain('/usr/local/sbin/jenkins-gpu-idle-watchdog');
    }
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

  it('un-escapes to shell that passes shellcheck', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-userdata-'));
    for (const t of templates) {
      const file = path.join(dir, `${t.description}.sh`);
      fs.writeFileSync(file, unescapeJcasc(t.userData));
      expect(() => execFileSync('shellcheck', ['--shell=bash', file], { encoding: 'utf8' })).not.toThrow();
    }
  });

  it('puts the template idle minutes into the watchdog limits', () => {
    const shell = unescapeJcasc(templates[0].userData);
    expect(shell).not.toContain('@@IDLE_TERMINATION_MINUTES@@');
    expect(shell).toMatch(/\b10\b/);
  });
});
