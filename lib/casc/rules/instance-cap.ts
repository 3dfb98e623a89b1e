import { type CascNode, type Loc, scalarText } from '../../jcasc/nodes';
import type { Problem } from '../../jcasc/problem';
import { JAVA_INT_MAX, readCap } from '../fleet';
import { type CascRule, finding } from './rule';

const id = 'instance-cap';

const blocksEveryLaunch = (level: 'cloud' | 'template'): string =>
  level === 'cloud'
    ? 'cloud instanceCapStr "0" blocks every launch'
    : // SlaveTemplate (ec2-plugin 2059, lines 407-411) reads a template cap of 0 as "launch none".
      'template instanceCapStr "0" blocks every launch of this template in the EC2 plugin';

function checkCap(
  node: CascNode | undefined,
  parentLoc: Loc,
  path: string,
  level: 'cloud' | 'template',
): Problem[] {
  const value = scalarText(node);
  const reading = readCap(value);
  const problem = (message: string): Problem[] => [finding(id, node?.loc ?? parentLoc, path, message)];
  switch (reading.kind) {
    case 'cap':
      return [];
    case 'unlimited':
      return problem(`instanceCapStr must be set at ${level} level: empty means unlimited GPU machines`);
    case 'blocks':
      return problem(`${blocksEveryLaunch(level)} (expected a positive integer, got "0")`);
    case 'malformed':
      return problem(
        `instanceCapStr must be a positive integer (expected a positive integer, got "${value}")`,
      );
    case 'too-large':
      return problem(
        `instanceCapStr must be at most ${JAVA_INT_MAX}: the EC2 plugin reads it as a Java int and fails to load the cloud (got "${value}")`,
      );
  }
}

/** Caps are the first cost guard: the plugin launches at most this many machines. */
export const instanceCap: CascRule = {
  id,
  summary:
    'refuses a cloud or template instanceCapStr that is missing (unlimited machines), 0 (no launch), not a positive integer or above a Java int',
  check: ({ clouds }) =>
    clouds.flatMap((cloud) => [
      ...checkCap(cloud.get('instanceCapStr'), cloud.node.loc, `${cloud.path}.instanceCapStr`, 'cloud'),
      ...cloud.templates.flatMap((t) =>
        checkCap(t.get('instanceCapStr'), t.node.loc, `${t.path}.instanceCapStr`, 'template'),
      ),
    ]),
};
