import { DEFAULT_SETTINGS, SettingsError } from '../../lib/settings/settings';
import { resolveSettings, settingsFromContext } from '../../lib/settings/validate-settings';

describe('resolveSettings', () => {
  it('fills every default when nothing is set', () => {
    expect(resolveSettings({})).toEqual({ ...DEFAULT_SETTINGS });
  });

  it.each([
    [
      { controllerInstanceType: 'huge' },
      'setting jenkinsGpu.controllerInstanceType: invalid value "huge" (allowed: an EC2 instance type such as t3.large)',
    ],
    [{ accessMode: 'vpn' }, "setting jenkinsGpu.accessMode: invalid value \"vpn\" (allowed: 'ssm' or 'alb')"],
    [
      { jenkinsHomeSizeGiB: 5 },
      'setting jenkinsGpu.jenkinsHomeSizeGiB: invalid value 5 (allowed: an integer from 20 to 16384)',
    ],
    [
      { snapshotRetentionDays: 'seven' },
      'setting jenkinsGpu.snapshotRetentionDays: invalid value "seven" (allowed: an integer from 1 to 3650)',
    ],
    [
      { region: 'mars-1' },
      'setting jenkinsGpu.region: invalid value "mars-1" (allowed: an AWS region name such as us-east-1)',
    ],
    [
      { account: '1234' },
      'setting jenkinsGpu.account: invalid value "1234" (allowed: a 12-digit AWS account id)',
    ],
    [
      { vpcCidr: '10.0.0.0/33' },
      'setting jenkinsGpu.vpcCidr: invalid value "10.0.0.0/33" (allowed: an IPv4 CIDR such as 10.40.0.0/16)',
    ],
    [
      { alertEmail: 'nobody' },
      'setting jenkinsGpu.alertEmail: invalid value "nobody" (allowed: an e-mail address)',
    ],
    [
      { resultsLocation: 'ftp://x' },
      'setting jenkinsGpu.resultsLocation: invalid value "ftp://x" (allowed: a gs:// or s3:// location)',
    ],
    [
      { instanceType: 't3.large' },
      /^setting jenkinsGpu\.instanceType: unknown setting \(allowed: .*controllerInstanceType/,
    ],
  ])('rejects %j', (raw, message) => {
    expect(() => resolveSettings(raw)).toThrow(SettingsError);
    expect(() => resolveSettings(raw)).toThrow(message);
  });

  it('rejects a bad CIDR inside allowedCidrs, naming the item', () => {
    expect(() =>
      resolveSettings({ accessMode: 'alb', allowedCidrs: ['203.0.113.0/24', '300.1.1.1/32'] }),
    ).toThrow(
      'setting jenkinsGpu.allowedCidrs: invalid value "300.1.1.1/32" (allowed: IPv4 CIDRs such as 203.0.113.0/24)',
    );
  });

  it('requires allowed CIDRs and a certificate for the load balancer', () => {
    expect(() => resolveSettings({ accessMode: 'alb' })).toThrow(
      "setting jenkinsGpu.allowedCidrs: required with accessMode 'alb'",
    );
    expect(() => resolveSettings({ accessMode: 'alb', allowedCidrs: '198.51.100.0/24' })).toThrow(
      "setting jenkinsGpu.certificateArn: required with accessMode 'alb'",
    );
  });

  it('refuses load-balancer settings in ssm mode instead of silently ignoring them', () => {
    expect(() => resolveSettings({ allowedCidrs: ['198.51.100.0/24'] })).toThrow(
      "setting jenkinsGpu.accessMode: allowedCidrs and certificateArn need accessMode 'alb'",
    );
  });

  it('accepts a complete load-balancer configuration, lists given as comma-separated strings', () => {
    const arn = 'arn:aws:acm:us-east-1:123456789012:certificate/0f0e0d0c-0b0a-0908-0706-050403020100';
    expect(() =>
      resolveSettings({ accessMode: 'alb', allowedCidrs: '198.51.100.0/24', certificateArn: arn }),
    ).toThrow(
      "setting jenkinsGpu.region: must be set to the certificate's region with accessMode 'alb' (got null, certificate is in us-east-1",
    );
    const s = resolveSettings({
      accessMode: 'alb',
      region: 'us-east-1',
      allowedCidrs: '198.51.100.0/24, 203.0.113.7/32',
      certificateArn: arn,
    });
    expect(s.allowedCidrs).toEqual(['198.51.100.0/24', '203.0.113.7/32']);
    expect(s.certificateArn).toBe(arn);
  });

  it('needs subnets and one zone per subnet with an existing VPC', () => {
    expect(() => resolveSettings({ vpcId: 'vpc-0123456789abcdef0' })).toThrow(
      'setting jenkinsGpu.subnetIds: required with vpcId',
    );
    expect(() =>
      resolveSettings({
        vpcId: 'vpc-0123456789abcdef0',
        subnetIds: ['subnet-0123456789abcdef0'],
        availabilityZones: [],
      }),
    ).toThrow(
      'setting jenkinsGpu.availabilityZones: must list one zone per subnet id (got 0 zones for 1 subnets)',
    );
    expect(() => resolveSettings({ subnetIds: ['subnet-0123456789abcdef0'] })).toThrow(
      'setting jenkinsGpu.subnetIds: only allowed together with vpcId',
    );
  });

  it('needs an alert e-mail for a budget', () => {
    expect(() => resolveSettings({ monthlyBudgetUsd: 500 })).toThrow(
      'setting jenkinsGpu.monthlyBudgetUsd: needs alertEmail',
    );
    expect(resolveSettings({ monthlyBudgetUsd: '500', alertEmail: 'ml@example.com' }).monthlyBudgetUsd).toBe(
      500,
    );
  });
});

describe('settingsFromContext', () => {
  it('applies jenkinsGpu.<key> overrides over the jenkinsGpu object', () => {
    const context: Record<string, unknown> = {
      jenkinsGpu: { controllerInstanceType: 't3.large', jenkinsHomeSizeGiB: 100 },
      'jenkinsGpu.controllerInstanceType': 'm7i.xlarge',
    };
    const s = settingsFromContext((key) => context[key]);
    expect(s.controllerInstanceType).toBe('m7i.xlarge');
    expect(s.jenkinsHomeSizeGiB).toBe(100);
  });

  it('rejects a jenkinsGpu context that is not an object', () => {
    expect(() => settingsFromContext((key) => (key === 'jenkinsGpu' ? 'big' : undefined))).toThrow(
      'setting jenkinsGpu: must be an object of settings (got "big")',
    );
  });
});
