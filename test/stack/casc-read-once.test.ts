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

// The real module object: the lib code calls `fs.readFileSync` through it.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const realFs = require('fs') as typeof import('fs');

it('loads casc/ once per stack build and reads each of its YAML files once', () => {
  const loads = jest.spyOn(load, 'loadCascTree');
  const reads = jest.spyOn(realFs, 'readFileSync');
  try {
    const app = new App({ context: TEST_APP_CONTEXT });
    new JenkinsGpuStack(app, 'JenkinsGpuTraining', { settings: resolveSettings({}), repoRoot: REPO });
    expect(loads.mock.calls).toEqual([[path.join(REPO, 'casc')]]);
    const cascYaml = reads.mock.calls
      .map(([file]) => path.relative(REPO, String(file)))
      .filter((rel) => /^casc[/\\].*\.ya?ml$/.test(rel))
      .sort();
    const files = load.listCascFiles(path.join(REPO, 'casc')).map((f) => path.relative(REPO, f));
    expect(files.length).toBeGreaterThan(1);
    expect(cascYaml).toEqual(files);
  } finally {
    loads.mockRestore();
    reads.mockRestore();
  }
});
