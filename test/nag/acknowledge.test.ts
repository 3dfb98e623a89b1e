import { App, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import * as fs from 'fs';
import * as path from 'path';

import { acknowledgeFinding, acknowledgeFindings } from '../../lib/nag/acknowledge';
import { wildcardResourceId } from '../../lib/nag/finding-id';

interface Suppressed {
  ruleName: string;
  reason: string;
}

/** The suppressed findings aws-cdk-lib's validation report lists, with the reason it shows for each. */
function suppressedIn(app: App): Suppressed[] {
  const dir = app.synth().directory;
  const report = JSON.parse(fs.readFileSync(path.join(dir, 'validation-report.json'), 'utf8')) as {
    pluginReports: { suppressedViolations?: Suppressed[] }[];
  };
  return report.pluginReports.flatMap((r) => r.suppressedViolations ?? []);
}

/** A role whose one policy has a `*` resource from two statements, as the controller role has. */
function roleWithTwoWildcardStatements() {
  const app = new App({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new Stack(app, 'S');
  const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ec2:DescribeVolumes'], resources: ['*'] }));
  role.addToPrincipalPolicy(
    new iam.PolicyStatement({ actions: ['secretsmanager:ListSecrets'], resources: ['*'] }),
  );
  return { app, stack, role };
}

describe('acknowledgeFinding', () => {
  it('shows every reason given for one finding on one construct, not only the last', () => {
    const { app, stack, role } = roleWithTwoWildcardStatements();
    const id = wildcardResourceId(stack, '*');
    acknowledgeFinding(role, id, 'ec2:DescribeVolumes has no resource-level permissions');
    acknowledgeFinding(role, id, 'secretsmanager:ListSecrets cannot be scoped to resources');
    acknowledgeFinding(role, id, 'ec2:DescribeVolumes has no resource-level permissions');

    const suppressed = suppressedIn(app).filter((s) => s.ruleName === 'AwsSolutions-IAM5[Resource::*]');
    expect(suppressed.map((s) => s.reason)).toEqual([
      'ec2:DescribeVolumes has no resource-level permissions; also: secretsmanager:ListSecrets cannot be scoped to resources',
    ]);
  });

  it('keeps reasons of different constructs apart', () => {
    const { stack, role } = roleWithTwoWildcardStatements();
    const other = new iam.Role(stack, 'Other', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
    acknowledgeFindings(role, { id: 'AwsSolutions::AwsSolutions-S1', reason: 'first' });
    acknowledgeFindings(other, { id: 'AwsSolutions::AwsSolutions-S1', reason: 'second' });
    const lastReason = (scope: iam.Role) =>
      scope.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).at(-1)?.data;
    expect(lastReason(role)).toEqual({ 'AwsSolutions::AwsSolutions-S1': 'first' });
    expect(lastReason(other)).toEqual({ 'AwsSolutions::AwsSolutions-S1': 'second' });
  });

  it('fails synth when the finding is not acknowledged (the report above is live)', () => {
    const { app } = roleWithTwoWildcardStatements();
    expect(() => app.synth()).toThrow(/AwsSolutions::AwsSolutions-IAM5\[Resource::\*\]/);
  });
});
