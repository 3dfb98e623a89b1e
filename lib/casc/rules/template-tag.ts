import { TEMPLATE_TAG_KEY } from '../../contracts';
import { child, items, scalarText } from '../../jcasc/nodes';
import type { Problem } from '../../jcasc/problem';
import type { TemplateView } from '../fleet';
import { type CascRule, finding, got, templatesOf } from './rule';

const id = 'template-tag';

function check(template: TemplateView): Problem[] {
  const description = template.description?.trim();
  // Without a description `description-unique` reports the template: there is nothing to compare.
  if (!description) return [];
  // The last such tag is the one EC2 keeps.
  const tag = items(template.get('tags'))
    .filter((t) => scalarText(child(t, 'name'))?.trim() === TEMPLATE_TAG_KEY)
    .pop();
  const valueNode = child(tag, 'value');
  const value = scalarText(valueNode)?.trim();
  if (value === description) return [];
  const loc =
    valueNode?.loc ?? child(tag, 'name')?.loc ?? tag?.loc ?? template.get('tags')?.loc ?? template.node.loc;
  return [
    finding(
      id,
      loc,
      `${template.path}.tags`,
      `tags must include '${TEMPLATE_TAG_KEY}' with the description '${description}' as value: npm run workers attributes a worker's cost to its template by it (got ${got(value)})`,
    ),
  ];
}

export const templateTag: CascRule = {
  id,
  summary: `refuses a template without the '${TEMPLATE_TAG_KEY}' tag holding its description: npm run workers attributes cost by it`,
  check: (context) => templatesOf(context).flatMap(check),
};
