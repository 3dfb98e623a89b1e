/**
 * Capacity rules: what the EC2 plugin really does when GPUs are short (docs/capacity.md). Spreading over
 * zones comes from the template's subnets (one subnet per launch call, round robin), a fallback instance
 * type is a second template of the same label that the plugin reaches only when the ones above it are at
 * their caps, and stopped workers are reused only through the stopped-instance lookup. These rules refuse
 * the settings that silently defeat that, and warn where a fallback can never start.
 * Line numbers are of jenkinsci/ec2-plugin at the pinned 2059.v05f9d511d7e5 (casc/plugins.txt).
 */
import { INSTANCE_TYPES, isGpuInstanceType } from './ec2-data';
import { capacityOf } from './fleet-arithmetic';
import type { CloudView, TemplateView } from './fleet';
import { problemAt, type Problem } from '../jcasc/problem';

/** Label names that promise a GPU to whoever asks for them. */
const GPU_WORDING = /gpu|cuda/i;

export function checkCapacityRules(clouds: readonly CloudView[]): Problem[] {
  const problems: Problem[] = [];
  const gpuLabels = gpuLabelOwners(clouds);
  for (const cloud of clouds) {
    for (const template of cloud.templates) {
      checkZone(template, problems);
      checkStoppedReuse(template, problems);
      checkGpuLabels(template, gpuLabels, problems);
    }
    checkUnreachableFallbacks(cloud, problems);
  }
  return problems;
}

function report(
  template: TemplateView,
  key: string,
  message: string,
  problems: Problem[],
  severity: Problem['severity'] = 'error',
): void {
  problems.push(
    problemAt(template.get(key)?.loc ?? template.node.loc, `${template.path}.${key}`, message, severity),
  );
}

/**
 * `zone` is never sent with an on-demand launch: the plugin only adds it as an `availability-zone` filter
 * of the stopped-instance lookup (SlaveTemplate.java 2211-2219), so the subnet decides the zone and a zone
 * unlike the subnet's hides every stopped worker (the spot request path that uses it needs a bid price,
 * which the policy refuses).
 */
function checkZone(template: TemplateView, problems: Problem[]): void {
  const zone = template.text('zone')?.trim();
  if (!zone) return;
  report(
    template,
    'zone',
    `zone must not be set: the EC2 plugin does not launch in it (the subnet decides the zone) but only looks for stopped workers there (SlaveTemplate.java 2211-2219 at ec2-plugin 2059), so a zone unlike the subnet's means no stopped worker is ever restarted; remove it: workers spread over the zones of the subnets in subnetId (got "${zone}")`,
    problems,
  );
}

/**
 * With `avoidUsingOrphanedNodes` the plugin skips the stopped-instance lookup of every launch
 * (SlaveTemplate.java 2395-2409), and nothing else restarts a stopped worker (the only other caller of that
 * lookup, EC2Cloud.attemptReattachOrphanOrStoppedNodes, is called by nothing at 2059): each build launches
 * a new worker while the stopped ones keep billing for their volumes.
 */
function checkStoppedReuse(template: TemplateView, problems: Problem[]): void {
  const avoid = template.text('avoidUsingOrphanedNodes')?.trim();
  if (avoid !== 'true' || template.text('stopOnTerminate')?.trim() !== 'true') return;
  report(
    template,
    'avoidUsingOrphanedNodes',
    'avoidUsingOrphanedNodes must not be true with stopOnTerminate: true: the EC2 plugin then never restarts a stopped worker (it skips the stopped-instance lookup, SlaveTemplate.java 2395-2409 at ec2-plugin 2059), so every build launches a new one while the stopped ones bill for their volumes; remove it, or set stopOnTerminate: false (got true)',
    problems,
  );
}

/** Label → description of the first GPU template carrying it, over every cloud (labels are Jenkins-wide). */
function gpuLabelOwners(clouds: readonly CloudView[]): Map<string, string> {
  const owners = new Map<string, string>();
  for (const template of clouds.flatMap((c) => c.templates)) {
    if (!isGpuInstanceType(template.type?.trim() ?? '')) continue;
    for (const label of template.labels)
      if (!owners.has(label)) owners.set(label, template.description?.trim() ?? template.path);
  }
  return owners;
}

/** A CPU template with a GPU template's label, or a label that says GPU: a training job could land on it. */
function checkGpuLabels(template: TemplateView, gpuLabels: Map<string, string>, problems: Problem[]): void {
  const type = template.type?.trim() ?? '';
  // Unknown types are refused by the policy; GPU types are what these labels are for.
  if (!INSTANCE_TYPES.has(type) || isGpuInstanceType(type)) return;
  for (const label of template.labels) {
    const owner = gpuLabels.get(label);
    if (owner !== undefined) {
      report(
        template,
        'labelString',
        `label '${label}' is also on GPU template '${owner}': a job asking for it could run on this ${type}, which has no GPU (the EC2 plugin takes the first matching template with room, EC2Cloud.java 1102-1116 at ec2-plugin 2059); give this template a label of its own`,
        problems,
      );
    } else if (GPU_WORDING.test(label)) {
      report(
        template,
        'labelString',
        `label '${label}' promises a GPU but ${type} has none (GPU families: gpuFamilies in data/ec2-instance-types.json); use a GPU type or a label that does not say gpu/cuda`,
        problems,
        'warning',
      );
    }
  }
}

const isExclusive = (t: TemplateView): boolean => t.text('mode')?.trim() === 'EXCLUSIVE';

/**
 * True when every job that can start `later` also matches `earlier`: `earlier` carries all of `later`'s
 * labels (so a label expression without `!` that matches one matches both), and `earlier` is not EXCLUSIVE
 * where `later` also takes unlabelled jobs (EC2Cloud.getTemplates(Label), lines 657-671).
 */
function covers(earlier: TemplateView, later: TemplateView): boolean {
  if (later.labels.length === 0) return false;
  if (isExclusive(earlier) && !isExclusive(later)) return false;
  return later.labels.every((label) => earlier.labels.includes(label));
}

/**
 * The plugin walks the matching templates in YAML order and moves on only past a template at its cap
 * (EC2Cloud.java 1102-1116; a failed launch is only logged, 1157-1174). A later template that every job
 * matching it also reaches through templates above it whose caps together fill the cloud cap never gets a
 * worker: when those are full, so is the cloud.
 */
function checkUnreachableFallbacks(cloud: CloudView, problems: Problem[]): void {
  const capacity = capacityOf(cloud);
  if (!capacity) return;
  cloud.templates.forEach((later, j) => {
    const above = cloud.templates
      .slice(0, j)
      .map((t, i) => ({ t, cap: capacity.templateCaps[i] }))
      .filter(({ t }) => covers(t, later));
    if (above.length === 0) return;
    const sum = above.reduce((total, { cap }) => total + cap, 0);
    if (sum < capacity.cloudCap) return;
    const names = above.map(({ t }) => `'${t.description?.trim() ?? t.path}'`).join(', ');
    const caps = above.map(({ cap }) => cap).join(' + ');
    report(
      later,
      'labelString',
      `template '${later.description?.trim() ?? later.path}' never gets a worker: every job that matches it also matches ${names} above it, and the EC2 plugin moves to the next template only when those are at their caps (EC2Cloud.java 1102-1116 at ec2-plugin 2059; a launch that fails for capacity does not move on), which together (${caps} = ${sum}) already fill the cloud cap ${capacity.cloudCap}; lower their instanceCapStr below the cloud cap or raise the cloud cap`,
      problems,
      'warning',
    );
  });
}

/**
 * Most stopped workers the cloud can leave behind, each keeping its root volume: per stop-on-idle template,
 * its cap times its subnets. The plugin launches a new worker in a subnet only after it has restarted every
 * stopped one there that matches (SlaveTemplate.java 2395-2413), and caps count running, pending and
 * stopping workers (EC2Cloud.java 780), so one template never holds more than its cap in one subnet (bursts
 * inside the plugin's 30 s count cache aside, EC2Cloud.java 173). Spot templates terminate and leave none.
 * Undefined while a cap is not a positive integer (the policy reports it).
 */
export function stoppedWorkersBound(cloud: CloudView, subnetsPerTemplate: number): number | undefined {
  const capacity = capacityOf(cloud);
  if (!capacity) return undefined;
  return cloud.templates.reduce(
    (total, t, i) =>
      t.text('stopOnTerminate')?.trim() === 'true'
        ? total + capacity.templateCaps[i] * subnetsPerTemplate
        : total,
    0,
  );
}
