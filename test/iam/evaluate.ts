import { runSimulation, runUnsafeSimulation, Simulation } from '@cloud-copilot/iam-simulate';

import { TemplateRole } from './template-roles';

/**
 * One authorization AWS makes for an API call: the action, the resource it is authorized against and the
 * request context the service sends. One call can need several: RunInstances is authorized once per
 * resource it uses or creates (instance, image, subnet, security group, network interface, volume, key
 * pair, spot request) and once more per resource type in TagSpecifications (ec2:CreateTags with
 * ec2:CreateAction), as the Service Authorization Reference for EC2 lists them.
 */
export interface Authorization {
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string | string[]>>;
  /** The resource's own policy where AWS evaluates one (a KMS key policy, which must trust the account). */
  readonly resourcePolicy?: unknown;
  /**
   * Why this authorization bypasses the simulator's input validation (runUnsafeSimulation). Only for ARNs
   * AWS uses that the reference's ARN format does not cover: AWS-owned SSM documents have an empty account
   * (`arn:aws:ssm:<region>::document/AWS-RunShellScript`), the format has `${Account}`.
   */
  readonly unvalidated?: string;
}

/** A call of a real client (the EC2 plugin, the watchdog, …) or an attacker, and what AWS authorizes for it. */
export interface Call {
  readonly what: string;
  readonly authorizations: readonly Authorization[];
}

/** Context every request of a role session carries, on top of the call's own. */
export interface Session {
  /** The session's principal, as IAM puts it in the request (`arn:aws:sts::…:assumed-role/<role>/<session>`). */
  readonly principal: string;
  readonly context: Readonly<Record<string, string>>;
}

export type Outcome = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

export interface Evaluation {
  readonly outcome: Outcome;
  /** Per authorization, for failure messages. */
  readonly details: string[];
}

/**
 * Evaluates `call` as `session` of `role` with @cloud-copilot/iam-simulate (strict mode: the request as
 * given). The call is allowed only when every authorization is. A simulation that reports an input error,
 * or drops a context key as not applying to the action and resource (so the request is not one AWS would
 * send), throws: a table entry that is not realistic is a defect of the table.
 */
export async function evaluateCall(role: TemplateRole, session: Session, call: Call): Promise<Evaluation> {
  const details: string[] = [];
  let outcome: Outcome = 'Allowed';
  for (const auth of call.authorizations) {
    const account = /^arn:[^:]+:[^:]+:[^:]*:(\d{12})?:/.exec(auth.resource)?.[1] || accountOf(session);
    const simulation: Simulation = {
      request: {
        principal: session.principal,
        action: auth.action,
        resource: { resource: auth.resource, accountId: account },
        contextVariables: { ...session.context, ...(auth.context ?? {}) },
      },
      identityPolicies: role.policies.map((p) => ({ name: p.name, policy: p.document })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(auth.resourcePolicy ? { resourcePolicy: auth.resourcePolicy } : {}),
    };
    if (auth.unvalidated) {
      const unsafe = runUnsafeSimulation(simulation, { simulationMode: 'Strict' }) as Outcome;
      details.push(`${auth.action} ${auth.resource} -> ${unsafe} (unvalidated: ${auth.unvalidated})`);
      outcome = combine(outcome, unsafe);
      continue;
    }
    const response = await runSimulation(simulation, { simulationMode: 'Strict' });
    if (response.resultType === 'error') {
      throw new Error(`${call.what}: ${auth.action} on ${auth.resource}: ${JSON.stringify(response.errors)}`);
    }
    const results = response.resultType === 'single' ? [response.result] : response.results;
    for (const result of results) {
      if (result.ignoredContextKeys && result.ignoredContextKeys.length > 0) {
        throw new Error(
          `${call.what}: ${auth.action} on ${auth.resource}: AWS sends no ${result.ignoredContextKeys.join(', ')} for it`,
        );
      }
    }
    const single = response.overallResult as Outcome;
    details.push(`${auth.action} ${auth.resource} -> ${single}`);
    outcome = combine(outcome, single);
  }
  return { outcome, details };
}

/** A call is as denied as its most denied authorization. */
function combine(soFar: Outcome, next: Outcome): Outcome {
  if (soFar === 'ExplicitlyDenied' || next === 'ExplicitlyDenied') return 'ExplicitlyDenied';
  return soFar === 'ImplicitlyDenied' || next === 'ImplicitlyDenied' ? 'ImplicitlyDenied' : 'Allowed';
}

function accountOf(session: Session): string {
  const account = /^arn:[^:]+:(?:sts|iam)::(\d{12}):/.exec(session.principal)?.[1];
  if (!account) throw new Error(`session principal ${session.principal} has no account`);
  return account;
}
