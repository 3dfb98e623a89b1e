import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { buildBundle } from '../../lib/bundle/build-bundle';
import { initScriptFiles } from '../../lib/bundle/init-scripts';
import { RenderError } from '../../lib/bundle/render-worker-script';
import { loadCascForBundle } from '../../lib/casc/load-casc';

const REPO = path.resolve(__dirname, '../..');
const CASC = loadCascForBundle(path.join(REPO, 'casc'));
const temp: string[] = [];
afterAll(() => temp.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function initDir(files: Record<string, string>, dirs: string[] = []): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'init-'));
  temp.push(dir);
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  for (const name of dirs) fs.mkdirSync(path.join(dir, name));
  return dir;
}

describe('init.groovy.d in the bundle', () => {
  it('ships the worker-provisioning hook of the repository under init.groovy.d/', () => {
    const files = buildBundle({ repoRoot: REPO, casc: CASC }).files;
    const hook = files.get('init.groovy.d/worker_provisioning.groovy');
    expect(hook).toBe(fs.readFileSync(path.join(REPO, 'init.groovy.d/worker_provisioning.groovy'), 'utf8'));
    expect(hook).toContain('class WorkerProvisioningStrategy extends NodeProvisioner.Strategy');
  });

  it('changes the bundle digest when a hook changes, so the controller stages a new release', () => {
    const hooks = initDir({ 'a.groovy': 'println 1\n' });
    const before = buildBundle({ repoRoot: REPO, casc: CASC, initDir: hooks }).digest;
    fs.writeFileSync(path.join(hooks, 'a.groovy'), 'println 2\n');
    expect(buildBundle({ repoRoot: REPO, casc: CASC, initDir: hooks }).digest).not.toBe(before);
  });

  it('carries the hooks in name order, the order Jenkins runs them in', () => {
    const files = initScriptFiles(initDir({ 'b_second.groovy': 'b', 'a_first.groovy': 'a' }));
    expect([...files.keys()]).toEqual(['init.groovy.d/a_first.groovy', 'init.groovy.d/b_second.groovy']);
  });

  it('has no init.groovy.d part when the repository has none', () => {
    expect(initScriptFiles(path.join(os.tmpdir(), 'no-such-init-dir')).size).toBe(0);
  });

  it.each([
    ['a file Jenkins would skip', { 'notes.txt': 'x' }, [], 'init.groovy.d/notes.txt'],
    [
      'a name Groovy cannot make a class of',
      { 'reuse-workers.groovy': 'x' },
      [],
      'init.groovy.d/reuse-workers.groovy',
    ],
    ['a subdirectory Jenkins does not read', {}, ['more'], 'init.groovy.d/more'],
  ])('refuses %s, naming it', (_what, files, dirs, where) => {
    const dir = initDir(files, dirs);
    expect(() => initScriptFiles(dir)).toThrow(RenderError);
    expect(() => initScriptFiles(dir)).toThrow(
      `${where}: Jenkins runs only files named like a Groovy class (letters, digits, _ or $, ending in .groovy) directly in init.groovy.d/; rename it or move it out`,
    );
  });
});
