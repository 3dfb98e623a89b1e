import { stackVariableReference } from '../stack-variables';
import { type CascRule, templateFinding, templatesOf } from './rule';

const id = 'stack-bindings';

/** Template keys the stack fills through variables, never literals. */
const STACK_FILLED_KEYS: ReadonlyArray<[string, string]> = (
  [
    ['ami', 'WORKER_AMI_ID'],
    ['subnetId', 'WORKER_SUBNET_IDS'],
    ['securityGroups', 'WORKER_SECURITY_GROUP_ID'],
    ['iamInstanceProfile', 'WORKER_INSTANCE_PROFILE_ARN'],
  ] as const
).map(([key, variable]) => [key, stackVariableReference(variable)]);

/**
 * The stack derives IAM, the reaper's AMI list and the security group from these variables, so a literal
 * value here would launch outside what the controller may use, or strand stopped workers.
 */
export const stackBindings: CascRule = {
  id,
  summary: `refuses a template whose ${STACK_FILLED_KEYS.map(([key]) => key).join(', ')} are not the stack's \${VARS}: IAM and the reaper are scoped to them`,
  check: (context) =>
    templatesOf(context).flatMap((t) =>
      STACK_FILLED_KEYS.filter(([key, reference]) => t.text(key)?.trim() !== reference).map(
        ([key, reference]) => {
          const value = t.text(key)?.trim();
          return templateFinding(
            id,
            t,
            key,
            `${key} must be "${reference}": the stack fills it (settings workerAmiId/workerAmiParameter, the network and the worker fleet) and scopes the controller's IAM and the reaper to it (got ${value === undefined ? 'nothing' : JSON.stringify(value)})`,
          );
        },
      ),
    ),
};
