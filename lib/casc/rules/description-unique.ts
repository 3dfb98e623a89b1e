import type { Loc } from '../../jcasc/nodes';
import type { Problem } from '../../jcasc/problem';
import { type CascRule, templateFinding, templatesOf } from './rule';

const id = 'description-unique';

/** The description is the template's identity: the template tag, `npm run workers` and the summary use it. */
export const descriptionUnique: CascRule = {
  id,
  summary:
    "refuses a template without a description or with one another template has: it is the template's identity",
  check: (context) => {
    const seen = new Map<string, Loc>();
    const problems: Problem[] = [];
    for (const template of templatesOf(context)) {
      const description = template.description?.trim();
      const loc = template.get('description')?.loc ?? template.node.loc;
      if (!description)
        problems.push(
          templateFinding(
            id,
            template,
            'description',
            "description must be set: it is the template's identity (keep it stable and unique)",
          ),
        );
      else if (seen.has(description)) {
        const first = seen.get(description)!;
        problems.push(
          templateFinding(
            id,
            template,
            'description',
            `duplicate template description '${description}' (first at line ${first.line} of ${first.file})`,
          ),
        );
      } else seen.set(description, loc);
    }
    return problems;
  },
};
