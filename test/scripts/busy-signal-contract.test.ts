import * as fs from 'fs';
import * as path from 'path';

import {
  BUSY_AT_TAG_KEY,
  BUSY_SIGNAL_FAILURES_METRIC,
  WORKER_METRIC_NAMESPACE,
  WORKER_PROFILE_DIMENSION,
} from '../../lib/contracts';

/** The watchdog (shell) and the stack (its IAM condition and alarm) name the same tag and metric. */
describe('busy signal contract between the idle watchdog and the stack', () => {
  const script = fs.readFileSync(path.resolve(__dirname, '../../assets/worker/idle-watchdog.sh'), 'utf8');
  const readonly = (name: string) => new RegExp(`^readonly ${name}='([^']*)'$`, 'm').exec(script)?.[1];

  it.each([
    ['BUSY_TAG_KEY', BUSY_AT_TAG_KEY],
    ['METRIC_NAMESPACE', WORKER_METRIC_NAMESPACE],
    ['BUSY_SIGNAL_FAILURES_METRIC', BUSY_SIGNAL_FAILURES_METRIC],
    ['PROFILE_DIMENSION', WORKER_PROFILE_DIMENSION],
  ])('%s is %s', (name, value) => {
    expect(readonly(name)).toBe(value);
  });
});
