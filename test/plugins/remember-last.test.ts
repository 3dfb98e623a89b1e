import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { checkPluginFiles } from '../../lib/plugins/check';
import { parseLock } from '../../lib/plugins/lock-file';
import { rememberLast } from '../../lib/plugins/remember-last';

describe('rememberLast', () => {
  it('computes once for a key repeated, again when the key changes, and again for a key seen before that', () => {
    const computed: string[] = [];
    const upper = rememberLast(
      (text: string) => text,
      (text: string) => {
        computed.push(text);
        return { value: text.toUpperCase() };
      },
    );
    expect([upper('a'), upper('a'), upper('b'), upper('a')].map((r) => r.value)).toEqual([
      'A',
      'A',
      'B',
      'A',
    ]);
    expect(computed).toEqual(['a', 'b', 'a']);
  });

  it('shares a frozen result: a caller that changes it throws instead of changing the next answer', () => {
    // The types say readonly; this is what a caller that cast it away would meet.
    const lock = parseLock('a-plugin:1.0 sha256=' + 'a'.repeat(64) + ' source=intent\n', 'plugins.lock');
    expect(parseLock('a-plugin:1.0 sha256=' + 'a'.repeat(64) + ' source=intent\n', 'plugins.lock')).toBe(
      lock,
    );
    expect(() => (lock.value as unknown[]).push(lock.value[0])).toThrow(TypeError);
    expect(() => (lock.problems as unknown[]).push(lock.problems[0])).toThrow(TypeError);
  });
});

describe('the plugin check of files that change between calls', () => {
  const lock = (version: string) =>
    `a-plugin:${version} sha256=${'a'.repeat(64)} source=intent\n  core 2.479.3\n`;

  it('answers for the files as they are now, not as they were last time', () => {
    const casc = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'remember-last-')), 'casc');
    fs.mkdirSync(casc);
    const intent = path.join(casc, 'plugins.txt');
    fs.writeFileSync(intent, 'a-plugin:1.0\n');
    fs.writeFileSync(path.join(casc, 'plugins.lock'), lock('1.0'));
    fs.writeFileSync(path.join(casc, 'jenkins-core.txt'), `2.580.1\nsha256=${'b'.repeat(64)}\n`);
    expect(checkPluginFiles(intent)).toEqual([]);

    fs.writeFileSync(path.join(casc, 'plugins.lock'), lock('1.1'));
    expect(checkPluginFiles(intent).map((p) => p.message)).toEqual([
      expect.stringMatching(/^a-plugin:1\.0 is pinned here, but plugins\.lock line 1 has 1\.1;/),
    ]);

    fs.rmSync(path.join(casc, 'plugins.lock'));
    expect(checkPluginFiles(intent).map((p) => p.message)).toEqual([expect.stringMatching(/^not found: /)]);
  });
});
