/**
 * The EC2 instance type data the casc rules and the summary read. Prices are not here: they have one
 * loader and one type, in lib/cost/prices.ts, which the reaper Lambda bundles too.
 */
import instanceTypeData from '../../data/ec2-instance-types.json';

export const INSTANCE_TYPES: ReadonlySet<string> = new Set(instanceTypeData.instanceTypes);
export const GPU_FAMILIES: ReadonlySet<string> = new Set(instanceTypeData.gpuFamilies);
/** Real GPU types without a price in data/ec2-prices.json: refused with that reason, not as unknown. */
export const UNPRICED_GPU_TYPES: ReadonlySet<string> = new Set(instanceTypeData.unpricedGpuTypes);

/** `g4dn.xlarge` → `g4dn`; `p6-b200.48xlarge` → `p6-b200`. */
export function instanceFamily(instanceType: string): string {
  return instanceType.split('.')[0];
}

export function isGpuInstanceType(instanceType: string): boolean {
  return GPU_FAMILIES.has(instanceFamily(instanceType));
}

/** vCPUs of each listed GPU type: the account's GPU quotas count vCPUs, not instances. */
export const GPU_VCPUS: Readonly<Record<string, number>> = instanceTypeData.gpuVcpus;

export interface VcpuQuota {
  readonly code: string;
  readonly name: string;
}

type QuotaTable = Readonly<Record<string, readonly string[]>>;
const QUOTAS: { onDemand: QuotaTable; spot: QuotaTable } = instanceTypeData.vcpuQuotas;

/** The Service Quotas (service ec2) vCPU quota a GPU type launches under: by family letter (G and VT, P) and market. */
export function vcpuQuota(instanceType: string, spot: boolean): VcpuQuota | undefined {
  const entry = (spot ? QUOTAS.spot : QUOTAS.onDemand)[instanceType.charAt(0)];
  return entry ? { code: entry[0], name: entry[1] } : undefined;
}
