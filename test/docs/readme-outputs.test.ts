import * as fs from 'fs';
import * as path from 'path';

import { STACK_OUTPUTS } from '../../lib/contracts';

/**
 * The README's outputs table ("After the first deploy") names exactly the stack's outputs: every name of
 * lib/contracts.ts STACK_OUTPUTS, and nothing else. The stack creates each output under one of those names
 * (checked below in its source), so a new output without a row, or a row for an output that is gone, fails.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const start = readme.indexOf('| output | what |');
const table = readme.slice(start, readme.indexOf('\n\n', start));
const documented = table
  .split('\n')
  .filter((line) => line.startsWith('| `'))
  .flatMap((line) => [...line.split('|')[1].matchAll(/`([^`]+)`/g)].map((m) => m[1]));

describe("the README's outputs table", () => {
  it('is found', () => {
    expect(start).toBeGreaterThan(0);
    expect(documented.length).toBeGreaterThan(5);
  });

  it('lists every stack output once, and only those', () => {
    expect([...documented].sort()).toEqual(Object.values(STACK_OUTPUTS).sort());
  });

  it('covers every output the code creates: each CfnOutput is named from STACK_OUTPUTS', () => {
    const sources = [
      'lib/jenkins-gpu-stack.ts',
      ...fs.readdirSync(path.join(ROOT, 'lib', 'constructs')).map((name) => `lib/constructs/${name}`),
    ];
    const creations = sources.flatMap((file) =>
      [
        ...fs.readFileSync(path.join(ROOT, file), 'utf8').matchAll(/new CfnOutput\(\s*[\w.]+,\s*([^,]+),/g),
      ].map((m) => `${file}: ${m[1].trim()}`),
    );
    expect(creations.length).toBeGreaterThanOrEqual(Object.keys(STACK_OUTPUTS).length);
    expect(creations.filter((c) => !/: STACK_OUTPUTS\.\w+$/.test(c))).toEqual([]);
  });
});
