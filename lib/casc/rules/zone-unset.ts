import { type CascRule, templateFinding, templatesOf } from './rule';

const id = 'zone-unset';

/**
 * `zone` is never sent with an on-demand launch: the plugin only adds it as an `availability-zone` filter
 * of the stopped-instance lookup (SlaveTemplate.java 2211-2219), so the subnet decides the zone and a zone
 * unlike the subnet's hides every stopped worker (the spot request path that uses it needs a bid price,
 * which `spot-no-bid-price` refuses). docs/capacity.md has the design.
 */
export const zoneUnset: CascRule = {
  id,
  summary:
    'refuses a template zone: the plugin does not launch in it, only looks for stopped workers there (the subnets decide the zone)',
  check: (context) =>
    templatesOf(context).flatMap((t) => {
      const zone = t.text('zone')?.trim();
      if (!zone) return [];
      return [
        templateFinding(
          id,
          t,
          'zone',
          `zone must not be set: the EC2 plugin does not launch in it (the subnet decides the zone) but only looks for stopped workers there (SlaveTemplate.java 2211-2219 at ec2-plugin 2059), so a zone unlike the subnet's means no stopped worker is ever restarted; remove it: workers spread over the zones of the subnets in subnetId (got "${zone}")`,
        ),
      ];
    }),
};
