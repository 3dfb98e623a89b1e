/**
 * What the controller's EC2 plugin may launch, derived from the validated Fleet (pure: no CDK). The worker-fleet
 * construct turns this into RunInstances conditions (ec2:InstanceType, image and subnet resources), so a
 * new instance type in the YAML is allowed by the next deploy and nothing else is.
 */
import type { Fleet } from './fleet';

export interface WorkerLaunchScope {
  /** Sorted, unique `type` values of every template. */
  readonly instanceTypes: string[];
  /** Whether any template is a spot template (`isSpotTemplate`: needs the spot market options / spot request actions). */
  readonly usesSpot: boolean;
  /** Sorted, unique template descriptions. */
  readonly templateDescriptions: string[];
  /** Sorted, unique `ami` values: `${WORKER_AMI_ID}` or literal `ami-…` ids. */
  readonly amiRefs: string[];
  /** Sorted, unique subnet references: `subnetId` split on spaces, commas and semicolons, as the plugin does. */
  readonly subnetRefs: string[];
  /** Sorted, unique `securityGroups` entries (comma separated in the YAML). */
  readonly securityGroupRefs: string[];
  /** Sorted, unique `iamInstanceProfile` values (what iam:PassRole must cover). */
  readonly instanceProfileRefs: string[];
  /**
   * The EBS volumes `customDeviceMapping` asks for, when every template sets it (RunInstances is then bound
   * to these): the largest size and the volume types. Undefined when a template leaves the mapping to the AMI.
   */
  readonly volumes?: { readonly maxSizeGiB: number; readonly types: string[] };
}

const sortedUnique = (values: Array<string | undefined>): string[] =>
  [...new Set(values.map((v) => v?.trim()).filter((v): v is string => !!v))].sort();

export function deriveWorkerLaunchScope(fleet: Fleet): WorkerLaunchScope {
  const templates = fleet.templates;
  return {
    instanceTypes: sortedUnique(templates.map((t) => t.instanceType)),
    usesSpot: templates.some((t) => t.spot),
    templateDescriptions: sortedUnique(templates.map((t) => t.description)),
    amiRefs: sortedUnique(templates.map((t) => t.ami)),
    subnetRefs: sortedUnique(templates.flatMap((t) => t.subnetIds)),
    securityGroupRefs: sortedUnique(templates.flatMap((t) => t.securityGroups)),
    instanceProfileRefs: sortedUnique(templates.map((t) => t.iamInstanceProfile)),
    volumes: volumeBounds(templates.map((t) => t.customDeviceMapping)),
  };
}

/**
 * Sizes and types of `customDeviceMapping` values (`/dev/sda1=snapshot:size:delete:type:iops:encrypted,…`,
 * the plugin's DeviceMappingParser format); undefined unless every mapping names a size and a type.
 */
export function volumeBounds(mappings: Array<string | undefined>): WorkerLaunchScope['volumes'] {
  const devices = mappings.map((m) => (m ?? '').split(',').filter((d) => d.trim() !== ''));
  if (devices.length === 0 || devices.some((d) => d.length === 0)) return undefined;
  const specs = devices.flat().map((d) => (d.split('=')[1] ?? '').split(':'));
  const sizes = specs.map((f) => Number(f[1]));
  const types = specs.map((f) => (f[3] ?? '').trim());
  if (sizes.some((n) => !Number.isInteger(n) || n <= 0) || types.some((t) => t === '')) return undefined;
  return { maxSizeGiB: Math.max(...sizes), types: sortedUnique(types) };
}
