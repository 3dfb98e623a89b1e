import { App, Stack } from 'aws-cdk-lib';

import { readReaperConfig } from '../../lambda/reaper/index';
import { CostGuard } from '../../lib/constructs/cost-guard';
import { REAPER_ENV } from '../../lib/contracts';
import { decide, ReaperPolicy } from '../../lib/cost/decide';

/** A policy CostGuard would deploy, and the environment it writes for the reaper Lambda. */
const policy: ReaperPolicy = {
  fleetTagValue: 'fleet-a',
  maxRunningHours: 7,
  busyGraceMinutes: 20,
  maxBusyHours: 96,
  maxStoppedDays: 7,
  currentAmiIds: [],
};
const envOf = (p: ReaperPolicy): NodeJS.ProcessEnv => ({
  [REAPER_ENV.fleetTagValue]: p.fleetTagValue,
  [REAPER_ENV.maxRunningHours]: String(p.maxRunningHours),
  [REAPER_ENV.busyGraceMinutes]: String(p.busyGraceMinutes),
  [REAPER_ENV.maxBusyHours]: String(p.maxBusyHours),
  [REAPER_ENV.maxStoppedDays]: String(p.maxStoppedDays),
  [REAPER_ENV.currentAmiIds]: p.currentAmiIds.join(','),
});
const costGuard = (p: ReaperPolicy) =>
  new CostGuard(new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S'), 'CostGuard', {
    ...p,
    currentAmiIds: [...p.currentAmiIds],
    cloudInstanceCap: 2,
  });

describe('the reaper policy check (one function for the construct, the Lambda and decide)', () => {
  it('accepts the policy CostGuard deploys in all three', () => {
    expect(() => costGuard(policy)).not.toThrow();
    expect(readReaperConfig(envOf(policy))).toEqual({ ...policy, dryRun: false });
    expect(() => decide([], policy, new Date())).not.toThrow();
  });

  it.each<[Partial<ReaperPolicy>, RegExp]>([
    [{ busyGraceMinutes: 9 }, /at least 10, twice the watchdog's 5-minute tag interval/],
    [{ maxBusyHours: 6 }, /at least (maxRunningHours|MAX_RUNNING_HOURS) \(7\)/],
    [{ maxStoppedDays: 1.5 }, /must be a positive integer/],
    [{ maxRunningHours: 0 }, /must be a positive number/],
  ])('refuses %p in all three, with the same rule', (override, rule) => {
    const bad = { ...policy, ...override };
    expect(() => costGuard(bad)).toThrow(rule);
    expect(() => readReaperConfig(envOf(bad))).toThrow(rule);
    expect(() => decide([], bad, new Date())).toThrow(rule);
  });
});
