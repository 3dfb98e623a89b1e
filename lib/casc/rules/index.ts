/**
 * The registry of this project's casc rules, in the order they report (docs/architecture.md "Casc rules"
 * lists them; test/casc/rules/registry.test.ts keeps that table, this list and the rule files in step).
 * Within one template the order follows the YAML a reader checks: identity, type, numbers, tags, boot,
 * stack bindings, spot; fleet-wide checks and warnings come last.
 */
import type { PriceTable } from '../../cost/prices';
import type { CascTree } from '../../jcasc/nodes';
import type { Problem } from '../../jcasc/problem';
import { ec2Clouds } from '../fleet';
import { DEFAULT_HOURLY_BURN_ALARM_USD } from '../fleet-arithmetic';
import { burnAlarm } from './burn-alarm';
import { cloudCapReachable } from './cloud-cap-reachable';
import { descriptionUnique } from './description-unique';
import { deviceMappingEncrypted } from './device-mapping-encrypted';
import { ec2CloudRequired } from './ec2-cloud-required';
import { fallbackReachable } from './fallback-reachable';
import { fleetTag } from './fleet-tag';
import { gpuLabelRequired } from './gpu-label-required';
import { gpuLabelShared } from './gpu-label-shared';
import { gpuLabelWording } from './gpu-label-wording';
import { gpuModeExclusive } from './gpu-mode-exclusive';
import { idleTermination } from './idle-termination';
import { imdsV2 } from './imds-v2';
import { initWaitsForBoot } from './init-waits-for-boot';
import { instanceCap } from './instance-cap';
import { instanceType } from './instance-type';
import { launchTimeout } from './launch-timeout';
import { nameTag } from './name-tag';
import { noLiteralSecrets } from './no-literal-secrets';
import { noPrivateKey } from './no-private-key';
import { numExecutors } from './num-executors';
import { remoteAdmin } from './remote-admin';
import { remoteFs } from './remote-fs';
import { renderMarkerPlacement } from './render-marker-placement';
import { renderScript } from './render-script';
import { reservedTags } from './reserved-tags';
import { rootVolumeEncrypted } from './root-volume-encrypted';
import type { CascRule, RuleContext } from './rule';
import { spotNoBidPrice } from './spot-no-bid-price';
import { spotTerminates } from './spot-terminates';
import { sshPort } from './ssh-port';
import { stackBindings } from './stack-bindings';
import { stoppedReuse } from './stopped-reuse';
import { templateTag } from './template-tag';
import { templatesRequired } from './templates-required';
import { workerBoot } from './worker-boot';
import { zoneUnset } from './zone-unset';

export type { CascRule, RuleContext } from './rule';

export const CASC_RULES: readonly CascRule[] = [
  ec2CloudRequired,
  templatesRequired,
  noPrivateKey,
  descriptionUnique,
  instanceType,
  gpuModeExclusive,
  gpuLabelRequired,
  idleTermination,
  launchTimeout,
  instanceCap,
  nameTag,
  deviceMappingEncrypted,
  workerBoot,
  initWaitsForBoot,
  remoteAdmin,
  remoteFs,
  imdsV2,
  rootVolumeEncrypted,
  numExecutors,
  sshPort,
  reservedTags,
  templateTag,
  fleetTag,
  stackBindings,
  spotNoBidPrice,
  spotTerminates,
  renderScript,
  renderMarkerPlacement,
  noLiteralSecrets,
  cloudCapReachable,
  burnAlarm,
  zoneUnset,
  stoppedReuse,
  gpuLabelShared,
  gpuLabelWording,
  fallbackReachable,
];

export interface CheckRulesOptions {
  /** Where `@render:` paths start (the bundle renders from the repository root). */
  readonly repoRoot: string;
  /** On-demand prices for the burn-alarm rule; without them it is skipped. */
  readonly prices?: PriceTable;
  /** The deployment setting `hourlyBurnAlarmUsd`. @default 10 */
  readonly hourlyBurnAlarmUsd?: number;
}

/** The rule context of a tree (its EC2 fleet read once). */
export function ruleContext(tree: CascTree, options: CheckRulesOptions): RuleContext {
  return {
    tree,
    clouds: ec2Clouds(tree),
    repoRoot: options.repoRoot,
    prices: options.prices,
    hourlyBurnAlarmUsd: options.hourlyBurnAlarmUsd ?? DEFAULT_HOURLY_BURN_ALARM_USD,
  };
}

/** Every registered rule over the tree, in registry order (callers sort by file and line). */
export function checkRules(tree: CascTree, options: CheckRulesOptions): Problem[] {
  const context = ruleContext(tree, options);
  return CASC_RULES.flatMap((rule) => rule.check(context));
}
