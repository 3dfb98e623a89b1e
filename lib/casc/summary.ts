/** The one-line summary of a valid tree: fleet size, caps, idle stop and the worst-case $/hour. */
import { loadPrices, type PriceTable } from './ec2-data';
import { ec2Clouds, type CloudView } from './fleet';
import type { CascTree } from './nodes';

const toInt = (text: string | undefined): number | undefined =>
  text !== undefined && /^\s*\d+\s*$/.test(text) ? Number(text) : undefined;

/**
 * Most money per hour a cloud can burn: its cap filled with the most expensive templates first, each up
 * to its own cap (spot templates priced on demand: an upper bound). Undefined when a price is missing.
 */
export function maxHourlyCost(cloud: CloudView, prices: PriceTable): number | undefined {
  const cloudCap = toInt(cloud.text('instanceCapStr')) ?? Infinity;
  const slots = cloud.templates.map((t) => ({ price: prices.onDemandHourly[t.type ?? ''], cap: toInt(t.text('instanceCapStr')) ?? Infinity }));
  if (slots.some((s) => s.price === undefined)) return undefined;
  let left = cloudCap;
  let total = 0;
  for (const slot of slots.sort((a, b) => b.price - a.price)) {
    const count = Math.min(slot.cap, left);
    if (!Number.isFinite(count)) return undefined;
    total += count * slot.price;
    left -= count;
  }
  return total;
}

export function summarise(tree: CascTree, prices: PriceTable | undefined = loadPrices()): string {
  const clouds = ec2Clouds(tree);
  const templates = clouds.flatMap((c) => c.templates);
  const cloudText = clouds.map((c) => `${c.name ?? '?'} cap ${c.text('instanceCapStr') ?? 'unlimited'}`).join(', ');
  const templateText = templates
    .map((t) => `${t.description ?? '?'} ${t.type ?? '?'} cap ${t.text('instanceCapStr') ?? 'unlimited'} idle ${t.text('idleTerminationMinutes') ?? '?'} min`)
    .join(', ');
  let cost = 'no price data (data/ec2-prices.json)';
  if (prices) {
    const perCloud = clouds.map((c) => maxHourlyCost(c, prices));
    const missing = [...new Set(templates.map((t) => t.type ?? '?').filter((type) => prices.onDemandHourly[type] === undefined))];
    cost = perCloud.every((c): c is number => c !== undefined)
      ? `$${perCloud.reduce((a, b) => a + b, 0).toFixed(2)}/hour with every worker running (${prices.region} on-demand)`
      : `$/hour unknown (no price for ${missing.join(', ')} in data/ec2-prices.json)`;
  }
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  return `casc OK: ${plural(clouds.length, 'cloud')} (${cloudText || 'none'}); ${plural(templates.length, 'template')} (${templateText || 'none'}); ${cost}`;
}
