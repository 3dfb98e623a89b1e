/**
 * The job-timeout bounds of lib/contracts.ts are the ones the training job really enforces: the
 * validation pattern of TIMEOUT_HOURS in jobs/train.Jenkinsfile (Groovy `String.matches`, a whole-string
 * match) and the default in jobs/seed.groovy. The reaper's and the watchdog's limits are derived from them.
 */
import * as fs from 'fs';
import * as path from 'path';

import { MAX_IDLE_TERMINATION_MINUTES } from '../../lib/casc/rules/idle-termination';
import { DEFAULT_JOB_TIMEOUT_HOURS, MAX_JOB_TIMEOUT_HOURS, MIN_JOB_TIMEOUT_HOURS } from '../../lib/contracts';
import { DEFAULT_MAX_BUSY_HOURS } from '../../lib/cost/decide';
import { BUSY_WITHOUT_AGENT_MAX_MINUTES, reaperMaxRunningHours } from '../../lib/cost/job-timeout';

const REPO = path.resolve(__dirname, '../..');
const jenkinsfile = fs.readFileSync(path.join(REPO, 'jobs/train.Jenkinsfile'), 'utf8');
const seed = fs.readFileSync(path.join(REPO, 'jobs/seed.groovy'), 'utf8');

describe('the job timeout bounds', () => {
  const pattern = /checkParameter\(errors, p, 'TIMEOUT_HOURS', '([^']+)'/.exec(jenkinsfile)?.[1];
  const accepts = (hours: number) => new RegExp(`^(?:${pattern})$`).test(String(hours));

  it('are the ones jobs/train.Jenkinsfile validates', () => {
    expect(pattern).toBeDefined();
    const accepted = Array.from({ length: 200 }, (_, i) => i).filter(accepts);
    expect(accepted[0]).toBe(MIN_JOB_TIMEOUT_HOURS);
    expect(accepted[accepted.length - 1]).toBe(MAX_JOB_TIMEOUT_HOURS);
    expect(accepted).toHaveLength(MAX_JOB_TIMEOUT_HOURS - MIN_JOB_TIMEOUT_HOURS + 1);
  });

  it('have the default jobs/seed.groovy gives the job', () => {
    expect(seed).toContain(`stringParam('TIMEOUT_HOURS', '${DEFAULT_JOB_TIMEOUT_HOURS}',`);
    expect(seed).toContain(`(${MIN_JOB_TIMEOUT_HOURS}-${MAX_JOB_TIMEOUT_HOURS})`);
  });

  it('bound the reaper and the watchdog: a build may run to its longest timeout, not much more', () => {
    expect(DEFAULT_MAX_BUSY_HOURS).toBeGreaterThan(MAX_JOB_TIMEOUT_HOURS);
    expect(BUSY_WITHOUT_AGENT_MAX_MINUTES).toBeGreaterThan(MAX_JOB_TIMEOUT_HOURS * 60);
    expect(BUSY_WITHOUT_AGENT_MAX_MINUTES).toBeLessThan(DEFAULT_MAX_BUSY_HOURS * 60);
  });

  it("give the reaper's hard lifetime: a default build, the longest idle stop in whole hours, an hour", () => {
    expect(reaperMaxRunningHours(10)).toBe(DEFAULT_JOB_TIMEOUT_HOURS + 1 + 1);
    expect(reaperMaxRunningHours(60)).toBe(DEFAULT_JOB_TIMEOUT_HOURS + 1 + 1);
    expect(reaperMaxRunningHours(61)).toBe(DEFAULT_JOB_TIMEOUT_HOURS + 2 + 1);
    // A longer TIMEOUT_HOURS is kept by its busy tag: maxBusyHours must be reachable past the lifetime.
    expect(DEFAULT_MAX_BUSY_HOURS).toBeGreaterThan(reaperMaxRunningHours(MAX_IDLE_TERMINATION_MINUTES));
  });
});
