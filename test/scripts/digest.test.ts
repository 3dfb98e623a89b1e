import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { bundleDigest } from '../../lib/bundle/digest';
import { CONTROLLER, writeTree } from './harness';

function shellDigest(dir: string): string {
  return execFileSync(
    'bash',
    ['-c', 'set -euo pipefail; source "$1/lib.sh"; bundle_digest "$2"', '_', CONTROLLER, dir],
    {
      encoding: 'utf8',
    },
  ).trim();
}

describe('bundle digest', () => {
  let dir: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jg-digest-'));
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('shell and TypeScript agree on nested dirs, spaces and byte-order sorting', () => {
    writeTree(dir, {
      'casc/jenkins.yaml': 'jenkins: {}\n',
      'casc/a b/with space.yaml': 'x: 1\n',
      'casc/a-b.yaml': 'y: 2\n', // '-' (0x2d) sorts before '/' (0x2f) and after ' ' (0x20)
      'casc/B.yaml': 'upper\n', // 'B' sorts before 'a' in byte order
      'jobs/deep/er/still/file.groovy': 'job("x")\n',
      'empty.txt': '',
      'unicodé.txt': 'ü\n',
    });
    fs.mkdirSync(path.join(dir, 'empty-dir'));

    const ts = bundleDigest(dir);

    expect(ts).toMatch(/^[0-9a-f]{64}$/);
    expect(shellDigest(dir)).toBe(ts);
  });

  test('shell and TypeScript agree on names sha256sum would escape or read as stdin', () => {
    // One of these makes the shell hash each file on its stdin instead of one sha256sum over all names.
    for (const name of ['back\\slash.txt', 'new\nline.txt', 'carriage\rreturn.txt', '-']) {
      writeTree(dir, { 'casc/jenkins.yaml': 'jenkins: {}\n', [name]: `${name}\n` });

      expect(shellDigest(dir)).toBe(bundleDigest(dir));
      fs.rmSync(path.join(dir, name));
    }
  });

  test('follows the documented algorithm exactly', () => {
    writeTree(dir, { 'b.txt': 'b', 'a/c.txt': 'c' });
    const h = (s: string) => createHash('sha256').update(s).digest('hex');
    const expected = h(`${h('c')}  a/c.txt\n${h('b')}  b.txt\n`);

    expect(bundleDigest(dir)).toBe(expected);
    expect(shellDigest(dir)).toBe(expected);
  });

  test('content and names both change the digest', () => {
    writeTree(dir, { 'casc/x.yaml': 'a: 1\n' });
    const before = bundleDigest(dir);
    fs.writeFileSync(path.join(dir, 'casc/x.yaml'), 'a: 2\n');
    const changed = bundleDigest(dir);
    fs.renameSync(path.join(dir, 'casc/x.yaml'), path.join(dir, 'casc/y.yaml'));
    const renamed = bundleDigest(dir);

    expect(new Set([before, changed, renamed]).size).toBe(3);
    expect(shellDigest(dir)).toBe(renamed);
  });
});
