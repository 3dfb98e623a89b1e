import * as path from 'path';

import { type CascRule, ruleContext } from '../../../lib/casc/rules';
import { PRICE_TABLE } from '../../../lib/cost/prices';
import { loadCascTree } from '../../../lib/jcasc/load';
import type { Problem } from '../../../lib/jcasc/problem';
import { edit, REPO, SHIPPED_EC2_YAML, SHIPPED_FILE, tempTree } from '../helpers';

/** One rule's pair: a casc/ec2-cloud.yaml it accepts and one it reports, with a fragment of the report. */
export interface RuleCase {
  readonly id: string;
  /** The shipped casc/ec2-cloud.yaml (both templates) unless a near miss shows the rule's edge better. */
  readonly compliant: string;
  readonly nonCompliant: string;
  /** Part of the message the non-compliant YAML gets. */
  readonly says: string;
  /** The deployment setting hourlyBurnAlarmUsd for both YAMLs. @default 10 */
  readonly hourlyBurnAlarmUsd?: number;
}

/** The one-template shipped file after one edit. */
const oneTemplate = (from: string, to: string): string => edit(SHIPPED_EC2_YAML, from, to);
/** The shipped file (both templates) after one edit. */
const shipped = (from: string, to: string): string => edit(SHIPPED_FILE, from, to);
const SPOT_TYPE_AND_LABEL = 'type: g4dn.xlarge\n            labelString: tensorflow-spot';
const ON_DEMAND_INIT_SCRIPT =
  '            initScript: |\n              timeout 900 cloud-init status --wait >/dev/null || true\n              test -f /var/lib/jenkins-gpu/boot-complete || { cat /var/lib/jenkins-gpu/boot-failed 2>/dev/null; exit 1; }\n';
const labelsShared = shipped('labelString: tensorflow\n', 'labelString: tensorflow tensorflow-spot\n');

export const RULE_CASES: readonly RuleCase[] = [
  {
    id: 'ec2-cloud-required',
    compliant: SHIPPED_FILE,
    nonCompliant: 'jenkins:\n  systemMessage: no clouds\n',
    says: 'jenkins.clouds must hold an amazonEC2 cloud',
  },
  {
    id: 'templates-required',
    compliant: SHIPPED_FILE,
    nonCompliant:
      'jenkins:\n  clouds:\n    - amazonEC2:\n        name: x\n        instanceCapStr: "1"\n        templates: []\n',
    says: 'templates must list at least one template',
  },
  {
    id: 'no-private-key',
    compliant: SHIPPED_FILE,
    nonCompliant: oneTemplate('sshKeysCredentialsId: worker-ssh-key', 'privateKey: "${WORKER_KEY}"'),
    says: 'privateKey is ignored by the EC2 plugin',
  },
  {
    id: 'description-unique',
    compliant: SHIPPED_FILE,
    nonCompliant: shipped('description: gpu-tensorflow-spot', 'description: gpu-tensorflow-ondemand'),
    says: "duplicate template description 'gpu-tensorflow-ondemand' (first at line 17 of",
  },
  {
    id: 'instance-type',
    compliant: oneTemplate('type: g4dn.xlarge', 'type: c5.large'),
    nonCompliant: oneTemplate('type: g4dn.xlarge', 'type: g4dn.huge'),
    says: "unknown EC2 instance type 'g4dn.huge'",
  },
  {
    id: 'gpu-mode-exclusive',
    compliant: shipped(SPOT_TYPE_AND_LABEL, 'type: c5.large\n            labelString: cpu').replace(
      'mode: EXCLUSIVE\n            numExecutors: 1\n            spotConfig',
      'mode: NORMAL\n            numExecutors: 1\n            spotConfig',
    ),
    nonCompliant: oneTemplate('mode: EXCLUSIVE', 'mode: NORMAL'),
    says: 'a GPU template must be EXCLUSIVE',
  },
  {
    id: 'gpu-label-required',
    compliant: SHIPPED_FILE,
    nonCompliant: oneTemplate('            labelString: tensorflow\n', ''),
    says: 'a GPU template needs a labelString',
  },
  {
    id: 'idle-termination',
    compliant: oneTemplate('idleTerminationMinutes: "10"', 'idleTerminationMinutes: "1440"'),
    nonCompliant: oneTemplate('idleTerminationMinutes: "10"', 'idleTerminationMinutes: "1441"'),
    says: 'idleTerminationMinutes must be at most 1440 (a day)',
  },
  {
    id: 'launch-timeout',
    compliant: oneTemplate('launchTimeoutStr: "1200"', 'launchTimeoutStr: "3600"'),
    nonCompliant: oneTemplate('launchTimeoutStr: "1200"', 'launchTimeoutStr: "3601"'),
    says: 'launchTimeoutStr must be at most 3600 seconds (an hour)',
  },
  {
    id: 'instance-cap',
    compliant: oneTemplate('instanceCapStr: "4"', 'instanceCapStr: "2147483647"'),
    nonCompliant: oneTemplate('instanceCapStr: "2"', 'instanceCapStr: "0"'),
    says: 'template instanceCapStr "0" blocks every launch of this template',
  },
  {
    id: 'name-tag',
    compliant: SHIPPED_FILE,
    nonCompliant: oneTemplate('              - name: Name\n                value: managed-by-jenkins\n', ''),
    says: "tags must include a 'Name' tag",
  },
  {
    id: 'device-mapping-encrypted',
    compliant: SHIPPED_FILE,
    nonCompliant: oneTemplate('gp3::encrypted"', 'gp3::true"'),
    says: `/dev/sda1: the encrypted field must be the word 'encrypted' (expected encrypted, got "true"`,
  },
  {
    id: 'worker-boot',
    compliant: SHIPPED_FILE,
    nonCompliant: oneTemplate('userData: "@render:assets/worker/user-data.sh"', 'userData: "#!/bin/bash"'),
    says: 'userData must be "@render:assets/worker/user-data.sh"',
  },
  {
    id: 'init-waits-for-boot',
    compliant: SHIPPED_FILE,
    nonCompliant: oneTemplate('test -f /var/lib/jenkins-gpu/boot-complete ||', 'true ||'),
    says: 'initScript must wait for the worker boot',
  },
  {
    id: 'remote-admin',
    compliant: oneTemplate('remoteAdmin: ubuntu', 'remoteAdmin: "ubuntu"'),
    nonCompliant: oneTemplate('remoteAdmin: ubuntu', 'remoteAdmin: ec2-user'),
    says: 'remoteAdmin must be ubuntu, the Deep Learning AMI\'s login user: the worker setup (assets/worker/setup.sh) gives it the agent\'s directory and builds run as it; blank means SSH as root, which the AMI refuses (got "ec2-user")',
  },
  {
    id: 'remote-fs',
    compliant: oneTemplate('remoteFS: /home/ubuntu/jenkins', 'remoteFS: "/home/ubuntu/jenkins"'),
    nonCompliant: oneTemplate('remoteFS: /home/ubuntu/jenkins', 'remoteFS: /data/jenkins'),
    says: 'remoteFS must be /home/ubuntu/jenkins: the worker setup creates it for the agent, and the idle watchdog finds running builds by their logs under it (elsewhere, a training run looks idle and its worker is stopped) (got "/data/jenkins")',
  },
  {
    id: 'imds-v2',
    compliant: SHIPPED_FILE,
    nonCompliant: oneTemplate('metadataHopsLimit: 1', 'metadataHopsLimit: 2'),
    says: 'metadataHopsLimit must be 1: IMDSv2 only, one hop',
  },
  {
    id: 'root-volume-encrypted',
    compliant: SHIPPED_FILE,
    nonCompliant: oneTemplate('ebsEncryptRootVolume: ENCRYPTED', 'ebsEncryptRootVolume: UNENCRYPTED'),
    says: 'ebsEncryptRootVolume must be ENCRYPTED',
  },
  {
    id: 'num-executors',
    compliant: oneTemplate('numExecutors: 1', 'numExecutors: 2'),
    nonCompliant: oneTemplate('numExecutors: 1', 'numExecutors: one'),
    says: 'numExecutors must be a positive integer (expected a positive integer, got "one")',
  },
  {
    id: 'ssh-port',
    compliant: oneTemplate('sshPort: "22"', 'sshPort: "65535"'),
    nonCompliant: oneTemplate('sshPort: "22"', 'sshPort: "65536"'),
    says: 'sshPort must be a port number (expected 1-65535, got "65536")',
  },
  {
    id: 'reserved-tags',
    compliant: oneTemplate(
      '              - name: Name\n',
      '              - name: team\n                value: ml\n              - name: Name\n',
    ),
    nonCompliant: oneTemplate(
      '              - name: Name\n',
      '              - name: jenkins_cloud_name\n                value: x\n              - name: Name\n',
    ),
    says: "tag 'jenkins_cloud_name' is reserved: the EC2 plugin sets it",
  },
  {
    id: 'template-tag',
    compliant: SHIPPED_FILE,
    nonCompliant: oneTemplate('value: gpu-tensorflow-ondemand', 'value: another'),
    says: "tags must include 'jenkins-gpu:template' with the description 'gpu-tensorflow-ondemand' as value",
  },
  {
    id: 'fleet-tag',
    compliant: SHIPPED_FILE,
    nonCompliant: oneTemplate('value: "${FLEET_TAG_VALUE}"', 'value: prod'),
    says: 'tags must include \'jenkins-gpu:fleet\' with value "${FLEET_TAG_VALUE}"',
  },
  {
    id: 'stack-bindings',
    compliant: SHIPPED_FILE,
    nonCompliant: oneTemplate('ami: "${WORKER_AMI_ID}"', 'ami: ami-0123456789abcdef0'),
    says: 'ami must be "${WORKER_AMI_ID}": the stack fills it',
  },
  {
    id: 'spot-no-bid-price',
    compliant: SHIPPED_FILE,
    nonCompliant: shipped('useBidPrice: false', 'useBidPrice: true'),
    says: 'spotConfig.useBidPrice must be false',
  },
  {
    id: 'spot-terminates',
    compliant: SHIPPED_FILE,
    nonCompliant: shipped('stopOnTerminate: false', 'stopOnTerminate: true'),
    says: 'stopOnTerminate: spot workers cannot be stopped',
  },
  {
    id: 'render-script',
    compliant: SHIPPED_FILE,
    nonCompliant: oneTemplate(
      ON_DEMAND_INIT_SCRIPT,
      '            initScript: "@render:assets/worker/no-such-script.sh"\n',
    ),
    says: 'cannot render the worker script: ',
  },
  {
    id: 'render-marker-placement',
    compliant: SHIPPED_FILE,
    nonCompliant: oneTemplate(
      'remoteFS: /home/ubuntu/jenkins',
      'remoteFS: "@render:assets/worker/user-data.sh"',
    ),
    says: "@render: is rendered only in an EC2 template's userData and initScript",
  },
  {
    id: 'no-literal-secrets',
    compliant: oneTemplate(
      'sshKeysCredentialsId: worker-ssh-key',
      'sshKeysCredentialsId: worker-ssh-key\n        apiToken: "${API_TOKEN}"',
    ),
    nonCompliant: oneTemplate(
      'sshKeysCredentialsId: worker-ssh-key',
      'sshKeysCredentialsId: worker-ssh-key\n        apiToken: abc123',
    ),
    says: "'apiToken' looks like a literal secret",
  },
  {
    id: 'cloud-cap-reachable',
    compliant: SHIPPED_FILE,
    nonCompliant: SHIPPED_EC2_YAML,
    says: "cloud instanceCapStr 4 is above the templates' caps together (2 = 2)",
  },
  {
    id: 'burn-alarm',
    // Three of the shipped g4dn.xlarge workers cost $1.58/hour, four $2.10.
    compliant: shipped('instanceCapStr: "4"', 'instanceCapStr: "3"'),
    nonCompliant: SHIPPED_FILE,
    says: "with all 4 workers running the fleet costs $2.10/hour, above the burn alarm's $2/hour",
    hourlyBurnAlarmUsd: 2,
  },
  {
    id: 'zone-unset',
    compliant: SHIPPED_FILE,
    nonCompliant: oneTemplate('type: g4dn.xlarge', 'type: g4dn.xlarge\n            zone: us-east-1a'),
    says: 'zone must not be set',
  },
  {
    id: 'stopped-reuse',
    compliant: shipped(
      'stopOnTerminate: false',
      'stopOnTerminate: false\n            avoidUsingOrphanedNodes: true',
    ),
    nonCompliant: oneTemplate(
      'stopOnTerminate: true',
      'stopOnTerminate: true\n            avoidUsingOrphanedNodes: true',
    ),
    says: 'avoidUsingOrphanedNodes must not be true with stopOnTerminate: true',
  },
  {
    id: 'gpu-label-shared',
    compliant: shipped(SPOT_TYPE_AND_LABEL, 'type: c5.large\n            labelString: cpu'),
    nonCompliant: shipped(SPOT_TYPE_AND_LABEL, 'type: c5.large\n            labelString: tensorflow'),
    says: "label 'tensorflow' is also on GPU template 'gpu-tensorflow-ondemand': a job asking for it could run on this c5.large",
  },
  {
    id: 'gpu-label-wording',
    compliant: shipped(SPOT_TYPE_AND_LABEL, 'type: c5.large\n            labelString: cpu'),
    nonCompliant: shipped(SPOT_TYPE_AND_LABEL, 'type: c5.large\n            labelString: cuda-small'),
    says: "label 'cuda-small' promises a GPU but c5.large has none",
  },
  {
    id: 'fallback-reachable',
    compliant: labelsShared,
    nonCompliant: edit(
      labelsShared,
      '            instanceCapStr: "2"\n            # Seconds',
      '            instanceCapStr: "4"\n            # Seconds',
    ),
    says: "template 'gpu-tensorflow-spot' takes builds only as failover (when 'gpu-tensorflow-ondemand' above it fail for capacity in every zone), never as overflow",
  },
];

/** What `rule` reports on `ec2Yaml` as casc/ec2-cloud.yaml, the repository's scripts rendering `@render:`. */
export function ruleProblems(rule: CascRule, ec2Yaml: string, hourlyBurnAlarmUsd?: number): Problem[] {
  const dir = tempTree({ 'casc/ec2-cloud.yaml': ec2Yaml });
  const loaded = loadCascTree(path.join(dir, 'casc'));
  if (!loaded.tree || loaded.problems.length > 0)
    throw new Error(`the case YAML does not load: ${loaded.problems.map((p) => p.message).join('; ')}`);
  return rule.check(ruleContext(loaded.tree, { repoRoot: REPO, prices: PRICE_TABLE, hourlyBurnAlarmUsd }));
}
