/** The data files the casc rules and the summary read: EC2 instance type names and on-demand prices. */
import * as fs from 'fs';
import * as path from 'path';

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

export interface PriceTable {
  readonly region: string;
  readonly currency: string;
  readonly onDemandHourly: Readonly<Record<string, number>>;
}

export const DEFAULT_PRICES_FILE = path.resolve(__dirname, '../../data/ec2-prices.json');

/** Prices are owned by the cost guard (`data/ec2-prices.json`); a missing file only loses the $ figure. */
export function loadPrices(file: string = DEFAULT_PRICES_FILE): PriceTable | undefined {
  if (!fs.existsSync(file)) return undefined;
  const data = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<PriceTable>;
  if (!data.onDemandHourly) return undefined;
  return {
    region: data.region ?? 'us-east-1',
    currency: data.currency ?? 'USD',
    onDemandHourly: data.onDemandHourly,
  };
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
