import { capacityOf } from '../fleet-arithmetic';
import { type CascRule, finding } from './rule';

const id = 'cloud-cap-reachable';

export const cloudCapReachable: CascRule = {
  id,
  summary:
    "warns about a cloud instanceCapStr above the templates' caps together: fewer workers run than it says",
  check: ({ clouds }) =>
    clouds.flatMap((cloud) => {
      const capacity = capacityOf(cloud);
      if (!capacity) return [];
      const sum = capacity.templateCaps.reduce((a, b) => a + b, 0);
      if (capacity.cloudCap <= sum) return [];
      return [
        finding(
          id,
          cloud.get('instanceCapStr')!.loc,
          `${cloud.path}.instanceCapStr`,
          `cloud instanceCapStr ${capacity.cloudCap} is above the templates' caps together (${capacity.templateCaps.join(' + ')} = ${sum}): at most ${sum} workers run; raise a template's instanceCapStr too`,
          'warning',
        ),
      ];
    }),
};
