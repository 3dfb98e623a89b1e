import { type CascNode, type Loc, scalarText } from '../../jcasc/nodes';
import type { Problem } from '../../jcasc/problem';
import { type CascRule, finding, POSITIVE_INTEGER } from './rule';

const id = 'instance-cap';
/** Integer.MAX_VALUE: the plugin parses caps as Java ints (EC2Cloud.java 279, SlaveTemplate.java 410-414). */
const JAVA_INT_MAX = 2_147_483_647;

function checkCap(
  node: CascNode | undefined,
  parentLoc: Loc,
  path: string,
  level: 'cloud' | 'template',
): Problem[] {
  const value = scalarText(node);
  if (value === undefined || value.trim() === '')
    return [
      finding(
        id,
        node?.loc ?? parentLoc,
        path,
        `instanceCapStr must be set at ${level} level: empty means unlimited GPU machines`,
      ),
    ];
  const loc = node!.loc;
  if (value.trim() === '0') {
    const why =
      level === 'cloud'
        ? 'cloud instanceCapStr "0" blocks every launch'
        : // SlaveTemplate (ec2-plugin 2059, lines 407-411) reads a template cap of 0 as "launch none".
          'template instanceCapStr "0" blocks every launch of this template in the EC2 plugin';
    return [finding(id, loc, path, `${why} (expected a positive integer, got "0")`)];
  }
  if (!POSITIVE_INTEGER.test(value))
    return [
      finding(
        id,
        loc,
        path,
        `instanceCapStr must be a positive integer (expected a positive integer, got "${value}")`,
      ),
    ];
  if (Number(value) > JAVA_INT_MAX)
    return [
      finding(
        id,
        loc,
        path,
        `instanceCapStr must be at most ${JAVA_INT_MAX}: the EC2 plugin reads it as a Java int and fails to load the cloud (got "${value}")`,
      ),
    ];
  return [];
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
