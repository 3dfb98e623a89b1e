import { SettingsError } from '../../lib/settings/settings';
import { resolveSettings, settingsFromContext } from '../../lib/settings/validate-settings';

describe('safeRestartMaxWaitMinutes', () => {
  it('lets an upgrade wait an hour for running builds by default', () => {
    expect(resolveSettings({}).safeRestartMaxWaitMinutes).toBe(60);
  });

  it('takes 5 up to 1440 (a day), also as a -c string', () => {
    expect(resolveSettings({ safeRestartMaxWaitMinutes: 5 }).safeRestartMaxWaitMinutes).toBe(5);
    expect(resolveSettings({ safeRestartMaxWaitMinutes: 1440 }).safeRestartMaxWaitMinutes).toBe(1440);
    const fromCli = settingsFromContext({ 'jenkinsGpu.safeRestartMaxWaitMinutes': '90' });
    expect(fromCli.safeRestartMaxWaitMinutes).toBe(90);
  });

  it.each([4, 1441, 0, 2.5, 'forever'])('rejects %p with the allowed range', (value) => {
    expect(() => resolveSettings({ safeRestartMaxWaitMinutes: value })).toThrow(SettingsError);
    expect(() => resolveSettings({ safeRestartMaxWaitMinutes: value })).toThrow(
      `setting jenkinsGpu.safeRestartMaxWaitMinutes: invalid value ${JSON.stringify(value)} (allowed: an integer from 5 to 1440)`,
    );
  });
});
