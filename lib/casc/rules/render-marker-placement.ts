import { walkScalars } from '../../jcasc/nodes';
import type { Problem } from '../../jcasc/problem';
import { RENDER_PREFIX } from './render-script';
import { type CascRule, finding } from './rule';

const id = 'render-marker-placement';
const RENDERED_AT = /^jenkins\.clouds\[\d+\]\.amazonEC2\.templates\[\d+\]\.(userData|initScript)$/;

export const renderMarkerPlacement: CascRule = {
  id,
  summary: `refuses ${RENDER_PREFIX} anywhere but an EC2 template's userData and initScript: elsewhere Jenkins gets the literal text`,
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
          `${RENDER_PREFIX} is rendered only in an EC2 template's userData and initScript; here Jenkins would get the text "${scalar.value}"`,
        ),
      );
    });
    return problems;
  },
};
