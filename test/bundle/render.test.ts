import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { buildBundle, renderCascYaml, writeBundle } from '../../lib/bundle/build-bundle';
import { digestOfFiles } from '../../lib/bundle/file-digest';
import { escapeForJcasc, renderWorkerScript, unescapeJcasc } from '../../lib/bundle/render-worker-script';

function repo(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-'));
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), content);
  }
  return root;
}

const BOOT = [
  '#!/bin/bash',
  'set -euo pipefail',
  'idle="@@IDLE_TERMINATION_MINUTES@@"',
  '#@include-file assets/worker/helper.sh /usr/local/sbin/helper 0755',
  'echo "${idle}"',
  '',
].join('\n');

describe('renderWorkerScript', () => {
  it('expands includes as quoted heredocs and fills tokens', () => {
    const root = repo({ 'assets/worker/boot.sh': BOOT, 'assets/worker/helper.sh': 'echo "$HOME ${USER}"\n' });
    const shell = renderWorkerScript(root, 'assets/worker/boot.sh', { IDLE_TERMINATION_MINUTES: '15' });
    expect(shell).toContain('idle="15"');
    expect(shell).toContain(
      "cat > '/usr/local/sbin/helper' <<'JENKINS_GPU_INCLUDED_FILE'\necho \"$HOME ${USER}\"\nJENKINS_GPU_INCLUDED_FILE",
    );
    expect(shell).toContain("chmod 0755 '/usr/local/sbin/helper'");
    expect(shell).not.toContain('#@include-file');
  });

  it('names the script and the allowed tokens for an unknown token', () => {
    const root = repo({ 'assets/worker/boot.sh': 'echo @@NOPE@@\n' });
    expect(() =>
      renderWorkerScript(root, 'assets/worker/boot.sh', { IDLE_TERMINATION_MINUTES: '1' }),
    ).toThrow('assets/worker/boot.sh: unknown token @@NOPE@@ (allowed: @@IDLE_TERMINATION_MINUTES@@)');
  });

  it('refuses includes that are missing or outside the repository', () => {
    const root = repo({ 'assets/worker/boot.sh': '#@include-file ../etc/passwd /tmp/x 0644\n' });
    expect(() => renderWorkerScript(root, 'assets/worker/boot.sh', {})).toThrow(
      '../etc/passwd is outside the repository',
    );
    const root2 = repo({ 'assets/worker/boot.sh': '#@include-file assets/none.sh /tmp/x 0644\n' });
    expect(() => renderWorkerScript(root2, 'assets/worker/boot.sh', {})).toThrow(
      'assets/worker/boot.sh:1: assets/none.sh does not exist',
    );
  });
});

describe('JCasC escaping', () => {
  it('escapes every ${ and round-trips', () => {
    const shell = 'a=${b:-c}; echo "${a}" $HOME ${#a}';
    const escaped = escapeForJcasc(shell);
    expect(escaped).toBe('a=^${b:-c}; echo "^${a}" $HOME ^${#a}');
    expect(escaped).not.toMatch(/(^|[^^])\$\{/);
    expect(unescapeJcasc(escaped)).toBe(shell);
  });
});

describe('renderCascYaml', () => {
  const cloud = (template: string) =>
    ['jenkins:', '  clouds:', '    - amazonEC2:', '        name: gpu', '        templates:', template].join(
      '\n',
    ) + '\n';

  it('replaces the @render marker with the escaped script for that template', () => {
    const root = repo({ 'assets/worker/boot.sh': BOOT, 'assets/worker/helper.sh': 'echo ${USER}\n' });
    const text = cloud(
      '          - description: a\n            idleTerminationMinutes: "12"\n            userData: "@render:assets/worker/boot.sh"',
    );
    const rendered = renderCascYaml(text, root, 'casc/x.yaml');
    const userData: string = parse(rendered).jenkins.clouds[0].amazonEC2.templates[0].userData;
    expect(userData).toContain('idle="12"');
    expect(userData).toContain('echo "^${idle}"');
    expect(unescapeJcasc(userData)).toBe(
      renderWorkerScript(root, 'assets/worker/boot.sh', { IDLE_TERMINATION_MINUTES: '12' }),
    );
  });

  it('needs the template idle minutes to render', () => {
    const root = repo({ 'assets/worker/boot.sh': BOOT, 'assets/worker/helper.sh': '' });
    const text = cloud('          - description: a\n            userData: "@render:assets/worker/boot.sh"');
    expect(() => renderCascYaml(text, root, 'casc/x.yaml')).toThrow(
      'casc/x.yaml: userData @render:assets/worker/boot.sh: the template needs idleTerminationMinutes',
    );
  });

  it('leaves YAML without markers byte-identical', () => {
    const text = 'jenkins:\n  numExecutors: 0   # keep\n';
    expect(renderCascYaml(text, '/nonexistent', 'casc/x.yaml')).toBe(text);
  });
});

describe('buildBundle', () => {
  it('bundles casc/ and jobs/ with a digest that follows content and ignores nothing', () => {
    const root = repo({
      'casc/a.yaml': 'jenkins: {}\n',
      'casc/plugins.txt': 'ec2:1\n',
      'jobs/seed.groovy': 'x\n',
    });
    const first = buildBundle({ repoRoot: root });
    expect([...first.files.keys()]).toEqual(['casc/a.yaml', 'casc/plugins.txt', 'jobs/seed.groovy']);
    expect(first.digest).toBe(digestOfFiles(first.files));
    expect(buildBundle({ repoRoot: root }).digest).toBe(first.digest);
    fs.writeFileSync(path.join(root, 'jobs/seed.groovy'), 'y\n');
    expect(buildBundle({ repoRoot: root }).digest).not.toBe(first.digest);
  });

  it('writes a content-addressed directory', () => {
    const root = repo({ 'casc/a.yaml': 'jenkins: {}\n' });
    const bundle = buildBundle({ repoRoot: root });
    const dir = writeBundle(bundle, path.join(root, 'out'));
    expect(path.basename(dir)).toBe(bundle.digest);
    expect(fs.readFileSync(path.join(dir, 'casc/a.yaml'), 'utf8')).toBe('jenkins: {}\n');
    expect(writeBundle(bundle, path.join(root, 'out'))).toBe(dir);
  });
});

describe('digestOfFiles', () => {
  it('matches sha256sum-style lines over byte-sorted paths', () => {
    // printf 'a\n' | sha256sum → 87428fc5…; the digest is the sha256 of "<hash>  <path>\n" lines.
    const digest = digestOfFiles(
      new Map([
        ['b', 'b\n'],
        ['a', 'a\n'],
      ]),
    );
    const { createHash } = jest.requireActual('crypto') as typeof import('crypto');
    const h = (s: string) => createHash('sha256').update(s).digest('hex');
    expect(digest).toBe(h(`${h('a\n')}  a\n${h('b\n')}  b\n`));
  });
});
