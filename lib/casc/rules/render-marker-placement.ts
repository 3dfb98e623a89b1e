import { RENDER_PREFIX, RENDERED_KEYS } from '../../bundle/build-bundle';
import { walkScalars } from '../../jcasc/nodes';
import type { Problem } from '../../jcasc/problem';
import { type CascRule, finding } from './rule';

const id = 'render-marker-placement';
/** The template paths the bundle renders a marker at: one of {@link RENDERED_KEYS} (plain identifiers). */
const RENDERED_AT = new RegExp(
  `^jenkins\\.clouds\\[\\d+\\]\\.amazonEC2\\.templates\\[\\d+\\]\\.(${RENDERED_KEYS.join('|')})$`,
);
const RENDERED_KEYS_TEXT = RENDERED_KEYS.join(' and ');

export const renderMarkerPlacement: CascRule = {
  id,
  summary: `refuses ${RENDER_PREFIX} anywhere but an EC2 template's ${RENDERED_KEYS_TEXT}: elsewhere Jenkins gets the literal text`,
  check: ({ tree }) => {
    const problems: Problem[] = [];
    walkScalars(tree.root, '', (scalar, path) => {
      if (typeof scalar.value !== 'string' || !scalar.value.startsWith(RENDER_PREFIX)) return;
      if (RENDERED_AT.test(path)) return;
      problems.push(
        finding(
          id,
          scalar.loc,
          path,
          `${RENDER_PREFIX} is rendered only in an EC2 template's ${RENDERED_KEYS_TEXT}; here Jenkins would get the text "${scalar.value}"`,
        ),
      );
    });
    return problems;
  },
};
