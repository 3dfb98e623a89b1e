/**
 * Fleet numbers a user can trust: how many workers can really run (the cloud cap and the templates' caps
 * both bound it), the worst-case $/hour against the burn alarm, and the vCPU quotas the account needs.
 */
import { GPU_VCPUS, vcpuQuota, type PriceTable } from './ec2-data';
import type { CloudView, TemplateView } from './fleet';
import { problemAt, type Problem } from '../jcasc/problem';

/** Default of the deployment setting `hourlyBurnAlarmUsd` (lib/settings/settings.ts). */
export const DEFAULT_HOURLY_BURN_ALARM_USD = 10;

const POSITIVE_INTEGER = /^[1-9]\d*$/;
const JAVA_INT_MAX = 2_147_483_647;
const capOf = (view: CloudView | TemplateView): number | undefined => {
  const text = view.text('instanceCapStr');
  return text !== undefined && POSITIVE_INTEGER.test(text) && Number(text) <= JAVA_INT_MAX
    ? Number(text)
    : undefined;
};

export interface Capacity {
  readonly cloudCap: number;
  readonly templateCaps: number[];
  /** At most this many workers run at once: min(cloud cap, sum of template caps). */
  readonly effective: number;
}

/** Undefined while a cap is not a positive integer (the policy reports it). */
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

const isSpot = (t: TemplateView): boolean => t.get('spotConfig') !== undefined;

/** vCPUs each quota must allow with the fleet full: `8 of L-DB2E81BA (Running On-Demand G and VT instances)`. */
export function quotaNeeds(clouds: readonly CloudView[]): string[] {
  const needs = new Map<string, { name: string; vcpus: number }>();
  for (const cloud of clouds) {
    const codes = new Set(
      cloud.templates.map((t) => vcpuQuota(t.type ?? '', isSpot(t))?.code).filter((c): c is string => !!c),
    );
    for (const code of codes) {
      const inQuota = (t: TemplateView): boolean => vcpuQuota(t.type ?? '', isSpot(t))?.code === code;
      const vcpus = worstCase(cloud, (t) => GPU_VCPUS[t.type ?? ''], inQuota);
      const name = cloud.templates
        .map((t) => vcpuQuota(t.type ?? '', isSpot(t)))
        .find((q) => q?.code === code)!.name;
      if (vcpus !== undefined) needs.set(code, { name, vcpus: (needs.get(code)?.vcpus ?? 0) + vcpus });
    }
  }
  return [...needs].map(([code, { name, vcpus }]) => `${vcpus} of ${code} (${name})`);
}

export interface FleetArithmeticOptions {
  /** The deployment setting `hourlyBurnAlarmUsd`. @default 10 */
  readonly hourlyBurnAlarmUsd?: number;
}

/** Warnings: a cloud cap the templates cannot reach, and a full fleet that sets off the burn alarm. */
export function checkFleetArithmetic(
  clouds: readonly CloudView[],
  prices: PriceTable | undefined,
  options: FleetArithmeticOptions = {},
): Problem[] {
  const problems: Problem[] = [];
  const alarm = options.hourlyBurnAlarmUsd ?? DEFAULT_HOURLY_BURN_ALARM_USD;
  for (const cloud of clouds) {
    const capacity = capacityOf(cloud);
    if (!capacity) continue;
    const loc = cloud.get('instanceCapStr')!.loc;
    const path = `${cloud.path}.instanceCapStr`;
    const sum = capacity.templateCaps.reduce((a, b) => a + b, 0);
    if (capacity.cloudCap > sum) {
      problems.push(
        problemAt(
          loc,
          path,
          `cloud instanceCapStr ${capacity.cloudCap} is above the templates' caps together (${capacity.templateCaps.join(' + ')} = ${sum}): at most ${sum} workers run; raise a template's instanceCapStr too`,
          'warning',
        ),
      );
    }
    const cost = prices ? maxHourlyCost(cloud, prices) : undefined;
    if (cost !== undefined && cost > alarm) {
      problems.push(
        problemAt(
          loc,
          path,
          `with all ${capacity.effective} workers running the fleet costs $${cost.toFixed(2)}/hour, above the burn alarm's $${alarm}/hour (setting hourlyBurnAlarmUsd): a full fleet sets it off; lower the caps or raise the setting`,
          'warning',
        ),
      );
    }
  }
  return problems;
}
