import { capacityOf, maxHourlyCost } from '../fleet-arithmetic';
import { type CascRule, finding } from './rule';

const id = 'burn-alarm';

export const burnAlarm: CascRule = {
  id,
  summary:
    "warns when the fleet's worst-case $/hour with every worker running is above the burn alarm (setting hourlyBurnAlarmUsd)",
  check: ({ clouds, prices, hourlyBurnAlarmUsd: alarm }) =>
    clouds.flatMap((cloud) => {
      const capacity = capacityOf(cloud);
      const cost = capacity && prices ? maxHourlyCost(cloud, prices) : undefined;
      if (!capacity || cost === undefined || cost <= alarm) return [];
      return [
        finding(
          id,
          cloud.get('instanceCapStr')!.loc,
          `${cloud.path}.instanceCapStr`,
          `with all ${capacity.effective} workers running the fleet costs $${cost.toFixed(2)}/hour, above the burn alarm's $${alarm}/hour (setting hourlyBurnAlarmUsd): a full fleet sets it off; lower the caps or raise the setting`,
          'warning',
        ),
      ];
    }),
};
