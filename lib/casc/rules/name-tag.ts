import { child, items, scalarText } from '../../jcasc/nodes';
import { type CascRule, templateFinding, templatesOf } from './rule';

const id = 'name-tag';

export const nameTag: CascRule = {
  id,
  summary:
    "refuses a template without a non-empty 'Name' tag: the plugin never sets one, and people find workers by it",
  check: (context) =>
    templatesOf(context)
      .filter(
        (t) =>
          !items(t.get('tags')).some(
            (tag) =>
              scalarText(child(tag, 'name')) === 'Name' &&
              (scalarText(child(tag, 'value')) ?? '').trim() !== '',
          ),
      )
      .map((t) =>
        templateFinding(
          id,
          t,
          'tags',
          "tags must include a 'Name' tag (e.g. managed-by-jenkins): the plugin never sets one",
        ),
      ),
};
