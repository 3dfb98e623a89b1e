import { LAUNCH_TAG_KEYS, RESERVED_TAG_PREFIX } from '../../contracts';
import { child, items, scalarText } from '../../jcasc/nodes';
import type { Problem } from '../../jcasc/problem';
import type { TemplateView } from '../fleet';
import { type CascRule, finding, templatesOf } from './rule';

const id = 'reserved-tags';

/**
 * Tag keys the EC2 plugin sets itself and counts caps by (ec2-plugin 2059.v05f9d511d7e5, EC2Tag.java 42-46;
 * docs/capacity.md).
 */
const PLUGIN_TAG_KEYS: ReadonlySet<string> = new Set([
  'jenkins_slave_type',
  'jenkins_server_url',
  'jenkins_cloud_name',
]);
function whyReserved(name: string): string | undefined {
  // The project's keys: a template writes only the launch keys (the fleet and template tags).
  if (name.startsWith(RESERVED_TAG_PREFIX) && !LAUNCH_TAG_KEYS.includes(name))
    return `tag '${name}' is reserved: the project's cost guard owns jenkins-gpu:* tags (lib/contracts.ts); use another key`;
  if (PLUGIN_TAG_KEYS.has(name))
    return `tag '${name}' is reserved: the EC2 plugin sets it and counts caps by it; use another key`;
  return undefined;
}

function check(template: TemplateView): Problem[] {
  return items(template.get('tags')).flatMap((tag, i) => {
    const nameNode = child(tag, 'name');
    const message = whyReserved(scalarText(nameNode)?.trim() ?? '');
    return message
      ? [finding(id, nameNode?.loc ?? tag.loc, `${template.path}.tags[${i}].name`, message)]
      : [];
  });
}

export const reservedTags: CascRule = {
  id,
  summary:
    "refuses template tags the project's cost guard (jenkins-gpu:* but the fleet and template tags) or the EC2 plugin (caps count by them) own",
  check: (context) => templatesOf(context).flatMap(check),
};
