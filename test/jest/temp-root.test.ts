// Each `npm test` run keeps its temp files in one directory and removes it at the end (test/jest/temp-root.cjs).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { setEnv } from '../env';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { PREFIX, setup, teardown } = require('./temp-root.cjs') as {
  PREFIX: string;
  setup: () => string;
  teardown: () => void;
};

/** Runs `fn` with TMPDIR as given (undefined: unset), restoring this worker's own TMPDIR after. */
function withTmpdir(value: string | undefined, fn: () => void): void {
  const restore = setEnv({ TMPDIR: value });
  try {
    fn();
  } finally {
    restore();
  }
}

describe('the run temp directory', () => {
  it('is where this run puts its temp files: Jest set it up before the workers started', () => {
    expect(path.basename(os.tmpdir())).toMatch(new RegExp(`^${PREFIX}`));
  });

  it('setup makes a directory and points TMPDIR at it; teardown removes it, files and all, and restores TMPDIR', () => {
    const outer = fs.mkdtempSync(path.join(os.tmpdir(), 'outer-'));
    withTmpdir(outer, () => {
      const root = setup();
      expect(path.dirname(root)).toBe(outer);
      expect(process.env.TMPDIR).toBe(root);
      fs.mkdirSync(path.join(os.tmpdir(), 'a-test-', 'nested'), { recursive: true });
      fs.writeFileSync(path.join(os.tmpdir(), 'a-test-', 'nested', 'file'), 'x');

      teardown();

      expect(fs.existsSync(root)).toBe(false);
      expect(process.env.TMPDIR).toBe(outer);
      expect(fs.readdirSync(outer)).toEqual([]);
    });
    fs.rmSync(outer, { recursive: true });
  });

  it('teardown leaves TMPDIR unset when it was unset, and does nothing a second time', () => {
    withTmpdir(undefined, () => {
      const root = setup();
      teardown();
      expect(process.env.TMPDIR).toBeUndefined();
      expect(fs.existsSync(root)).toBe(false);
      teardown();
      expect(process.env.TMPDIR).toBeUndefined();
    });
  });
});
