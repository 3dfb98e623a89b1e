/**
 * One stack build reads casc/ once: the validation's load (lib/casc/load-casc.ts) gives the Documents the
 * bundle renders and the Fleet the constructs take, so no YAML file of casc/ is opened or parsed twice.
 */
import { App } from 'aws-cdk-lib';
import * as path from 'path';

import * as load from '../../lib/jcasc/load';
import { JenkinsGpuStack } from '../../lib/jenkins-gpu-stack';
import { resolveSettings } from '../../lib/settings/validate-settings';
import { TEST_APP_CONTEXT } from '../helpers';
import { REPO } from './app-helpers';

// The real module objects: the lib code calls `fs.readFileSync` and yaml's `parseDocument` through them
// (a property read at each call), so a spy on them sees every call. The lib's own exports cannot be spied
// on: the esbuild loader defines them as getters.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const realFs = require('fs') as typeof import('fs');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const realYaml = require('yaml') as typeof import('yaml');

it('reads each YAML file of casc/ once per stack build and parses each once', () => {
  const files = load.listCascFiles(path.join(REPO, 'casc'));
  expect(files.length).toBeGreaterThan(1);
  const fileOfText = new Map(files.map((f) => [realFs.readFileSync(f, 'utf8'), path.relative(REPO, f)]));
  expect(fileOfText.size).toBe(files.length); // each text names one file

  const parses = jest.spyOn(realYaml, 'parseDocument');
  const reads = jest.spyOn(realFs, 'readFileSync');
  try {
    const app = new App({ context: TEST_APP_CONTEXT });
    new JenkinsGpuStack(app, 'JenkinsGpuTraining', { settings: resolveSettings({}), repoRoot: REPO });
    const cascYaml = reads.mock.calls
      .map(([file]) => path.relative(REPO, String(file)))
      .filter((rel) => /^casc[/\\].*\.ya?ml$/.test(rel))
      .sort();
    const parsedCasc = parses.mock.calls
      .map(([text]) => fileOfText.get(String(text)))
      .filter((rel) => rel !== undefined)
      .sort();
    const expected = files.map((f) => path.relative(REPO, f)).sort();
    expect(cascYaml).toEqual(expected);
    expect(parsedCasc).toEqual(expected);
  } finally {
    parses.mockRestore();
    reads.mockRestore();
  }
});
