import { type CascRule, finding } from './rule';

const id = 'templates-required';

export const templatesRequired: CascRule = {
  id,
  summary:
    'refuses a cloud without templates: it launches nothing, and the controller may launch only the types templates name',
  check: ({ clouds }) =>
    clouds
      .filter((cloud) => cloud.templates.length === 0)
      .map((cloud) =>
        finding(
          id,
          cloud.get('templates')?.loc ?? cloud.node.loc,
          `${cloud.path}.templates`,
          'templates must list at least one template: a cloud without one launches nothing, and the controller may only launch the instance types templates name (got none)',
        ),
      ),
};
