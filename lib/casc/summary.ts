/** The one-line summary of a valid tree: effective capacity, caps, idle stop, worst-case $/hour and the vCPU quotas. */
import { PRICE_TABLE, type PriceTable } from '../cost/prices';
import type { CascTree } from '../jcasc/nodes';
import { type CloudView, ec2Clouds, type Fleet, type FleetTemplate } from './fleet';
import { capacityOf, DEFAULT_HOURLY_BURN_ALARM_USD, maxHourlyCost, quotaNeeds } from './fleet-arithmetic';

function cloudText(cloud: CloudView): string {
  const capacity = capacityOf(cloud);
  if (!capacity) return `${cloud.name ?? '?'}: caps unknown`;
  return `${cloud.name ?? '?'}: at most ${capacity.effective} running = min(cloud cap ${capacity.cloudCap}, templates ${capacity.templateCaps.join(' + ')})`;
}

const capText = (t: FleetTemplate): string => (Number.isFinite(t.cap) ? String(t.cap) : 'unlimited');

/** `tree` gives the capacity and cost rules their views; the template figures come from `fleet`. */
export function summarise(
  tree: CascTree,
  fleet: Fleet,
  prices: PriceTable | undefined = PRICE_TABLE,
  hourlyBurnAlarmUsd: number = DEFAULT_HOURLY_BURN_ALARM_USD,
): string {
  const clouds = ec2Clouds(tree);
  const templates = fleet.templates;
  const templateText = templates
    .map(
      (t) => `${t.description ?? '?'} ${t.instanceType ?? '?'} cap ${capText(t)} idle ${t.idleMinutes} min`,
    )
    .join(', ');
  let cost = 'no price data (data/ec2-prices.json)';
  if (prices) {
    const perCloud = clouds.map((c) => maxHourlyCost(c, prices));
    const missing = [
      ...new Set(
        templates
          .map((t) => t.instanceType ?? '?')
          .filter((type) => prices.onDemandHourly[type] === undefined),
      ),
    ];
    cost = perCloud.every((c): c is number => c !== undefined)
      ? `$${perCloud.reduce((a, b) => a + b, 0).toFixed(2)}/hour with every worker running (${prices.region} on-demand; burn alarm at $${hourlyBurnAlarmUsd}/hour)`
      : `$/hour unknown (no price for ${missing.join(', ')} in data/ec2-prices.json)`;
  }
  const quotas = quotaNeeds(clouds);
  const quotaText = quotas.length ? `; vCPU quota needed: ${quotas.join(', ')}` : '';
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  return (
    `casc OK: ${plural(clouds.length, 'cloud')} (${clouds.map(cloudText).join(', ') || 'none'}); ` +
    `${plural(templates.length, 'template')} (${templateText || 'none'}); ${cost}${quotaText}`
  );
}
