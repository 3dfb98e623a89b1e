import { RegionInfo } from 'aws-cdk-lib/region-info';

import { INSTANCE_TYPES } from '../casc/ec2-data';
import { HOME_VOLUME_SIZE_GIB, SNAPSHOT_RETENTION_DAYS } from '../constructs/jenkins-controller';
import { vpcCidrProblem } from '../constructs/network';
import { SAFE_RESTART_MAX_WAIT_MINUTES, STACK_OUTPUTS } from '../contracts';
import { MAX_DRAIN_MINUTES } from '../controller-replacement';
import { didYouMean } from '../jcasc/did-you-mean';
import { AMI_ID, EMAIL_ADDRESS, STACK_NAME_PATTERN } from '../patterns';
import { parseIpv4Cidr } from './cidr';
import { parseResultsLocation, RESULTS_LOCATION_ALLOWED, ResultsLocation } from './results-location';
import {
  AccessSettings,
  AlbAccessSettings,
  CommonSettings,
  DEFAULT_SETTINGS,
  DeploymentSettings,
  SettingsError,
} from './settings';

type Raw = Record<string, unknown>;
type Check = (value: unknown) => boolean;
/** A setting's name as written in cdk.json: any member of any access mode too. */
type SettingName = keyof CommonSettings | keyof AlbAccessSettings;

const SOURCE = 'setting jenkinsGpu';
/** Context key of the settings object; `jenkinsGpu.<setting>` keys override one setting each. */
const CONTEXT_KEY = 'jenkinsGpu';
/** Region names aws-cdk-lib knows (offline, shipped with it). */
const REGIONS: readonly string[] = RegionInfo.regions.map((r) => r.name);

/**
 * Every setting's name, once: the compiler checks this list against the types (a setting added to them and
 * missing here, or listed here and not in them, does not build), so the unknown-setting check cannot drift.
 */
const SETTING_NAMES: Record<SettingName, true> = {
  stackName: true,
  account: true,
  region: true,
  vpcCidr: true,
  vpcId: true,
  availabilityZones: true,
  subnetIds: true,
  controllerInstanceType: true,
  jenkinsHomeSizeGiB: true,
  jenkinsHomeAvailabilityZone: true,
  snapshotRetentionDays: true,
  drainTimeoutMinutes: true,
  safeRestartMaxWaitMinutes: true,
  accessMode: true,
  allowedCidrs: true,
  certificateArn: true,
  jenkinsUrl: true,
  alertEmail: true,
  controllerAmiParameter: true,
  workerAmiParameter: true,
  workerAmiId: true,
  resultsLocation: true,
  monthlyBudgetUsd: true,
  hourlyBurnAlarmUsd: true,
};
const KNOWN_KEYS: ReadonlySet<string> = new Set(Object.keys(SETTING_NAMES));

const PATTERNS = {
  stackName: STACK_NAME_PATTERN,
  account: /^\d{12}$/,
  vpcId: /^vpc-[0-9a-f]{8,17}$/,
  subnetId: /^subnet-[0-9a-f]{8,17}$/,
  az: /^[a-z]{2,4}(-gov|-iso[a-z]*)?-[a-z]+-\d[a-z]$/,
  instanceType: /^[a-z][a-z0-9-]*\d[a-z0-9-]*\.[a-z0-9]+$/,
  acmArn: /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/,
  email: EMAIL_ADDRESS,
  ssmParameter: /^\/[A-Za-z0-9_.\-/]+$/,
  amiId: AMI_ID,
  url: /^https?:\/\/[^\s/]+(\/\S*)?$/,
};

function fail(key: string, value: unknown, allowed: string): never {
  throw new SettingsError(`${SOURCE}.${key}: invalid value ${JSON.stringify(value)} (allowed: ${allowed})`);
}

function unknownSetting(key: string): never {
  const known = [...KNOWN_KEYS].sort();
  throw new SettingsError(
    `${SOURCE}.${key}: unknown setting${didYouMean(key, known)} (allowed: ${known.join(', ')})`,
  );
}

function str(
  raw: Raw,
  key: SettingName,
  pattern: RegExp | ((value: string) => boolean),
  allowed: string,
): string | undefined {
  const value = raw[key];
  if (value === undefined || value === null || value === '') return undefined;
  const ok = typeof value === 'string' && (pattern instanceof RegExp ? pattern.test(value) : pattern(value));
  if (!ok) fail(key, value, allowed);
  return value;
}

function int(raw: Raw, key: SettingName, min: number, max: number): number | undefined {
  const value = raw[key];
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    fail(key, value, `an integer from ${min} to ${max}`);
  }
  return n;
}

function list(raw: Raw, key: SettingName, check: Check, allowed: string): string[] | undefined {
  const value = raw[key];
  if (value === undefined || value === null || value === '') return undefined;
  // `-c jenkinsGpu.allowedCidrs=a,b` arrives as a string: accept comma-separated lists too.
  const items = typeof value === 'string' ? value.split(',').map((s) => s.trim()) : value;
  if (!Array.isArray(items)) fail(key, value, `a list of ${allowed}`);
  for (const item of items) {
    if (!check(item)) fail(key, item, allowed);
  }
  return items as string[];
}

/**
 * Merge raw settings (the `jenkinsGpu` context object plus `jenkinsGpu.<key>` overrides) over the
 * defaults and validate them. Throws SettingsError naming the setting, the value and what is allowed.
 */
export function resolveSettings(raw: Raw): DeploymentSettings {
  for (const key of Object.keys(raw)) {
    if (!KNOWN_KEYS.has(key)) unknownSetting(key);
  }
  // Read in this order, so the first of several mistakes is the one reported, as it always was.
  const accessMode = raw.accessMode ?? DEFAULT_SETTINGS.accessMode;
  if (accessMode !== 'ssm' && accessMode !== 'alb') fail('accessMode', accessMode, "'ssm' or 'alb'");
  const stackAndNetwork = stackAndNetworkSettings(raw);
  const controller = controllerSettings(raw);
  const access = accessFields(raw);
  const common: CommonSettings = {
    ...stackAndNetwork,
    ...controller,
    jenkinsUrl: access.jenkinsUrl,
    ...imageAndCostSettings(raw),
  };
  checkNetwork(common);
  const s: DeploymentSettings = { ...common, ...accessSettings(accessMode, access, common) };
  checkBudget(s);
  checkJenkinsHomeZone(s);
  return s;
}

/** The stack, its account and region, and its network. */
function stackAndNetworkSettings(
  raw: Raw,
): Pick<
  CommonSettings,
  'stackName' | 'account' | 'region' | 'vpcCidr' | 'vpcId' | 'availabilityZones' | 'subnetIds'
> {
  return {
    stackName:
      str(
        raw,
        'stackName',
        PATTERNS.stackName,
        'letters, digits and hyphens, starting with a letter, at most 128',
      ) ?? DEFAULT_SETTINGS.stackName,
    account: str(raw, 'account', PATTERNS.account, 'a 12-digit AWS account id'),
    region: region(raw),
    vpcCidr: vpcCidr(raw),
    vpcId: str(raw, 'vpcId', PATTERNS.vpcId, 'a VPC id such as vpc-0123456789abcdef0'),
    availabilityZones:
      list(
        raw,
        'availabilityZones',
        (v) => typeof v === 'string' && PATTERNS.az.test(v),
        'availability zone names such as us-east-1a',
      ) ?? [],
    subnetIds:
      list(
        raw,
        'subnetIds',
        (v) => typeof v === 'string' && PATTERNS.subnetId.test(v),
        'subnet ids such as subnet-0123456789abcdef0',
      ) ?? [],
  };
}

/** The controller: instance type, JENKINS_HOME, drain and safe restart. */
function controllerSettings(
  raw: Raw,
): Pick<
  CommonSettings,
  | 'controllerInstanceType'
  | 'jenkinsHomeSizeGiB'
  | 'jenkinsHomeAvailabilityZone'
  | 'snapshotRetentionDays'
  | 'drainTimeoutMinutes'
  | 'safeRestartMaxWaitMinutes'
> {
  return {
    controllerInstanceType: controllerInstanceType(raw),
    jenkinsHomeSizeGiB:
      int(raw, 'jenkinsHomeSizeGiB', HOME_VOLUME_SIZE_GIB.min, HOME_VOLUME_SIZE_GIB.max) ??
      DEFAULT_SETTINGS.jenkinsHomeSizeGiB,
    jenkinsHomeAvailabilityZone: str(
      raw,
      'jenkinsHomeAvailabilityZone',
      PATTERNS.az,
      `an availability zone name such as us-east-1a (the stack output ${STACK_OUTPUTS.jenkinsHomeAvailabilityZone})`,
    ),
    snapshotRetentionDays:
      int(raw, 'snapshotRetentionDays', SNAPSHOT_RETENTION_DAYS.min, SNAPSHOT_RETENTION_DAYS.max) ??
      DEFAULT_SETTINGS.snapshotRetentionDays,
    drainTimeoutMinutes:
      int(raw, 'drainTimeoutMinutes', 0, MAX_DRAIN_MINUTES) ?? DEFAULT_SETTINGS.drainTimeoutMinutes,
    safeRestartMaxWaitMinutes:
      int(
        raw,
        'safeRestartMaxWaitMinutes',
        SAFE_RESTART_MAX_WAIT_MINUTES.min,
        SAFE_RESTART_MAX_WAIT_MINUTES.max,
      ) ?? DEFAULT_SETTINGS.safeRestartMaxWaitMinutes,
  };
}

/** The fields of the UI's access, each checked on its own. */
function accessFields(raw: Raw): { allowedCidrs: string[]; certificateArn?: string; jenkinsUrl?: string } {
  return {
    allowedCidrs:
      list(
        raw,
        'allowedCidrs',
        (v) => typeof v === 'string' && parseIpv4Cidr(v) !== undefined,
        'IPv4 CIDRs such as 203.0.113.0/24',
      ) ?? [],
    certificateArn: str(raw, 'certificateArn', PATTERNS.acmArn, 'an ACM certificate ARN'),
    jenkinsUrl: str(raw, 'jenkinsUrl', PATTERNS.url, 'an http(s) URL such as https://jenkins.example.com/'),
  };
}

/**
 * How users reach the UI. `alb` needs its CIDRs, its certificate and a region to match it (and two zones with
 * an existing VPC); `ssm` opens no port, so CIDRs or a certificate there are a mistake, not something to ignore.
 */
function accessSettings(
  accessMode: AccessSettings['accessMode'],
  { allowedCidrs, certificateArn }: ReturnType<typeof accessFields>,
  s: CommonSettings,
): AccessSettings {
  if (accessMode === 'ssm') {
    if (allowedCidrs.length > 0 || certificateArn) {
      throw new SettingsError(
        `${SOURCE}.accessMode: allowedCidrs and certificateArn need accessMode 'alb' (got 'ssm', which opens no inbound port)`,
      );
    }
    return { accessMode };
  }
  if (s.vpcId && new Set(s.availabilityZones).size < 2) {
    throw new SettingsError(
      `${SOURCE}.subnetIds: accessMode 'alb' needs subnets in at least two availability zones (an application load balancer spans two; got ${s.availabilityZones.join(', ')})`,
    );
  }
  if (allowedCidrs.length === 0) {
    throw new SettingsError(
      `${SOURCE}.allowedCidrs: required with accessMode 'alb' (allowed: IPv4 CIDRs such as 203.0.113.0/24; 0.0.0.0/0 only if you mean the whole internet)`,
    );
  }
  if (!certificateArn) {
    throw new SettingsError(
      `${SOURCE}.certificateArn: required with accessMode 'alb' (allowed: an ACM certificate ARN in the stack's region)`,
    );
  }
  const certRegion = certificateArn.split(':')[3];
  if (s.region !== certRegion) {
    throw new SettingsError(
      `${SOURCE}.region: must be set to the certificate's region with accessMode 'alb' (got ${JSON.stringify(s.region ?? null)}, certificate is in ${certRegion}; load balancer access logs need a concrete region)`,
    );
  }
  return { accessMode, allowedCidrs, certificateArn };
}

/** The alert address, the AMIs, the results location and the cost limits. */
function imageAndCostSettings(
  raw: Raw,
): Pick<
  CommonSettings,
  | 'alertEmail'
  | 'controllerAmiParameter'
  | 'workerAmiParameter'
  | 'workerAmiId'
  | 'resultsLocation'
  | 'monthlyBudgetUsd'
  | 'hourlyBurnAlarmUsd'
> {
  return {
    alertEmail: str(raw, 'alertEmail', PATTERNS.email, 'an e-mail address'),
    controllerAmiParameter:
      str(raw, 'controllerAmiParameter', PATTERNS.ssmParameter, 'an SSM parameter name starting with /') ??
      DEFAULT_SETTINGS.controllerAmiParameter,
    workerAmiParameter:
      str(raw, 'workerAmiParameter', PATTERNS.ssmParameter, 'an SSM parameter name starting with /') ??
      DEFAULT_SETTINGS.workerAmiParameter,
    workerAmiId: str(raw, 'workerAmiId', PATTERNS.amiId, 'an AMI id such as ami-0123456789abcdef0'),
    resultsLocation: resultsLocation(raw) ?? DEFAULT_SETTINGS.resultsLocation,
    monthlyBudgetUsd: int(raw, 'monthlyBudgetUsd', 1, 10_000_000),
    hourlyBurnAlarmUsd: int(raw, 'hourlyBurnAlarmUsd', 1, 100_000) ?? DEFAULT_SETTINGS.hourlyBurnAlarmUsd,
  };
}

function resultsLocation(raw: Raw): ResultsLocation | undefined {
  const allowed = RESULTS_LOCATION_ALLOWED;
  const uri = str(raw, 'resultsLocation', () => true, allowed);
  return uri === undefined ? undefined : (parseResultsLocation(uri) ?? fail('resultsLocation', uri, allowed));
}

function region(raw: Raw): string | undefined {
  const value = str(raw, 'region', (v) => /^[a-z0-9-]+$/.test(v), 'an AWS region name such as us-east-1');
  if (value !== undefined && !REGIONS.includes(value)) {
    fail('region', value, `an AWS region name such as us-east-1${didYouMean(value, REGIONS)}`);
  }
  return value;
}

function vpcCidr(raw: Raw): string {
  const value =
    str(raw, 'vpcCidr', () => true, 'an IPv4 CIDR such as 10.40.0.0/16') ?? DEFAULT_SETTINGS.vpcCidr;
  const problem = vpcCidrProblem(value);
  if (problem) fail('vpcCidr', raw.vpcCidr, problem);
  return value;
}

/** A Graviton family (t4g, m7g, c7gn, g5g): digits, then `g`. */
const ARM64_FAMILY = /^[a-z]+\d+g[a-z]*$/;

function controllerInstanceType(raw: Raw): string {
  const key = 'controllerInstanceType';
  const value =
    str(raw, key, PATTERNS.instanceType, 'an EC2 instance type such as t3.large') ??
    DEFAULT_SETTINGS.controllerInstanceType;
  if (!INSTANCE_TYPES.has(value)) {
    fail(
      key,
      value,
      `an EC2 instance type listed in data/ec2-instance-types.json${didYouMean(value, INSTANCE_TYPES)}; add a new type there`,
    );
  }
  const amiParameter = String(raw.controllerAmiParameter ?? DEFAULT_SETTINGS.controllerAmiParameter);
  const typeIsArm = ARM64_FAMILY.test(value.split('.')[0]);
  const amiArch = amiParameter.includes('arm64')
    ? 'arm64'
    : amiParameter.includes('x86_64')
      ? 'x86_64'
      : undefined;
  if (amiArch && typeIsArm !== (amiArch === 'arm64')) {
    fail(
      key,
      value,
      `an ${amiArch} instance type, because controllerAmiParameter names an ${amiArch} image (${amiParameter}); set both to the same architecture`,
    );
  }
  return value;
}

/** The subnets and zones agree with each other, with the region and with `vpcId`. */
function checkNetwork(s: CommonSettings): void {
  if (new Set(s.subnetIds).size !== s.subnetIds.length) {
    throw new SettingsError(`${SOURCE}.subnetIds: lists a subnet twice (got ${s.subnetIds.join(', ')})`);
  }
  const otherRegion = s.region ? s.availabilityZones.find((zone) => !zone.startsWith(s.region!)) : undefined;
  if (otherRegion) {
    throw new SettingsError(
      `${SOURCE}.availabilityZones: ${otherRegion} is not a zone of region ${s.region} (allowed: zones such as ${s.region}a)`,
    );
  }
  if (s.vpcId) {
    if (s.subnetIds.length === 0) {
      throw new SettingsError(
        `${SOURCE}.subnetIds: required with vpcId (allowed: one or more subnet ids of ${s.vpcId})`,
      );
    }
    if (s.availabilityZones.length !== s.subnetIds.length) {
      throw new SettingsError(
        `${SOURCE}.availabilityZones: must list one zone per subnet id (got ${s.availabilityZones.length} zones for ${s.subnetIds.length} subnets)`,
      );
    }
  } else if (s.subnetIds.length > 0 || s.availabilityZones.length > 0) {
    throw new SettingsError(
      `${SOURCE}.subnetIds: only allowed together with vpcId (a new VPC creates its own subnets)`,
    );
  }
}

function checkBudget(s: CommonSettings): void {
  if (s.monthlyBudgetUsd !== undefined && !s.alertEmail) {
    throw new SettingsError(
      `${SOURCE}.monthlyBudgetUsd: needs alertEmail to send budget alerts to (allowed: set alertEmail too)`,
    );
  }
}

/**
 * Read the settings from a CDK app's whole context (`app.node.getAllContext()`): the `jenkinsGpu` object
 * plus `jenkinsGpu.<key>` overrides (`-c jenkinsGpu.<key>=…`). A misspelt override is an error, as in cdk.json.
 */
export function settingsFromContext(context: Readonly<Record<string, unknown>>): DeploymentSettings {
  const base = context[CONTEXT_KEY];
  if (base !== undefined && (typeof base !== 'object' || base === null || Array.isArray(base))) {
    throw new SettingsError(`${SOURCE}: must be an object of settings (got ${JSON.stringify(base)})`);
  }
  const raw: Raw = { ...((base as Raw | undefined) ?? {}) };
  for (const [contextKey, value] of Object.entries(context)) {
    if (!contextKey.startsWith(`${CONTEXT_KEY}.`)) continue;
    const key = contextKey.slice(CONTEXT_KEY.length + 1);
    if (!KNOWN_KEYS.has(key)) unknownSetting(key);
    if (value !== undefined) raw[key] = value;
  }
  return resolveSettings(raw);
}

/**
 * JENKINS_HOME is an EBS volume in the controller subnet's zone (lib/constructs/jenkins-controller.ts), and a
 * volume cannot change zones: CloudFormation replaces it with a new, empty one (the old one is retained,
 * unattached) and the controller formats it and starts an empty Jenkins. The controller subnet is the first
 * of `subnetIds` with an existing VPC; a new VPC puts it in the region's first zone (Fn::GetAZs), which synth
 * cannot name offline and which does not change for a stack.
 */
function checkJenkinsHomeZone(s: DeploymentSettings): void {
  const home = s.jenkinsHomeAvailabilityZone;
  if (!home) return;
  const why = `JENKINS_HOME lives in ${home} (setting jenkinsHomeAvailabilityZone) and an EBS volume cannot move: the deploy would replace it with an empty one and start an empty Jenkins`;
  if (s.region && !home.startsWith(s.region)) {
    throw new SettingsError(`${SOURCE}.region: ${s.region} is not the region of ${home}: ${why}`);
  }
  if (s.vpcId && s.availabilityZones[0] !== home) {
    throw new SettingsError(
      `${SOURCE}.subnetIds: the controller's subnet (the first, ${s.subnetIds[0]}) is in ${s.availabilityZones[0]}, but ${why} (allowed: a subnet of ${home} first in subnetIds and availabilityZones; to move JENKINS_HOME, see the README, "Move JENKINS_HOME to another zone")`,
    );
  }
}
