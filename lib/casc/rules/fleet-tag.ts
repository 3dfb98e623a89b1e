import { FLEET_TAG_KEY } from '../../contracts';
import { child, items, scalarText } from '../../jcasc/nodes';
import { stackVariableReference } from '../stack-variables';
import { type CascRule, templateFinding, templatesOf } from './rule';

const id = 'fleet-tag';
/** Fleet tag value every worker must carry (IAM conditions and the reaper select on it). */
const FLEET_TAG_VALUE = stackVariableReference('FLEET_TAG_VALUE');

export const fleetTag: CascRule = {
  id,
  summary: `refuses a template without the tag '${FLEET_TAG_KEY}' = "${FLEET_TAG_VALUE}": the controller may launch, and the reaper watches, only instances with it`,
  check: (context) =>
    templatesOf(context)
      .filter((t) => {
        const tag = items(t.get('tags')).find((tag) => scalarText(child(tag, 'name')) === FLEET_TAG_KEY);
        return !tag || (scalarText(child(tag, 'value')) ?? '').trim() !== FLEET_TAG_VALUE;
      })
      .map((t) =>
        templateFinding(
          id,
          t,
          'tags',
          `tags must include '${FLEET_TAG_KEY}' with value "${FLEET_TAG_VALUE}": the controller may only launch, and the reaper only watches, instances with this stack's fleet tag`,
        ),
      ),
};
