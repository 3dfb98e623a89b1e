import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** Reasons given so far, per construct and finding id. */
const reasonsByScope = new WeakMap<IConstruct, Map<string, string[]>>();

/**
 * Acknowledges the finding `id` on `scope` and everything below it, with the reason it is by design.
 *
 * Several constructs may put statements that cause one finding on one resource (the controller role's
 * `instance/*` comes from the controller itself and from the worker fleet). The validation report keeps one
 * reason per construct path and id, the last one given (aws-cdk-lib 2.276.0
 * core/lib/private/collect-acknowledged-rule-ids.js), so each call here re-acknowledges with every reason
 * given so far for that scope and id, and the report names all of them.
 */
export function acknowledgeFinding(scope: IConstruct, id: string, reason: string): void {
  let byId = reasonsByScope.get(scope);
  if (!byId) {
    byId = new Map();
    reasonsByScope.set(scope, byId);
  }
  const reasons = byId.get(id) ?? [];
  if (!reasons.includes(reason)) reasons.push(reason);
  byId.set(id, reasons);
  Validations.of(scope).acknowledge({ id, reason: reasons.join('; also: ') });
}

/** One finding to acknowledge: its id and why it is by design. */
export interface Finding {
  readonly id: string;
  readonly reason: string;
}

/** `acknowledgeFinding` for each of `findings`. */
export function acknowledgeFindings(scope: IConstruct, ...findings: Finding[]): void {
  for (const f of findings) acknowledgeFinding(scope, f.id, f.reason);
}
