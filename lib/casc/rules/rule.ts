/**
 * The shape of a casc rule (after cdk-nag's rule files): a stable id, a one-line summary, and a pure check
 * over the loaded tree and its EC2 fleet. Ids are readable kebab words naming what the rule holds
 * (`instance-cap`, `imds-v2`); every message a rule emits starts with its id in brackets, so
 * `npm run check:casc` prints `FILE:LINE: yaml.path: [instance-cap] instanceCapStr must ...`.
 */
import type { PriceTable } from '../../cost/prices';
import type { CascTree, Loc } from '../../jcasc/nodes';
import { type Problem, problemAt } from '../../jcasc/problem';
import { INSTANCE_TYPES, isGpuInstanceType, UNPRICED_GPU_TYPES } from '../ec2-data';
import { type CloudView, POSITIVE_INTEGER, type TemplateView } from '../fleet';

/** What every rule may read; built once per validation by `checkRules`. */
export interface RuleContext {
  readonly tree: CascTree;
  readonly clouds: readonly CloudView[];
  /** Where `@render:` paths start (the bundle renders from the repository root). */
  readonly repoRoot: string;
  /** On-demand prices (lib/cost/prices.ts); without them (a caller gives none) the cost checks are skipped. */
  readonly prices: PriceTable | undefined;
  /** The deployment setting the fleet's worst-case $/hour is compared with. */
  readonly hourlyBurnAlarmUsd: number;
}

export interface CascRule {
  /** Stable kebab id, printed in brackets at the start of each message. */
  readonly id: string;
  /** What the rule refuses or warns about, and why: the docs table (docs/architecture.md) quotes it. */
  readonly summary: string;
  check(context: RuleContext): Problem[];
}

/** A problem of rule `id`: the message starts with `[id] `. */
export function finding(
  id: string,
  loc: Loc,
  path: string,
  message: string,
  severity: Problem['severity'] = 'error',
): Problem {
  return problemAt(loc, path, `[${id}] ${message}`, severity);
}

/** A problem of rule `id` at a template key, or at the template when the key is absent. */
export function templateFinding(
  id: string,
  template: TemplateView,
  key: string,
  message: string,
  severity: Problem['severity'] = 'error',
): Problem {
  return finding(
    id,
    template.get(key)?.loc ?? template.node.loc,
    `${template.path}.${key}`,
    message,
    severity,
  );
}

/** Every template of every cloud, in YAML order. */
export function templatesOf(context: RuleContext): TemplateView[] {
  return context.clouds.flatMap((cloud) => cloud.templates);
}

/** How a found value is shown in a message: `nothing` when absent or blank, else JSON. */
export const got = (value: string | undefined): string =>
  value === undefined || value.trim() === '' ? 'nothing' : JSON.stringify(value);

/** A template of a known, priced GPU type (the ones the GPU rules are about; the others fail `instance-type`). */
export function isPricedGpuTemplate(template: TemplateView): boolean {
  const type = template.type?.trim() ?? '';
  return INSTANCE_TYPES.has(type) && !UNPRICED_GPU_TYPES.has(type) && isGpuInstanceType(type);
}

/**
 * A key every template must hold at exactly one value (the worker boot marker, the login user, the agent
 * directory): one finding per template whose trimmed value differs, `message` given what it found.
 */
export function requiredValueFindings(
  id: string,
  context: RuleContext,
  key: string,
  expected: string,
  message: (found: string | undefined) => string,
): Problem[] {
  return templatesOf(context).flatMap((t) => {
    const found = t.text(key)?.trim();
    return found === expected ? [] : [templateFinding(id, t, key, message(found))];
  });
}

/** A required positive whole number with an upper bound (idle minutes, launch timeout). */
export function boundedNumberFindings(
  id: string,
  template: TemplateView,
  key: string,
  whyRequired: string,
  limit: { readonly max: number; readonly why: string },
): Problem[] {
  const value = template.text(key);
  let message: string | undefined;
  if (value === undefined || value.trim() === '') message = `${key} must be set: ${whyRequired}`;
  else if (!POSITIVE_INTEGER.test(value))
    message = `${key} must be a positive integer (expected a positive integer, got "${value}")`;
  else if (Number(value) > limit.max)
    message = `${key} must be at most ${limit.max} ${limit.why} (got "${value}")`;
  return message ? [templateFinding(id, template, key, message)] : [];
}

/** A template of a known CPU type (unknown types fail `instance-type`). */
export function isCpuTemplate(template: TemplateView): boolean {
  const type = template.type?.trim() ?? '';
  return INSTANCE_TYPES.has(type) && !isGpuInstanceType(type);
}

/** Label → description of the first GPU template carrying it, over every cloud (labels are Jenkins-wide). */
export function gpuLabelOwners(context: RuleContext): Map<string, string> {
  const owners = new Map<string, string>();
  for (const template of templatesOf(context)) {
    if (!isGpuInstanceType(template.type?.trim() ?? '')) continue;
    for (const label of template.labels)
      if (!owners.has(label)) owners.set(label, template.description?.trim() ?? template.path);
  }
  return owners;
}
