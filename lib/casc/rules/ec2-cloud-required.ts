import { entry } from '../../jcasc/nodes';
import { type CascRule, finding } from './rule';

const id = 'ec2-cloud-required';

/** The stack derives the workers' launch permissions and the cost guard from the amazonEC2 cloud. */
export const ec2CloudRequired: CascRule = {
  id,
  summary: 'refuses a casc without an amazonEC2 cloud: launch permissions and the cost guard derive from it',
  check: ({ tree, clouds }) => {
    if (clouds.length > 0) return [];
    const jenkins = entry(tree.root, 'jenkins');
    return [
      finding(
        id,
        entry(jenkins?.value, 'clouds')?.keyLoc ?? jenkins?.keyLoc ?? tree.root.loc,
        'jenkins.clouds',
        "jenkins.clouds must hold an amazonEC2 cloud: the stack derives the GPU workers' launch permissions and the cost guard from it (got none)",
      ),
    ];
  },
};
