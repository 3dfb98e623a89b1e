import * as path from 'path';

import { loadValidatedCasc } from '../../lib/casc/synth-check';
import { editFile, repoCopy } from '../stack/app-helpers';

/**
 * The option docs/security.md gives for a pool that runs builds nobody vouches for: a template whose
 * workers are terminated, never stopped, after one build (EC2 plugin `stopOnTerminate: false`: terminate on
 * idle; `maxTotalUses: 1`: the agent stops accepting builds after its first and is terminated when that
 * build ends, EC2RetentionStrategy.java lines 418-456 at 2059.v05f9d511d7e5, where `terminate()` stops
 * instead when stopOnTerminate is true), so nothing one build leaves on the root volume reaches the next.
 */
describe('a single-use, terminate-on-idle worker pool', () => {
  it('is a casc edit the validator accepts', () => {
    const repo = repoCopy();
    const file = path.join(repo, 'casc', 'ec2-cloud.yaml');
    editFile(
      file,
      '            stopOnTerminate: true\n',
      '            stopOnTerminate: false\n            maxTotalUses: 1\n',
    );
    expect(() => loadValidatedCasc(repo)).not.toThrow();
  });
});
