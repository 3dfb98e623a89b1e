import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';

import {
  EC2_USER_DATA_MAX_BYTES,
  renderCascYaml,
  userDataBytes,
  writeBundle,
} from '../../lib/bundle/build-bundle';
import { digestOfFiles } from '../../lib/bundle/file-digest';
import {
  escapeForJcasc,
  renderWorkerScript,
  toJcascValue,
  unescapeJcasc,
} from '../../lib/bundle/render-worker-script';
import type { Fleet } from '../../lib/casc/fleet';
import { bundleOfRepo, loadCascForBundle } from '../../lib/casc/load-casc';
import type { CascDocument } from '../../lib/jcasc/load';

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
    const root = repo({
      'assets/worker/user-data.sh': BOOT,
      'assets/worker/helper.sh': 'echo "$HOME ${USER}"\n',
    });
    const shell = renderWorkerScript(root, 'assets/worker/user-data.sh', { IDLE_TERMINATION_MINUTES: '15' });
    expect(shell).toContain('idle="15"');
    // Written under $JENKINS_GPU_WORKER_ROOT (unset on an instance), so tests can run the result in a sandbox.
    expect(shell).toContain(
      `cat >"\${JENKINS_GPU_WORKER_ROOT:-}"'/usr/local/sbin/helper' <<'JENKINS_GPU_INCLUDED_FILE'\necho "$HOME \${USER}"\nJENKINS_GPU_INCLUDED_FILE`,
    );
    expect(shell).toContain(`chmod 0755 "\${JENKINS_GPU_WORKER_ROOT:-}"'/usr/local/sbin/helper'`);
    expect(shell).not.toContain('#@include-file');
  });

  it('strips comment and blank lines on request, keeping shebangs and shellcheck directives', () => {
    const root = repo({
      'assets/worker/user-data.sh':
        '#!/bin/bash\n# why\n\necho a # stays\n#@include-file assets/worker/h.sh /x 0755\n',
      'assets/worker/h.sh': '#!/bin/sh\n  # indented comment\n# shellcheck disable=SC1090\n. "$F"\n',
    });
    const shell = renderWorkerScript(root, 'assets/worker/user-data.sh', {}, { stripComments: true });
    expect(shell).not.toMatch(/# why|indented comment|^$/m);
    expect(shell).toContain('#!/bin/bash\necho a # stays\n');
    expect(shell).toContain(
      '<<\'JENKINS_GPU_INCLUDED_FILE\'\n#!/bin/sh\n# shellcheck disable=SC1090\n. "$F"\n',
    );
  });

  it('names the script and the allowed tokens for an unknown token', () => {
    const root = repo({ 'assets/worker/user-data.sh': 'echo @@NOPE@@\n' });
    expect(() =>
      renderWorkerScript(root, 'assets/worker/user-data.sh', { IDLE_TERMINATION_MINUTES: '1' }),
    ).toThrow('assets/worker/user-data.sh: unknown token @@NOPE@@ (allowed: @@IDLE_TERMINATION_MINUTES@@)');
  });

  it('refuses includes that are missing or outside the repository', () => {
    const root = repo({ 'assets/worker/user-data.sh': '#@include-file ../etc/passwd /tmp/x 0644\n' });
    expect(() => renderWorkerScript(root, 'assets/worker/user-data.sh', {})).toThrow(
      '../etc/passwd is outside the repository',
    );
    const root2 = repo({ 'assets/worker/user-data.sh': '#@include-file assets/none.sh /tmp/x 0644\n' });
    expect(() => renderWorkerScript(root2, 'assets/worker/user-data.sh', {})).toThrow(
      'assets/worker/user-data.sh:1: assets/none.sh does not exist',
    );
  });
});

describe('JCasC variables in worker scripts', () => {
  it('turn @@casc:NAME@@ into the JCasC variable after escaping everything else', () => {
    const value = toJcascValue(
      "uri='@@casc:WORKER_PAYLOAD_S3_URI@@' x=${y}",
      new Set(['WORKER_PAYLOAD_S3_URI']),
      'w',
    );
    expect(value).toBe("uri='${WORKER_PAYLOAD_S3_URI}' x=^${y}");
  });

  it('must be stack variables', () => {
    expect(() => toJcascValue('@@casc:NOPE@@', new Set(['A', 'B']), 'casc/x.yaml: userData')).toThrow(
      'casc/x.yaml: userData: @@casc:NOPE@@ is not a stack variable (allowed: A, B)',
    );
  });
});

describe('userDataBytes', () => {
  it('measures what the EC2 plugin sends: un-escaped, variables at their longest stack value', () => {
    expect(userDataBytes('echo ^${HOME}')).toBe('echo ${HOME}'.length);
    // WORKER_PAYLOAD_S3_URI: s3:// + 63-character bucket + / + <sha256>.sh
    expect(userDataBytes('u=${WORKER_PAYLOAD_S3_URI}')).toBe(2 + 136);
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

/** One casc file as the bundle gets it: its text and Document, and the Fleet built from them. */
function loaded(text: string): { file: CascDocument; fleet: Fleet } {
  const root = repo({ 'casc/x.yaml': text });
  const casc = loadCascForBundle(path.join(root, 'casc'));
  return { file: casc.documents[0], fleet: casc.fleet };
}

/** renderCascYaml of one casc file's text, with its Fleet. */
function render(text: string, root: string, tokens?: Record<string, string>): string {
  const { file, fleet } = loaded(text);
  return renderCascYaml(file, root, 'casc/x.yaml', fleet, tokens);
}

describe('renderCascYaml', () => {
  const cloud = (template: string) =>
    ['jenkins:', '  clouds:', '    - amazonEC2:', '        name: gpu', '        templates:', template].join(
      '\n',
    ) + '\n';

  it('replaces the @render marker with the escaped script for that template', () => {
    const root = repo({ 'assets/worker/user-data.sh': BOOT, 'assets/worker/helper.sh': 'echo ${USER}\n' });
    const text = cloud(
      '          - description: a\n            idleTerminationMinutes: "12"\n            userData: "@render:assets/worker/user-data.sh"',
    );
    const rendered = render(text, root);
    const userData: string = parse(rendered).jenkins.clouds[0].amazonEC2.templates[0].userData;
    expect(userData).toContain('idle="12"');
    expect(userData).toContain('echo "^${idle}"');
    expect(unescapeJcasc(userData)).toBe(
      renderWorkerScript(root, 'assets/worker/user-data.sh', { IDLE_TERMINATION_MINUTES: '12' }),
    );
  });

  it('needs the template idle minutes to render: the Fleet refuses a template without them', () => {
    const text = cloud(
      '          - description: a\n            userData: "@render:assets/worker/user-data.sh"',
    );
    expect(() => loaded(text)).toThrow(
      'jenkins.clouds[0].amazonEC2.templates[0].idleTerminationMinutes: expected a positive integer',
    );
  });

  it("renders with the Fleet template's idle minutes, found by the template's place in the file", () => {
    const root = repo({ 'assets/worker/user-data.sh': 'idle=@@IDLE_TERMINATION_MINUTES@@\n' });
    const template = (d: string, idle: string) =>
      `          - description: ${d}\n            idleTerminationMinutes: ${idle}\n            userData: "@render:assets/worker/user-data.sh"`;
    const text = cloud(`${template('a', '5')}\n${template('b', '"9"')}`);
    const { file, fleet } = loaded(text);
    expect(fleet.templates.map((t) => t.idleMinutes)).toEqual([5, 9]);
    const templates = parse(renderCascYaml(file, root, 'casc/x.yaml', fleet)).jenkins.clouds[0].amazonEC2
      .templates as { userData: string }[];
    expect(templates.map((t) => t.userData)).toEqual(['idle=5\n', 'idle=9\n']);
  });

  it('renders each file with its own Fleet templates when clouds come from several files', () => {
    const root = repo({
      'assets/worker/user-data.sh': 'idle=@@IDLE_TERMINATION_MINUTES@@\n',
      'casc/a.yaml': cloud(
        '          - description: a\n            idleTerminationMinutes: 3\n            userData: "@render:assets/worker/user-data.sh"',
      ),
      'casc/b.yaml': cloud(
        '          - description: b\n            idleTerminationMinutes: 4\n            userData: "@render:assets/worker/user-data.sh"',
      ),
    });
    const idle = (rel: string) =>
      parse(bundleOfRepo(root).files.get(rel)!).jenkins.clouds[0].amazonEC2.templates[0].userData;
    expect([idle('casc/a.yaml'), idle('casc/b.yaml')]).toEqual(['idle=3\n', 'idle=4\n']);
  });

  it('refuses a marker outside an EC2 template of the Fleet', () => {
    const root = repo({ 'assets/worker/user-data.sh': 'idle=@@IDLE_TERMINATION_MINUTES@@\n' });
    const text =
      'unclassified:\n  other:\n    idleTerminationMinutes: 5\n    userData: "@render:assets/worker/user-data.sh"\n';
    expect(() => render(text, root)).toThrow(
      "casc/x.yaml: userData @render:assets/worker/user-data.sh: @render: is rendered only in an EC2 template's userData and initScript",
    );
  });

  it('refuses user data larger than EC2 accepts (16,384 bytes), naming the file and the size', () => {
    const big = `#!/bin/bash\n${'echo padding-padding-padding\n'.repeat(600)}`;
    const root = repo({ 'assets/worker/user-data.sh': big });
    const text = cloud(
      '          - description: a\n            idleTerminationMinutes: "1"\n            userData: "@render:assets/worker/user-data.sh"',
    );
    expect(EC2_USER_DATA_MAX_BYTES).toBe(16384);
    expect(() => render(text, root)).toThrow(
      `casc/x.yaml: userData @render:assets/worker/user-data.sh: the rendered user data is ${big.length} bytes once JCasC fills its variables; EC2 RunInstances accepts at most 16384 (keep boot code in assets/worker/payload.sh, which workers fetch from S3)`,
    );
  });

  it('fills bundle-wide tokens (the payload digest) next to the template values', () => {
    const root = repo({
      'assets/worker/user-data.sh': "sha='@@WORKER_PAYLOAD_SHA256@@' idle=@@IDLE_TERMINATION_MINUTES@@\n",
    });
    const text = cloud(
      '          - description: a\n            idleTerminationMinutes: "7"\n            userData: "@render:assets/worker/user-data.sh"',
    );
    const rendered = render(text, root, { WORKER_PAYLOAD_SHA256: 'abc' });
    expect(parse(rendered).jenkins.clouds[0].amazonEC2.templates[0].userData).toBe("sha='abc' idle=7\n");
  });

  it('leaves YAML without markers byte-identical', () => {
    const text = 'jenkins:\n  numExecutors: 0   # keep\n';
    expect(render(text, '/nonexistent')).toBe(text);
  });
});

describe('buildBundle', () => {
  it('bundles casc/ and jobs/ with a digest that follows content and ignores nothing', () => {
    const root = repo({
      'casc/a.yaml': 'jenkins: {}\n',
      'casc/plugins.txt': 'ec2:1\n',
      'jobs/seed.groovy': 'x\n',
    });
    const first = bundleOfRepo(root);
    // jobs/worker-labels.tsv is generated from casc/ (no templates here: only its header lines).
    expect([...first.files.keys()]).toEqual([
      'casc/a.yaml',
      'casc/plugins.txt',
      'jobs/seed.groovy',
      'jobs/worker-labels.tsv',
    ]);
    expect(
      first.files
        .get('jobs/worker-labels.tsv')!
        .split('\n')
        .filter((l) => !l.startsWith('#')),
    ).toEqual(['']);
    expect(first.digest).toBe(digestOfFiles(first.files));
    expect(bundleOfRepo(root).digest).toBe(first.digest);
    fs.writeFileSync(path.join(root, 'jobs/seed.groovy'), 'y\n');
    expect(bundleOfRepo(root).digest).not.toBe(first.digest);
  });

  it('writes a content-addressed directory', () => {
    const root = repo({ 'casc/a.yaml': 'jenkins: {}\n' });
    const bundle = bundleOfRepo(root);
    const dir = writeBundle(bundle, path.join(root, 'out'));
    expect(path.basename(dir)).toBe(bundle.digest);
    expect(fs.readFileSync(path.join(dir, 'casc/a.yaml'), 'utf8')).toBe('jenkins: {}\n');
    // No jobs/, no seed to read the labels: no jobs/worker-labels.tsv either.
    expect(fs.existsSync(path.join(dir, 'jobs'))).toBe(false);
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
    const h = (s: string) => createHash('sha256').update(s).digest('hex');
    expect(digest).toBe(h(`${h('a\n')}  a\n${h('b\n')}  b\n`));
  });
});
