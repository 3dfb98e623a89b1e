/**
 * The cost-guard and security layers every EC2 template must carry, so a new or copied template cannot
 * silently drop one: the project's worker boot (it starts the idle watchdog), the init wait for that boot,
 * a non-root SSH user, IMDSv2, an encrypted root, the fleet tags, and numbers the plugin can read.
 */
import { FLEET_TAG_KEY, TEMPLATE_TAG_KEY } from '../contracts';
import type { TemplateView } from './fleet';
import { child, items, scalarText, type CascNode, type Loc } from '../jcasc/nodes';
import { problemAt, type Problem } from '../jcasc/problem';

/** The worker boot: a loader that starts the fallback idle stop and fetches the watchdog (docs/architecture.md "GPU worker boot"). */
export const WORKER_BOOT_MARKER = '@render:assets/worker/user-data.sh';
/** Written by the worker payload when Java and the watchdog are installed (assets/worker). */
export const BOOT_COMPLETE_FILE = '/var/lib/jenkins-gpu/boot-complete';
/** Tag keys the EC2 plugin sets itself and counts caps by (EC2Tag, ec2-plugin 2059; REFERENCE.md "Caps count"). */
const PLUGIN_TAG_KEYS: ReadonlySet<string> = new Set([
  'jenkins_slave_type',
  'jenkins_server_url',
  'jenkins_cloud_name',
]);
/** `jenkins-gpu:*` keys belong to the project (lib/contracts.ts); a template writes only these two. */
const PROJECT_TAG_PREFIX = 'jenkins-gpu:';
const TEMPLATE_WRITABLE_PROJECT_TAGS: ReadonlySet<string> = new Set([FLEET_TAG_KEY, TEMPLATE_TAG_KEY]);
const POSITIVE_INTEGER = /^[1-9]\d*$/;
const MAX_PORT = 65_535;

/** IMDSv2 only, one hop: containers on the worker cannot reach the instance role's credentials. */
const IMDS_SETTINGS: ReadonlyArray<[string, string]> = [
  ['metadataSupported', 'true'],
  ['metadataEndpointEnabled', 'true'],
  ['metadataTokensRequired', 'true'],
  ['metadataHopsLimit', '1'],
];

const got = (value: string | undefined): string =>
  value === undefined || value.trim() === '' ? 'nothing' : JSON.stringify(value);

export function checkTemplateSafety(template: TemplateView, problems: Problem[]): void {
  const report = (key: string, message: string): void => {
    problems.push(problemAt(template.get(key)?.loc ?? template.node.loc, `${template.path}.${key}`, message));
  };
  checkBoot(template, report);
  const admin = template.text('remoteAdmin')?.trim();
  if (!admin || admin === 'root') {
    report(
      'remoteAdmin',
      `remoteAdmin must name the AMI's login user (ubuntu on the Deep Learning AMI): blank means SSH as root, which the AMI refuses (got ${got(admin)})`,
    );
  }
  for (const [key, expected] of IMDS_SETTINGS) {
    const value = template.text(key)?.trim();
    if (value !== expected) {
      report(
        key,
        `${key} must be ${expected}: IMDSv2 only, one hop, keeps containers on the worker away from the instance role's credentials (got ${got(value)})`,
      );
    }
  }
  const encryption = template.text('ebsEncryptRootVolume')?.trim();
  if (encryption !== 'ENCRYPTED') {
    report(
      'ebsEncryptRootVolume',
      `ebsEncryptRootVolume must be ENCRYPTED: the root volume holds datasets, checkpoints and the workspace (got ${got(encryption)})`,
    );
  }
  checkNumbers(template, problems);
  checkTags(template, problems);
}

function checkBoot(template: TemplateView, report: (key: string, message: string) => void): void {
  const userData = template.text('userData')?.trim();
  if (userData !== WORKER_BOOT_MARKER) {
    report(
      'userData',
      `userData must be "${WORKER_BOOT_MARKER}": the project's worker boot starts the on-worker idle watchdog, the cost guard's second layer (got ${got(userData)})`,
    );
  }
  const initScript = template.text('initScript');
  if (!initScript?.includes(BOOT_COMPLETE_FILE)) {
    report(
      'initScript',
      `initScript must wait for the worker boot (test -f ${BOOT_COMPLETE_FILE}, as the shipped templates do): otherwise the agent starts before Java and the watchdog are installed (got ${initScript?.trim() ? `a script without ${BOOT_COMPLETE_FILE}` : 'nothing'})`,
    );
  }
}

/** Numbers the plugin reads with Integer.parseInt: a word there is not a typo the plugin reports. */
function checkNumbers(template: TemplateView, problems: Problem[]): void {
  const executors = template.get('numExecutors');
  const executorsText = scalarText(executors);
  if (executors && (executorsText === undefined || !POSITIVE_INTEGER.test(executorsText))) {
    problems.push(
      problemAt(
        executors.loc,
        `${template.path}.numExecutors`,
        `numExecutors must be a positive integer (expected a positive integer, got ${got(executorsText)})`,
      ),
    );
  }
  const port = child(child(template.get('amiType'), 'unixData'), 'sshPort');
  const portText = scalarText(port);
  if (port && (portText === undefined || !POSITIVE_INTEGER.test(portText) || Number(portText) > MAX_PORT)) {
    problems.push(
      problemAt(
        port.loc,
        `${template.path}.amiType.unixData.sshPort`,
        `sshPort must be a port number (expected 1-${MAX_PORT}, got ${got(portText)})`,
      ),
    );
  }
}

function checkTags(template: TemplateView, problems: Problem[]): void {
  const tags = items(template.get('tags'));
  const description = template.description?.trim();
  let templateTag: { value?: string; loc: Loc } | undefined;
  tags.forEach((tag: CascNode, i) => {
    const nameNode = child(tag, 'name');
    const name = scalarText(nameNode)?.trim() ?? '';
    const loc = nameNode?.loc ?? tag.loc;
    const path = `${template.path}.tags[${i}].name`;
    if (name === TEMPLATE_TAG_KEY) {
      const valueNode = child(tag, 'value');
      templateTag = { value: scalarText(valueNode)?.trim(), loc: valueNode?.loc ?? loc };
    } else if (name.startsWith(PROJECT_TAG_PREFIX) && !TEMPLATE_WRITABLE_PROJECT_TAGS.has(name)) {
      problems.push(
        problemAt(
          loc,
          path,
          `tag '${name}' is reserved: the project's cost guard owns jenkins-gpu:* tags (lib/contracts.ts); use another key`,
        ),
      );
    } else if (PLUGIN_TAG_KEYS.has(name)) {
      problems.push(
        problemAt(
          loc,
          path,
          `tag '${name}' is reserved: the EC2 plugin sets it and counts caps by it; use another key`,
        ),
      );
    }
  });
  if (!description) return;
  if (templateTag?.value !== description) {
    problems.push(
      problemAt(
        templateTag?.loc ?? template.get('tags')?.loc ?? template.node.loc,
        `${template.path}.tags`,
        `tags must include '${TEMPLATE_TAG_KEY}' with the description '${description}' as value: npm run workers attributes a worker's cost to its template by it (got ${got(templateTag?.value)})`,
      ),
    );
  }
}
