import * as fs from 'fs';
import * as path from 'path';

import { validateCascTree } from '../../lib/casc/validate';
import { formatProblem } from '../../lib/jcasc/problem';

const FIXTURES =
  process.env.EC2_PLUGIN_FIXTURES ?? path.resolve(__dirname, '../../../shared/fixtures/ec2-plugin-casc');
const documents = fs.existsSync(FIXTURES)
  ? fs.readdirSync(FIXTURES).filter((name) => /\.ya?ml$/.test(name) && !name.includes('Export'))
  : [];

describe("the EC2 plugin's own JCasC fixtures pass --schema-only", () => {
  it('finds the fixtures', () => {
    expect(documents.length).toBeGreaterThanOrEqual(10);
  });

  it.each(documents)('%s', (name) => {
    const result = validateCascTree({ cascPath: path.join(FIXTURES, name), schemaOnly: true });
    expect(result.problems.filter((p) => p.severity === 'error').map((p) => formatProblem(p))).toEqual([]);
    expect(result.ok).toBe(true);
  });

  it('reports deprecated keys in fixtures that allow them as warnings only', () => {
    const result = validateCascTree({
      cascPath: path.join(FIXTURES, 'BackwardsCompatibleConnectionStrategy.yml'),
      schemaOnly: true,
    });
    expect(result.problems.map((p) => [p.severity, p.path])).toEqual([
      ['warning', 'jenkins.clouds[0].amazonEC2.templates[0].connectUsingPublicIp'],
      ['warning', 'jenkins.clouds[0].amazonEC2.templates[0].usePrivateDnsName'],
    ]);
  });
});
