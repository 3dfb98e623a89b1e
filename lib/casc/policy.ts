/**
 * This project's rules on top of the plugin's data model: what keeps GPU money safe (caps, idle stop,
 * launch timeout, EXCLUSIVE labels, a Name tag the reaper and humans can see), what keeps secrets out
 * of the YAML, and everything `cdk synth` needs from the fleet (a YAML that passes here synthesizes).
 * Each rule names the reason in its message.
 */
import { UserInputError } from '../errors';
import { FLEET_TAG_KEY } from '../contracts';
import { bundleTokens, renderTemplateScript } from '../bundle/build-bundle';
import { didYouMean } from '../jcasc/did-you-mean';
import { INSTANCE_TYPES, isGpuInstanceType, UNPRICED_GPU_TYPES } from './ec2-data';
import { ec2Clouds, type CloudView, type TemplateView } from './fleet';
import {
  child,
  entry,
  items,
  scalarText,
  walkScalars,
  type CascNode,
  type CascTree,
  type Loc,
} from '../jcasc/nodes';
import { problemAt, type Problem } from '../jcasc/problem';
import { checkTemplateSafety, WORKER_BOOT_MARKER } from './template-safety';

/** Exactly what the EC2 plugin's `Integer.parseInt` takes as a positive number: no spaces, no sign. */
const POSITIVE_INTEGER = /^[1-9]\d*$/;
/** Integer.MAX_VALUE: the plugin parses caps and timeouts as Java ints (EC2Cloud.java 279, SlaveTemplate.java 410-414). */
const JAVA_INT_MAX = 2_147_483_647;
const WHOLE_VARIABLE = /^\$\{[^}]+\}$/;

/**
 * Longest idle stop accepted: a day. A GPU idle for longer is never intended, and the reaper's hard
 * lifetime of a running worker (lib/jenkins-gpu-stack.ts: job timeout + idle + margin) must stay under
 * its absolute limit (CostGuard maxBusyHours, 96 h); test/casc/synth-agreement.test.ts synthesizes it.
 */
export const MAX_IDLE_TERMINATION_MINUTES = 24 * 60;
/** Longest launch timeout accepted: an hour, three times the shipped 1200 s; a launch that long is hung. */
export const MAX_LAUNCH_TIMEOUT_SECONDS = 60 * 60;

/** Keys whose `@render:<script>` value the bundle replaces with the rendered worker script. */
const RENDERED_KEYS = ['userData', 'initScript'];
const RENDER_PREFIX = '@render:';
const RENDERED_AT = /^jenkins\.clouds\[\d+\]\.amazonEC2\.templates\[\d+\]\.(userData|initScript)$/;

export interface PolicyOptions {
  /** Where `@render:` paths start (the bundle renders from the repository root). */
  readonly repoRoot: string;
}

export function checkPolicy(tree: CascTree, options: PolicyOptions): Problem[] {
  const problems: Problem[] = [];
  const descriptions = new Map<string, Loc>();
  const clouds = ec2Clouds(tree);
  if (clouds.length === 0) {
    const jenkins = entry(tree.root, 'jenkins');
    problems.push(
      problemAt(
        entry(jenkins?.value, 'clouds')?.keyLoc ?? jenkins?.keyLoc ?? tree.root.loc,
        'jenkins.clouds',
        "jenkins.clouds must hold an amazonEC2 cloud: the stack derives the GPU workers' launch permissions and the cost guard from it (got none)",
      ),
    );
  }
  const tokens = renderTokens(options.repoRoot);
  for (const cloud of clouds) {
    checkCloud(cloud, problems);
    for (const template of cloud.templates) checkTemplate(template, descriptions, problems);
    for (const template of cloud.templates)
      checkRenderedScripts(template, options.repoRoot, tokens, problems);
  }
  checkRenderMarkers(tree, problems);
  checkSecrets(tree, problems);
  return problems;
}

function checkCloud(cloud: CloudView, problems: Problem[]): void {
  checkCap(cloud.get('instanceCapStr'), cloud.node.loc, `${cloud.path}.instanceCapStr`, 'cloud', problems);
  if (cloud.templates.length === 0) {
    problems.push(
      problemAt(
        cloud.get('templates')?.loc ?? cloud.node.loc,
        `${cloud.path}.templates`,
        'templates must list at least one template: a cloud without one launches nothing, and the controller may only launch the instance types templates name (got none)',
      ),
    );
  }
  const privateKey = cloud.get('privateKey');
  if (privateKey) {
    problems.push(
      problemAt(
        privateKey.loc,
        `${cloud.path}.privateKey`,
        'privateKey is ignored by the EC2 plugin and puts key material in the YAML; use sshKeysCredentialsId',
      ),
    );
  }
}

function checkCap(
  node: CascNode | undefined,
  parentLoc: Loc,
  path: string,
  level: 'cloud' | 'template',
  problems: Problem[],
): void {
  const value = scalarText(node);
  if (value === undefined || value.trim() === '') {
    problems.push(
      problemAt(
        node?.loc ?? parentLoc,
        path,
        `instanceCapStr must be set at ${level} level: empty means unlimited GPU machines`,
      ),
    );
  } else if (value.trim() === '0') {
    const why =
      level === 'cloud'
        ? 'cloud instanceCapStr "0" blocks every launch'
        : // SlaveTemplate (ec2-plugin 2059, lines 407-411) reads a template cap of 0 as "launch none".
          'template instanceCapStr "0" blocks every launch of this template in the EC2 plugin';
    problems.push(problemAt(node!.loc, path, `${why} (expected a positive integer, got "0")`));
  } else if (!POSITIVE_INTEGER.test(value)) {
    problems.push(
      problemAt(
        node!.loc,
        path,
        `instanceCapStr must be a positive integer (expected a positive integer, got "${value}")`,
      ),
    );
  } else if (Number(value) > JAVA_INT_MAX) {
    problems.push(
      problemAt(
        node!.loc,
        path,
        `instanceCapStr must be at most ${JAVA_INT_MAX}: the EC2 plugin reads it as a Java int and fails to load the cloud (got "${value}")`,
      ),
    );
  }
}

/** Fleet tag value every worker must carry (IAM conditions and the reaper select on it). */
const FLEET_TAG_VALUE = '${FLEET_TAG_VALUE}';

/** Template keys the stack fills through variables, never literals. */
const STACK_FILLED_KEYS: ReadonlyArray<[string, string]> = [
  ['ami', 'WORKER_AMI_ID'],
  ['subnetId', 'WORKER_SUBNET_IDS'],
  ['securityGroups', 'WORKER_SECURITY_GROUP_ID'],
  ['iamInstanceProfile', 'WORKER_INSTANCE_PROFILE_ARN'],
];

type Report = (key: string, message: string) => void;

function checkTemplate(template: TemplateView, descriptions: Map<string, Loc>, problems: Problem[]): void {
  const at = (key: string): { loc: Loc; path: string } => ({
    loc: template.get(key)?.loc ?? template.node.loc,
    path: `${template.path}.${key}`,
  });
  const report: Report = (key, message) => {
    const { loc, path } = at(key);
    problems.push(problemAt(loc, path, message));
  };

  checkDescription(template, descriptions, at('description').loc, report);
  checkInstanceType(template, report);
  checkPositiveNumber(
    template,
    'idleTerminationMinutes',
    'omitted means an idle GPU worker is never stopped',
    report,
    {
      max: MAX_IDLE_TERMINATION_MINUTES,
      why: "(a day): an idle GPU kept longer is never intended, and the reaper's hard lifetime of a running worker is derived from it",
    },
  );
  checkPositiveNumber(
    template,
    'launchTimeoutStr',
    'omitted means a hung launch is never cleaned up',
    report,
    {
      max: MAX_LAUNCH_TIMEOUT_SECONDS,
      why: 'seconds (an hour): a launch that has not connected by then is hung, and its GPU bills while it waits',
    },
  );
  checkCap(
    template.get('instanceCapStr'),
    template.node.loc,
    `${template.path}.instanceCapStr`,
    'template',
    problems,
  );

  const hasNameTag = items(template.get('tags')).some(
    (tag) =>
      scalarText(child(tag, 'name')) === 'Name' && (scalarText(child(tag, 'value')) ?? '').trim() !== '',
  );
  if (!hasNameTag)
    report('tags', "tags must include a 'Name' tag (e.g. managed-by-jenkins): the plugin never sets one");

  checkDeviceMapping(template, report);
  checkTemplateSafety(template, problems);
  checkStackBindings(template, report);
  checkSpotOptions(template, report);
}

/** The template's identity: set, and unique over every cloud (`descriptions` holds the ones seen). */
function checkDescription(
  template: TemplateView,
  descriptions: Map<string, Loc>,
  loc: Loc,
  report: Report,
): void {
  const description = template.description?.trim();
  if (!description)
    report(
      'description',
      "description must be set: it is the template's identity (keep it stable and unique)",
    );
  else if (descriptions.has(description)) {
    const first = descriptions.get(description)!;
    report(
      'description',
      `duplicate template description '${description}' (first at line ${first.line} of ${first.file})`,
    );
  } else descriptions.set(description, loc);
}

/** A literal instance type from data/, priced if it is a GPU type; a GPU template is EXCLUSIVE and labelled. */
function checkInstanceType(template: TemplateView, report: Report): void {
  const type = template.type?.trim();
  if (!type)
    report(
      'type',
      'type must be set to an EC2 instance type (the controller may only launch the types the YAML names)',
    );
  else if (WHOLE_VARIABLE.test(type))
    report(
      'type',
      'type must be a literal instance type: the IAM policy of the controller is derived from it',
    );
  else if (UNPRICED_GPU_TYPES.has(type)) {
    report(
      'type',
      `GPU type '${type}' has no price in data/ec2-prices.json: the burn alarm and the fleet's $/hour need one for every GPU type (priced: ${[...INSTANCE_TYPES].filter(isGpuInstanceType).join(', ')}); to use it, add its on-demand price with source and date there, and the type and its vCPUs (gpuVcpus) to data/ec2-instance-types.json`,
    );
  } else if (!INSTANCE_TYPES.has(type)) {
    report(
      'type',
      `unknown EC2 instance type '${type}'${didYouMean(type, INSTANCE_TYPES)} (types are listed in data/ec2-instance-types.json)`,
    );
  } else if (isGpuInstanceType(type)) {
    const mode = template.text('mode');
    if (mode !== 'EXCLUSIVE') {
      report(
        'mode',
        `a GPU template must be EXCLUSIVE so only jobs that ask for its label start a GPU machine (expected EXCLUSIVE, got ${mode ?? 'nothing: the default is NORMAL'})`,
      );
    }
    if (template.labels.length === 0)
      report('labelString', 'a GPU template needs a labelString: jobs select GPU workers by label');
  }
}

/**
 * The fleet tag and the keys the stack fills: the stack derives IAM, the reaper's AMI list and the security
 * group from them, so a literal value here would launch outside what the controller may use, or strand
 * stopped workers.
 */
function checkStackBindings(template: TemplateView, report: Report): void {
  const fleetTag = items(template.get('tags')).find(
    (tag) => scalarText(child(tag, 'name')) === FLEET_TAG_KEY,
  );
  if (!fleetTag || (scalarText(child(fleetTag, 'value')) ?? '').trim() !== FLEET_TAG_VALUE) {
    report(
      'tags',
      `tags must include '${FLEET_TAG_KEY}' with value "${FLEET_TAG_VALUE}": the controller may only launch, and the reaper only watches, instances with this stack's fleet tag`,
    );
  }
  for (const [key, variable] of STACK_FILLED_KEYS) {
    const value = template.text(key)?.trim();
    if (value !== `\${${variable}}`) {
      report(
        key,
        `${key} must be "\${${variable}}": the stack fills it (settings workerAmiId/workerAmiParameter, the network and the worker fleet) and scopes the controller's IAM and the reaper to it (got ${value === undefined ? 'nothing' : JSON.stringify(value)})`,
      );
    }
  }
}

/** Spot options the fleet tag and the idle stop rely on. */
function checkSpotOptions(template: TemplateView, report: Report): void {
  if (scalarText(child(template.get('spotConfig'), 'useBidPrice'))?.trim() === 'true') {
    report(
      'spotConfig',
      'spotConfig.useBidPrice must be false: bid-price spot requests are tagged only after fulfilment, so the fleet tag the controller and the reaper rely on would be missing (got true)',
    );
  }
  if (template.get('spotConfig') && template.text('stopOnTerminate')?.trim() === 'true') {
    report(
      'stopOnTerminate',
      'stopOnTerminate: spot workers cannot be stopped (AWS rejects StopInstances on one-time spot instances); set false so idle spot workers are terminated (got true)',
    );
  }
}

function checkPositiveNumber(
  template: TemplateView,
  key: string,
  whyRequired: string,
  report: Report,
  limit: { max: number; why: string },
): void {
  const value = template.text(key);
  if (value === undefined || value.trim() === '') report(key, `${key} must be set: ${whyRequired}`);
  else if (!POSITIVE_INTEGER.test(value))
    report(key, `${key} must be a positive integer (expected a positive integer, got "${value}")`);
  else if (Number(value) > limit.max)
    report(key, `${key} must be at most ${limit.max} ${limit.why} (got "${value}")`);
}

/**
 * The bundle renders `@render:<script>` for each template with its idle minutes (lib/bundle/build-bundle.ts):
 * render it here too, so a missing script, an include outside the repository or an unknown token fails
 * the check with the line of the key, not synth. Skipped while idleTerminationMinutes is itself wrong.
 */
/** The bundle tokens (the worker payload digest); a payload that cannot be rendered shows at the templates. */
function renderTokens(repoRoot: string): Record<string, string> {
  try {
    return bundleTokens(repoRoot);
  } catch (error) {
    if (!(error instanceof UserInputError)) throw error;
    return {};
  }
}

function checkRenderedScripts(
  template: TemplateView,
  repoRoot: string,
  tokens: Readonly<Record<string, string>>,
  problems: Problem[],
): void {
  const idle = template.text('idleTerminationMinutes');
  if (idle === undefined || !POSITIVE_INTEGER.test(idle)) return;
  for (const key of RENDERED_KEYS) {
    const marker = template.text(key);
    if (!marker?.startsWith(RENDER_PREFIX)) continue;
    // Any other userData is already refused by the template safety rules: one problem, one line.
    if (key === 'userData' && marker.trim() !== WORKER_BOOT_MARKER) continue;
    try {
      renderTemplateScript(repoRoot, key, marker, idle, tokens, marker);
    } catch (error) {
      if (!(error instanceof UserInputError)) throw error;
      problems.push(
        problemAt(
          template.get(key)!.loc,
          `${template.path}.${key}`,
          `cannot render the worker script: ${error.message}`,
        ),
      );
    }
  }
}

/** `@render:` anywhere else would reach Jenkins as that literal text. */
function checkRenderMarkers(tree: CascTree, problems: Problem[]): void {
  walkScalars(tree.root, '', (scalar, path) => {
    if (typeof scalar.value !== 'string' || !scalar.value.startsWith(RENDER_PREFIX)) return;
    if (RENDERED_AT.test(path)) return;
    problems.push(
      problemAt(
        scalar.loc,
        path,
        `${RENDER_PREFIX} is rendered only in an EC2 template's userData and initScript; here Jenkins would get the text "${scalar.value}"`,
      ),
    );
  });
}

/** The plugin's parser reads the 6th field as encrypted only when it is the word `encrypted` (`true` = not). */
function checkDeviceMapping(template: TemplateView, report: Report): void {
  const mapping = template.text('customDeviceMapping');
  if (!mapping) return;
  for (const device of mapping.split(',')) {
    const [name, spec] = device.split('=');
    const encryptedField = spec?.split(':')[5];
    if (encryptedField !== 'encrypted') {
      const shown = encryptedField ? `"${encryptedField}"` : 'nothing';
      report(
        'customDeviceMapping',
        `${name}: the encrypted field must be the word 'encrypted' (expected encrypted, got ${shown}: the plugin would not encrypt)`,
      );
    }
  }
}

const SECRET_KEY = /(password|passwd|secret|token|passphrase|api[-_]?key|private[-_]?key)/i;
const NOT_A_SECRET_KEY = /(Id|Ids|Enabled|Name|Prefix)$/;
const PEM_BLOCK = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
const AWS_ACCESS_KEY_ID = /\b(AKIA|ASIA)[0-9A-Z]{16}\b/;

/** No literal secrets: secret-like keys hold a `${VAR}`, and no value carries a private key or access key. */
function checkSecrets(tree: CascTree, problems: Problem[]): void {
  walkScalars(tree.root, '', (scalar, path, key) => {
    if (typeof scalar.value !== 'string' || scalar.value === '') return;
    const text = scalar.value;
    if (PEM_BLOCK.test(text))
      problems.push(
        problemAt(scalar.loc, path, 'contains a PEM private key block: keep keys in Secrets Manager'),
      );
    else if (AWS_ACCESS_KEY_ID.test(text)) {
      problems.push(
        problemAt(
          scalar.loc,
          path,
          'contains an AWS access key id: use the instance profile, never keys in the YAML',
        ),
      );
    } else if (
      key &&
      SECRET_KEY.test(key) &&
      !NOT_A_SECRET_KEY.test(key) &&
      !WHOLE_VARIABLE.test(text.trim())
    ) {
      problems.push(
        problemAt(scalar.loc, path, `'${key}' looks like a literal secret: use a \${VAR} the stack provides`),
      );
    }
  });
}
