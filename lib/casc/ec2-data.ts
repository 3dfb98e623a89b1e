/** The data files the policy and the summary read: EC2 instance type names and on-demand prices. */
import * as fs from 'fs';
import * as path from 'path';

import instanceTypeData from '../../data/ec2-instance-types.json';

export const INSTANCE_TYPES: ReadonlySet<string> = new Set(instanceTypeData.instanceTypes);
export const GPU_FAMILIES: ReadonlySet<string> = new Set(instanceTypeData.gpuFamilies);

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
  return { region: data.region ?? 'us-east-1', currency: data.currency ?? 'USD', onDemandHourly: data.onDemandHourly };
}
