/**
 * Fleet numbers a user can trust: how many workers can really run (the cloud cap and the templates' caps
 * both bound it), the worst-case $/hour the burn alarm is compared with, the vCPU quotas the account needs,
 * and the stopped workers a cloud can leave behind. The rules that warn on them are in lib/casc/rules.
 */
import type { PriceTable } from '../cost/prices';
import { GPU_VCPUS, vcpuQuota } from './ec2-data';
import { type CloudView, isSpotTemplate, readCap, stopsOnTerminate, type TemplateView } from './fleet';

/** Default of the deployment setting `hourlyBurnAlarmUsd` (lib/settings/settings.ts). */
export const DEFAULT_HOURLY_BURN_ALARM_USD = 10;

/** A cap the arithmetic can use: a positive Java int (rule `instance-cap` reports every other reading). */
const capOf = (view: CloudView | TemplateView): number | undefined => {
  const reading = readCap(view.text('instanceCapStr'));
  return reading.kind === 'cap' ? reading.value : undefined;
};

export interface Capacity {
  readonly cloudCap: number;
  readonly templateCaps: number[];
  /** At most this many workers run at once: min(cloud cap, sum of template caps). */
  readonly effective: number;
}

/** Undefined while a cap is not a positive integer (rule `instance-cap` reports it). */
export function capacityOf(cloud: CloudView): Capacity | undefined {
  const cloudCap = capOf(cloud);
  const templateCaps = cloud.templates.map(capOf);
  if (cloudCap === undefined || templateCaps.length === 0 || templateCaps.some((c) => c === undefined))
    return undefined;
  const caps = templateCaps as number[];
  return {
    cloudCap,
    templateCaps: caps,
    effective: Math.min(
      cloudCap,
      caps.reduce((a, b) => a + b, 0),
    ),
  };
}

/** The cloud cap filled greedily by `weight` (highest first), each template up to its own cap. */
function worstCase(
  cloud: CloudView,
  weight: (t: TemplateView) => number | undefined,
  only: (t: TemplateView) => boolean = () => true,
): number | undefined {
  const capacity = capacityOf(cloud);
  if (!capacity) return undefined;
  const slots = cloud.templates
    .map((t, i) => ({ t, weight: weight(t), cap: capacity.templateCaps[i] }))
    .filter((s) => only(s.t));
  if (slots.some((s) => s.weight === undefined)) return undefined;
  let left = capacity.cloudCap;
  let total = 0;
  for (const slot of slots.sort((a, b) => b.weight! - a.weight!)) {
    const count = Math.min(slot.cap, left);
    total += count * slot.weight!;
    left -= count;
  }
  return total;
}

/** Most money per hour the cloud can burn (spot priced on demand: an upper bound). */
export function maxHourlyCost(cloud: CloudView, prices: PriceTable): number | undefined {
  return worstCase(cloud, (t) => prices.onDemandHourly[t.type ?? '']);
}

/** vCPUs each quota must allow with the fleet full: `8 of L-DB2E81BA (Running On-Demand G and VT instances)`. */
export function quotaNeeds(clouds: readonly CloudView[]): string[] {
  const needs = new Map<string, { name: string; vcpus: number }>();
  for (const cloud of clouds) {
    const codes = new Set(
      cloud.templates
        .map((t) => vcpuQuota(t.type ?? '', isSpotTemplate(t))?.code)
        .filter((c): c is string => !!c),
    );
    for (const code of codes) {
      const inQuota = (t: TemplateView): boolean => vcpuQuota(t.type ?? '', isSpotTemplate(t))?.code === code;
      const vcpus = worstCase(cloud, (t) => GPU_VCPUS[t.type ?? ''], inQuota);
      const name = cloud.templates
        .map((t) => vcpuQuota(t.type ?? '', isSpotTemplate(t)))
        .find((q) => q?.code === code)!.name;
      if (vcpus !== undefined) needs.set(code, { name, vcpus: (needs.get(code)?.vcpus ?? 0) + vcpus });
    }
  }
  return [...needs].map(([code, { name, vcpus }]) => `${vcpus} of ${code} (${name})`);
}

/**
 * Most stopped workers the cloud can leave behind, each keeping its root volume: per stop-on-idle template,
 * its cap times its subnets. The plugin launches a new worker in a subnet only after it has restarted every
 * stopped one there that matches (SlaveTemplate.java 2395-2413), and caps count running, pending and
 * stopping workers (EC2Cloud.java 780), so one template never holds more than its cap in one subnet (bursts
 * inside the plugin's 30 s count cache aside, EC2Cloud.java 173). Spot templates terminate and leave none.
 * Undefined while a cap is not a positive integer (rule `instance-cap` reports it).
 */
export function stoppedWorkersBound(cloud: CloudView, subnetsPerTemplate: number): number | undefined {
  const capacity = capacityOf(cloud);
  if (!capacity) return undefined;
  return cloud.templates.reduce(
    (total, t, i) => (stopsOnTerminate(t) ? total + capacity.templateCaps[i] * subnetsPerTemplate : total),
    0,
  );
}
