import { Call, Session } from '../evaluate';
import { StackFacts } from '../stack-facts';
import { TemplateRole } from '../template-roles';

/**
 * What one role of the stack must be able to do (the calls its real clients make) and must not (what an
 * attacker holding its credentials would try), evaluated by iam-simulate on the synthesized template.
 */
export interface RoleTable {
  /** Logical-id pattern of the role (exactly one role must match). */
  readonly role: RegExp;
  /** The service principal its trust policy admits (and no other). */
  readonly assumedBy: string;
  /** The session its credentials are used in. */
  readonly session: (facts: StackFacts, role: TemplateRole) => Session;
  readonly allowed: (facts: StackFacts, role: TemplateRole) => Call[];
  readonly denied: (facts: StackFacts, role: TemplateRole) => Call[];
  /**
   * AWS managed policies the role may keep, with why. Their text is not in the template, so what they
   * allow cannot be evaluated: such a role's allowed table may be empty, and its denied calls must be
   * denied explicitly (by the role's own Deny statements), whatever the managed policy allows.
   */
  readonly awsManagedPolicies?: Readonly<Record<string, string>>;
}

/** Fixed ids of instances the tables talk about. */
export const INSTANCES = {
  controller: 'i-0c0ffee00c0ffee00',
  worker: 'i-0a1b2c3d4e5f60718',
  otherWorker: 'i-0b2c3d4e5f6071829',
  /** A worker of another stack (fleet tag value `OtherStack`). */
  otherFleetWorker: 'i-0c3d4e5f607182930',
  /** Any other instance of the account (no fleet tag). */
  unrelated: 'i-0d4e5f60718293a41',
} as const;
