/**
 * On-demand EC2 prices from `data/ec2-prices.json`, the one place prices live and the one loader and type
 * for them. Imported as JSON so that esbuild bundles the table into the reaper Lambda, and the CLI, the
 * worker payload and the casc rules and summary read the same table. Pure: no AWS SDK, no aws-cdk-lib.
 */
import priceData from '../../data/ec2-prices.json';

export interface PriceTable {
  readonly region: string;
  readonly currency: string;
  readonly source: string;
  readonly asOf: string;
  /** Instance type → on-demand $/hour. Types not listed have an unknown price (never guessed). */
  readonly onDemandHourly: Readonly<Record<string, number>>;
}

export const PRICE_TABLE: PriceTable = priceData;

/** On-demand $/hour of an instance type, or `undefined` when the table does not list it. */
export function hourlyPrice(
  instanceType: string | undefined,
  table: PriceTable = PRICE_TABLE,
): number | undefined {
  if (!instanceType) return undefined;
  const price = table.onDemandHourly[instanceType];
  return typeof price === 'number' && Number.isFinite(price) ? price : undefined;
}
