import {
  DEFAULT_CONTROLLER_BOOT_MINUTES,
  DRAIN_HANDOVER_MINUTES,
  MAX_DRAIN_MINUTES,
  MAX_ROLLING_UPDATE_PAUSE_MINUTES,
  terminationHoldMinutes,
} from '../../lib/controller-replacement';
import { SettingsError } from '../../lib/settings/settings';
import { resolveSettings, settingsFromContext } from '../../lib/settings/validate-settings';

describe('drainTimeoutMinutes', () => {
  it('gives running builds 20 minutes by default', () => {
    expect(resolveSettings({}).drainTimeoutMinutes).toBe(20);
  });

  it('takes 0 (replace without waiting) up to 25, also as a -c string', () => {
    expect(resolveSettings({ drainTimeoutMinutes: 0 }).drainTimeoutMinutes).toBe(0);
    expect(resolveSettings({ drainTimeoutMinutes: 25 }).drainTimeoutMinutes).toBe(25);
    const fromCli = settingsFromContext({ 'jenkinsGpu.drainTimeoutMinutes': '7' });
    expect(fromCli.drainTimeoutMinutes).toBe(7);
  });

  it.each([26, -1, 2.5, 'soon'])('rejects %p with the allowed range', (value) => {
    expect(() => resolveSettings({ drainTimeoutMinutes: value })).toThrow(SettingsError);
    expect(() => resolveSettings({ drainTimeoutMinutes: value })).toThrow(
      `setting jenkinsGpu.drainTimeoutMinutes: invalid value ${JSON.stringify(value)} (allowed: an integer from 0 to 25)`,
    );
  });
});

describe('controller replacement timing', () => {
  // CloudFormation waits at most PauseTime for the new controller, and PauseTime is at most PT1H
  // (aws-cdk-lib core/lib/cfn-resource-policy.d.ts): the longest drain, its hand-over and a boot fit in it.
  it('fits the longest drain and a default boot into the rolling update hour', () => {
    expect(MAX_ROLLING_UPDATE_PAUSE_MINUTES).toBe(60);
    expect(terminationHoldMinutes(MAX_DRAIN_MINUTES) + DEFAULT_CONTROLLER_BOOT_MINUTES).toBe(60);
  });

  it('holds a terminating controller for the drain plus the hand-over, not at all without a drain', () => {
    expect(terminationHoldMinutes(20)).toBe(20 + DRAIN_HANDOVER_MINUTES);
    expect(terminationHoldMinutes(0)).toBe(0);
  });
});
