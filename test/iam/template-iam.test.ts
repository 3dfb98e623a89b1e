import { runSimulation } from '@cloud-copilot/iam-simulate';

import { synthApp } from '../stack/app-helpers';
import { evaluateCall } from './evaluate';
import { lintPolicies } from './lint';
import { CfnTemplate } from './resolve-intrinsics';
import { StackFacts } from './stack-facts';
import { ROLE_TABLES } from './tables';
import { RoleTable } from './tables/table';

/**
 * The IAM of the synthesized stack (default settings, as `cdk synth` builds it), evaluated by an
 * independent evaluator (@cloud-copilot/iam-simulate) with every intrinsic resolved: for each role, the
 * calls its real clients make are allowed and the escalations an attacker with its credentials would try
 * are denied; every action exists and every condition key applies to its statement's actions.
 */

let facts: StackFacts;

beforeAll(() => {
  const { app, stack } = synthApp();
  const template = app.synth().getStackByName(stack.stackName).template as CfnTemplate;
  facts = new StackFacts(template);
});

describe('every role of the template has a table', () => {
  it('matches each role to exactly one table and each table to exactly one role', () => {
    const unmatched = facts.roles.filter(
      (r) => ROLE_TABLES.filter((t) => t.role.test(r.logicalId)).length !== 1,
    );
    expect(unmatched.map((r) => r.logicalId)).toEqual([]);
    const unused = ROLE_TABLES.filter(
      (t) => facts.roles.filter((r) => t.role.test(r.logicalId)).length !== 1,
    );
    expect(unused.map((t) => String(t.role))).toEqual([]);
  });
});

describe.each(ROLE_TABLES.map((t) => [String(t.role), t] as const))('role %s', (_name, table: RoleTable) => {
  const role = () => facts.role(table.role);

  it('keeps only the AWS managed policies its table names, for the reasons given', () => {
    expect(role().awsManagedPolicies.sort()).toEqual(Object.keys(table.awsManagedPolicies ?? {}).sort());
  });

  const managed = Object.keys(table.awsManagedPolicies ?? {}).length > 0;

  it('has allowed and denied calls', () => {
    // What an AWS managed policy allows is not in the template: such a table proves its denies only.
    if (!managed) expect(table.allowed(facts, role()).length).toBeGreaterThan(0);
    expect(table.denied(facts, role()).length).toBeGreaterThan(0);
  });

  it('allows what its clients call', async () => {
    const failures: string[] = [];
    for (const c of table.allowed(facts, role())) {
      const result = await evaluateCall(role(), table.session(facts, role()), c);
      if (result.outcome !== 'Allowed') failures.push(`${c.what}: ${result.details.join('; ')}`);
    }
    expect(failures).toEqual([]);
  });

  it('denies what an attacker with its credentials would try', async () => {
    const failures: string[] = [];
    for (const c of table.denied(facts, role())) {
      const result = await evaluateCall(role(), table.session(facts, role()), c);
      const proven = managed ? result.outcome === 'ExplicitlyDenied' : result.outcome !== 'Allowed';
      if (!proven) failures.push(`${c.what}: ${result.details.join('; ')}`);
    }
    expect(failures).toEqual([]);
  });

  it(`may be assumed by ${table.assumedBy} only`, async () => {
    const assume = async (principal: string) => {
      const response = await runSimulation(
        {
          request: {
            principal,
            action: 'sts:AssumeRole',
            resource: { resource: role().arn, accountId: facts.env.account },
            contextVariables: {},
          },
          identityPolicies: [],
          serviceControlPolicies: [],
          resourceControlPolicies: [],
          resourcePolicy: role().trustPolicy,
        },
        { simulationMode: 'Strict' },
      );
      if (response.resultType === 'error') throw new Error(JSON.stringify(response.errors));
      return response.overallResult;
    };
    expect(await assume(table.assumedBy)).toBe('Allowed');
    for (const other of ['ec2.amazonaws.com', 'lambda.amazonaws.com', 'states.amazonaws.com']) {
      if (other !== table.assumedBy) expect(await assume(other)).not.toBe('Allowed');
    }
    expect(await assume(`arn:${facts.env.partition}:iam::${facts.env.account}:root`)).not.toBe('Allowed');
  });
});

describe('policy lint', () => {
  it('names only actions that exist and condition keys that apply to their statement', async () => {
    expect(await lintPolicies(facts.roles)).toEqual([]);
  });
});
