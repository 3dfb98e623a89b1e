import { edit, lineOf, SHIPPED_EC2_YAML, SHIPPED_FILE, validateEc2, withSpotTemplate } from './helpers';

// Built at run time so the repository holds no secret-looking literal (AWS's documented example key).
const FAKE_ACCESS_KEY = 'AKIA' + 'IOSFODNN7EXAMPLE';
const FAKE_PEM = ['-----BEGIN', 'RSA PRIVATE KEY-----'].join(' ');
const T0 = 'jenkins.clouds[0].amazonEC2.templates[0]';
const CLOUD = 'jenkins.clouds[0].amazonEC2';

/** Problems of the shipped YAML after one edit (jobs/ absent, stand-in plugins). */
function problemsAfter(from: string, to: string): { lines: string[]; yaml: string } {
  const yaml = edit(SHIPPED_EC2_YAML, from, to);
  return { lines: validateEc2(yaml).lines, yaml };
}

describe('policy', () => {
  it('accepts the shipped ec2-cloud.yaml', () => {
    const result = validateEc2(SHIPPED_FILE);
    expect(result.allLines).toEqual([]);
    expect(result.summary).toBe(
      'casc OK: 1 cloud (gpu-workers-${STACK_NAME}: at most 4 running = min(cloud cap 4, templates 2 + 2)); 2 templates (gpu-tensorflow-ondemand g4dn.xlarge cap 2 idle 10 min, ' +
        'gpu-tensorflow-spot g4dn.xlarge cap 2 idle 10 min); $2.10/hour with every worker running (us-east-1 on-demand; burn alarm at $10/hour); ' +
        'vCPU quota needed: 8 of L-DB2E81BA (Running On-Demand G and VT instances), 8 of L-3819A6DF (All G and VT Spot Instance Requests)',
    );
  });

  it('requires EXCLUSIVE mode for a GPU template', () => {
    const { lines, yaml } = problemsAfter('mode: EXCLUSIVE', 'mode: NORMAL');
    expect(lines).toEqual([
      `casc/ec2-cloud.yaml:${lineOf(yaml, 'mode: NORMAL')}: ${T0}.mode: [gpu-mode-exclusive] a GPU template must be EXCLUSIVE so only jobs that ask for its label start a GPU machine (expected EXCLUSIVE, got NORMAL)`,
    ]);
  });

  it('requires a label on a GPU template', () => {
    const { lines } = problemsAfter('            labelString: tensorflow\n', '');
    expect(lines).toEqual([
      `casc/ec2-cloud.yaml:${lineOf(SHIPPED_EC2_YAML, '- description: gpu-tensorflow-ondemand')}: ${T0}.labelString: [gpu-label-required] a GPU template needs a labelString: jobs select GPU workers by label`,
    ]);
  });

  it('requires idleTerminationMinutes, a positive integer', () => {
    const missing = problemsAfter('            idleTerminationMinutes: "10"\n', '');
    expect(missing.lines).toEqual([
      expect.stringContaining(
        `${T0}.idleTerminationMinutes: [idle-termination] idleTerminationMinutes must be set: omitted means an idle GPU worker is never stopped`,
      ),
    ]);
    const zero = problemsAfter('idleTerminationMinutes: "10"', 'idleTerminationMinutes: "0"');
    expect(zero.lines).toEqual([
      `casc/ec2-cloud.yaml:${lineOf(zero.yaml, 'idleTerminationMinutes')}: ${T0}.idleTerminationMinutes: [idle-termination] idleTerminationMinutes must be a positive integer (expected a positive integer, got "0")`,
    ]);
  });

  it('requires launchTimeoutStr, a positive integer', () => {
    expect(problemsAfter('            launchTimeoutStr: "1200"\n', '').lines).toEqual([
      expect.stringContaining(
        `${T0}.launchTimeoutStr: [launch-timeout] launchTimeoutStr must be set: omitted means a hung launch is never cleaned up`,
      ),
    ]);
    expect(problemsAfter('launchTimeoutStr: "1200"', 'launchTimeoutStr: "-1"').lines).toEqual([
      expect.stringContaining(
        `${T0}.launchTimeoutStr: [launch-timeout] launchTimeoutStr must be a positive integer (expected a positive integer, got "-1")`,
      ),
    ]);
  });

  it('requires a Name tag', () => {
    const { lines } = problemsAfter(
      '              - name: Name\n                value: managed-by-jenkins\n',
      '',
    );
    expect(lines).toEqual([
      expect.stringContaining(
        `${T0}.tags: [name-tag] tags must include a 'Name' tag (e.g. managed-by-jenkins): the plugin never sets one`,
      ),
    ]);
  });

  it('rejects zero, missing and non-numeric caps at cloud and template level', () => {
    const cloudZero = problemsAfter('instanceCapStr: "4"', 'instanceCapStr: "0"');
    expect(cloudZero.lines).toEqual([
      `casc/ec2-cloud.yaml:${lineOf(cloudZero.yaml, 'instanceCapStr: "0"')}: ${CLOUD}.instanceCapStr: [instance-cap] cloud instanceCapStr "0" blocks every launch (expected a positive integer, got "0")`,
    ]);
    const templateZero = problemsAfter('instanceCapStr: "2"', 'instanceCapStr: "0"');
    expect(templateZero.lines).toEqual([
      `casc/ec2-cloud.yaml:${lineOf(templateZero.yaml, 'instanceCapStr: "0"')}: ${T0}.instanceCapStr: [instance-cap] template instanceCapStr "0" blocks every launch of this template in the EC2 plugin (expected a positive integer, got "0")`,
    ]);
    expect(problemsAfter('instanceCapStr: "2"', 'instanceCapStr: "two"').lines).toEqual([
      expect.stringContaining(
        `${T0}.instanceCapStr: [instance-cap] instanceCapStr must be a positive integer (expected a positive integer, got "two")`,
      ),
    ]);
    expect(problemsAfter('        instanceCapStr: "4"\n', '').lines).toEqual([
      expect.stringContaining(
        `${CLOUD}.instanceCapStr: [instance-cap] instanceCapStr must be set at cloud level: empty means unlimited GPU machines`,
      ),
    ]);
  });

  it('requires a real EC2 instance type', () => {
    expect(problemsAfter('type: g4dn.xlarge', 'type: g4dn.xlrge').lines).toEqual([
      expect.stringContaining(
        `${T0}.type: [instance-type] unknown EC2 instance type 'g4dn.xlrge' (did you mean 'g4dn.xlarge'?) (types are listed in data/ec2-instance-types.json)`,
      ),
    ]);
  });

  it('requires unique template descriptions', () => {
    // A copy that keeps the description (and so its matching template tag).
    const second = withSpotTemplate()
      .replace('description: gpu-tensorflow-spot', 'description: gpu-tensorflow-ondemand')
      .replace('value: gpu-tensorflow-spot', 'value: gpu-tensorflow-ondemand');
    expect(validateEc2(second).lines).toEqual([
      expect.stringMatching(
        /jenkins\.clouds\[0\]\.amazonEC2\.templates\[1\]\.description: \[description-unique\] duplicate template description 'gpu-tensorflow-ondemand' \(first at line \d+ of /,
      ),
    ]);
  });

  it('rejects privateKey and literal secrets', () => {
    const yaml = edit(
      SHIPPED_EC2_YAML,
      '        sshKeysCredentialsId: worker-ssh-key\n',
      '        sshKeysCredentialsId: worker-ssh-key\n        privateKey: "${ADMIN_PASSWORD}"\n',
    );
    expect(validateEc2(yaml).lines).toEqual([
      expect.stringContaining(
        `${CLOUD}.privateKey: [no-private-key] privateKey is ignored by the EC2 plugin and puts key material in the YAML; use sshKeysCredentialsId`,
      ),
    ]);
    const secrets = validateEc2(SHIPPED_EC2_YAML, {
      'casc/jenkins.yaml':
        'jenkins:\n  securityRealm:\n    local:\n      users:\n        - id: admin\n          password: hunter2\n' +
        'unclassified:\n  location:\n    url: "${JENKINS_URL}"\n    adminAddress: "' +
        FAKE_ACCESS_KEY +
        '"\n' +
        '  awsCredentialsProvider:\n    client:\n      clientConfiguration:\n        proxyPassword: "' +
        FAKE_PEM +
        '"\n',
      'casc/plugins.txt': 'configuration-as-code:1\nec2:1\naws-secrets-manager-credentials-provider:1\n',
    });
    expect(secrets.lines).toEqual([
      "casc/jenkins.yaml:6: jenkins.securityRealm.local.users[0].password: [no-literal-secrets] 'password' looks like a literal secret: use a ${VAR} the stack provides",
      'casc/jenkins.yaml:10: unclassified.location.adminAddress: [no-literal-secrets] contains an AWS access key id: use the instance profile, never keys in the YAML',
      'casc/jenkins.yaml:14: unclassified.awsCredentialsProvider.client.clientConfiguration.proxyPassword: [no-literal-secrets] contains a PEM private key block: keep keys in Secrets Manager',
    ]);
  });

  it('accepts the shipped spot template, which terminates idle workers', () => {
    expect(validateEc2(withSpotTemplate()).lines).toEqual([]);
  });

  it('rejects stopOnTerminate: true on a spot template (AWS cannot stop one-time spot instances)', () => {
    const shipped = withSpotTemplate();
    const yaml = edit(shipped, 'stopOnTerminate: false', 'stopOnTerminate: true');
    expect(validateEc2(yaml).lines).toEqual([
      `casc/ec2-cloud.yaml:${lineOf(shipped, 'stopOnTerminate: false')}: ${CLOUD}.templates[1].stopOnTerminate: [spot-terminates] stopOnTerminate: spot workers cannot be stopped (AWS rejects StopInstances on one-time spot instances); set false so idle spot workers are terminated (got true)`,
    ]);
    // Omitted means false (terminate): allowed.
    expect(validateEc2(edit(shipped, '            stopOnTerminate: false\n', '')).lines).toEqual([]);
  });

  it("checks the customDeviceMapping encrypted field (the plugin reads only the word 'encrypted')", () => {
    expect(problemsAfter('gp3::encrypted', 'gp3::true').lines).toEqual([
      expect.stringContaining(
        `${T0}.customDeviceMapping: [device-mapping-encrypted] /dev/sda1: the encrypted field must be the word 'encrypted'`,
      ),
    ]);
  });

  it('requires the fleet tag on every template (IAM only lets the controller launch tagged workers)', () => {
    const { lines, yaml } = problemsAfter('value: "${FLEET_TAG_VALUE}"', 'value: "my-fleet"');
    expect(lines).toEqual([
      `casc/ec2-cloud.yaml:${lineOf(yaml, '- name: Name')}: ${T0}.tags: [fleet-tag] tags must include 'jenkins-gpu:fleet' with value "\${FLEET_TAG_VALUE}": the controller may only launch, and the reaper only watches, instances with this stack's fleet tag`,
    ]);
  });

  it('rejects bid-price spot requests (tagged only after fulfilment)', () => {
    const shipped = withSpotTemplate();
    const yaml = edit(shipped, 'useBidPrice: false', 'useBidPrice: true');
    expect(validateEc2(yaml).lines).toEqual([
      `casc/ec2-cloud.yaml:${lineOf(shipped, 'useBidPrice: false')}: ${CLOUD}.templates[1].spotConfig: [spot-no-bid-price] spotConfig.useBidPrice must be false: bid-price spot requests are tagged only after fulfilment, so the fleet tag the controller and the reaper rely on would be missing (got true)`,
    ]);
  });

  it.each([
    ['ami', '"${WORKER_AMI_ID}"', 'ami-0123456789abcdef0', 'WORKER_AMI_ID'],
    ['subnetId', '"${WORKER_SUBNET_IDS}"', 'subnet-0123456789abcdef0', 'WORKER_SUBNET_IDS'],
    ['securityGroups', '"${WORKER_SECURITY_GROUP_ID}"', 'sg-0123456789abcdef0', 'WORKER_SECURITY_GROUP_ID'],
  ])(
    'requires %s to be the stack variable (IAM and the reaper follow it)',
    (key, shipped, literal, variable) => {
      const { lines, yaml } = problemsAfter(`${key}: ${shipped}`, `${key}: ${literal}`);
      expect(lines).toEqual([
        `casc/ec2-cloud.yaml:${lineOf(yaml, `${key}: ${literal}`)}: ${T0}.${key}: [stack-bindings] ${key} must be "\${${variable}}": the stack fills it (settings workerAmiId/workerAmiParameter, the network and the worker fleet) and scopes the controller's IAM and the reaper to it (got "${literal}")`,
      ]);
    },
  );

  // Each layer a new or copied template could silently drop (issue "Every casc edit a user can make gets a
  // true verdict"); the shipped templates carry all of them.
  describe('template safety', () => {
    const BOOT = '            userData: "@render:assets/worker/user-data.sh"\n';
    const INIT_START = '            initScript: |\n';

    function withoutInitScript(): string {
      const start = SHIPPED_EC2_YAML.indexOf(INIT_START);
      const end = SHIPPED_EC2_YAML.indexOf('            amiType:');
      return SHIPPED_EC2_YAML.slice(0, start) + SHIPPED_EC2_YAML.slice(end);
    }
    const templateLine = lineOf(SHIPPED_EC2_YAML, '- description: gpu-tensorflow-ondemand');

    it('requires the project worker boot in userData (it starts the idle watchdog)', () => {
      expect(problemsAfter(BOOT, '').lines).toEqual([
        `casc/ec2-cloud.yaml:${templateLine}: ${T0}.userData: [worker-boot] userData must be "@render:assets/worker/user-data.sh": the project's worker boot starts the on-worker idle watchdog, the cost guard's second layer (got nothing)`,
      ]);
      const own = problemsAfter('"@render:assets/worker/user-data.sh"', '"#!/bin/bash\\necho hi"');
      expect(own.lines).toEqual([
        `casc/ec2-cloud.yaml:${lineOf(own.yaml, 'userData:')}: ${T0}.userData: [worker-boot] userData must be "@render:assets/worker/user-data.sh": the project's worker boot starts the on-worker idle watchdog, the cost guard's second layer (got "#!/bin/bash\\necho hi")`,
      ]);
    });

    it('requires the initScript to wait for boot-complete', () => {
      expect(validateEc2(withoutInitScript()).lines).toEqual([
        `casc/ec2-cloud.yaml:${templateLine}: ${T0}.initScript: [init-waits-for-boot] initScript must wait for the worker boot (test -f /var/lib/jenkins-gpu/boot-complete, as the shipped templates do): otherwise the agent starts before Java and the watchdog are installed (got nothing)`,
      ]);
      const other = problemsAfter('test -f /var/lib/jenkins-gpu/boot-complete', 'test -f /tmp/ready');
      expect(other.lines).toEqual([
        `casc/ec2-cloud.yaml:${lineOf(other.yaml, 'initScript:')}: ${T0}.initScript: [init-waits-for-boot] initScript must wait for the worker boot (test -f /var/lib/jenkins-gpu/boot-complete, as the shipped templates do): otherwise the agent starts before Java and the watchdog are installed (got a script without /var/lib/jenkins-gpu/boot-complete)`,
      ]);
    });

    it('requires remoteAdmin ubuntu, the user the worker setup prepares (blank means root, which the Deep Learning AMI refuses)', () => {
      const message = (shown: string): string =>
        `[remote-admin] remoteAdmin must be ubuntu, the Deep Learning AMI's login user: the worker setup (assets/worker/setup.sh) gives it the agent's directory and builds run as it; blank means SSH as root, which the AMI refuses (got ${shown})`;
      expect(problemsAfter('            remoteAdmin: ubuntu\n', '').lines).toEqual([
        `casc/ec2-cloud.yaml:${templateLine}: ${T0}.remoteAdmin: ${message('nothing')}`,
      ]);
      const root = problemsAfter('remoteAdmin: ubuntu', 'remoteAdmin: root');
      expect(root.lines).toEqual([
        `casc/ec2-cloud.yaml:${lineOf(root.yaml, 'remoteAdmin')}: ${T0}.remoteAdmin: ${message('"root"')}`,
      ]);
      const other = problemsAfter('remoteAdmin: ubuntu', 'remoteAdmin: ec2-user');
      expect(other.lines).toEqual([
        `casc/ec2-cloud.yaml:${lineOf(other.yaml, 'remoteAdmin')}: ${T0}.remoteAdmin: ${message('"ec2-user"')}`,
      ]);
    });

    it('requires remoteFS /home/ubuntu/jenkins, where the idle watchdog looks for running builds', () => {
      const moved = problemsAfter('remoteFS: /home/ubuntu/jenkins', 'remoteFS: /data/jenkins');
      expect(moved.lines).toEqual([
        `casc/ec2-cloud.yaml:${lineOf(moved.yaml, 'remoteFS')}: ${T0}.remoteFS: [remote-fs] remoteFS must be /home/ubuntu/jenkins: the worker setup creates it for the agent, and the idle watchdog finds running builds by their logs under it (elsewhere, a training run looks idle and its worker is stopped) (got "/data/jenkins")`,
      ]);
    });

    it.each([
      ['metadataSupported', 'true', 'false'],
      ['metadataEndpointEnabled', 'true', 'false'],
      ['metadataTokensRequired', 'true', 'false'],
      ['metadataHopsLimit', '1', '2'],
    ])('requires IMDSv2 with one hop: %s', (key, shipped, changed) => {
      const why =
        "IMDSv2 only, one hop, keeps containers on the worker away from the instance role's credentials";
      const edited = problemsAfter(`${key}: ${shipped}`, `${key}: ${changed}`);
      expect(edited.lines).toEqual([
        `casc/ec2-cloud.yaml:${lineOf(edited.yaml, `${key}:`)}: ${T0}.${key}: [imds-v2] ${key} must be ${shipped}: ${why} (got "${changed}")`,
      ]);
      expect(problemsAfter(`            ${key}: ${shipped}\n`, '').lines).toEqual([
        `casc/ec2-cloud.yaml:${templateLine}: ${T0}.${key}: [imds-v2] ${key} must be ${shipped}: ${why} (got nothing)`,
      ]);
    });

    it('requires an encrypted root volume', () => {
      expect(problemsAfter('            ebsEncryptRootVolume: ENCRYPTED\n', '').lines).toEqual([
        `casc/ec2-cloud.yaml:${templateLine}: ${T0}.ebsEncryptRootVolume: [root-volume-encrypted] ebsEncryptRootVolume must be ENCRYPTED: the root volume holds datasets, checkpoints and the workspace (got nothing)`,
      ]);
      const blank = problemsAfter('gp3::encrypted"', 'gp3:"');
      expect(blank.lines).toEqual([
        `casc/ec2-cloud.yaml:${lineOf(blank.yaml, 'customDeviceMapping:')}: ${T0}.customDeviceMapping: [device-mapping-encrypted] /dev/sda1: the encrypted field must be the word 'encrypted' (expected encrypted, got nothing: the plugin would not encrypt)`,
      ]);
    });

    it('reads numExecutors and sshPort as numbers', () => {
      const executors = problemsAfter('numExecutors: 1', 'numExecutors: one');
      expect(executors.lines).toEqual([
        `casc/ec2-cloud.yaml:${lineOf(executors.yaml, 'numExecutors')}: ${T0}.numExecutors: [num-executors] numExecutors must be a positive integer (expected a positive integer, got "one")`,
      ]);
      const port = problemsAfter('sshPort: "22"', 'sshPort: "twenty-two"');
      expect(port.lines).toEqual([
        `casc/ec2-cloud.yaml:${lineOf(port.yaml, 'sshPort')}: ${T0}.amiType.unixData.sshPort: [ssh-port] sshPort must be a port number (expected 1-65535, got "twenty-two")`,
      ]);
      expect(problemsAfter('sshPort: "22"', 'sshPort: "65536"').lines).toEqual([
        expect.stringContaining('(expected 1-65535, got "65536")'),
      ]);
      expect(problemsAfter('sshPort: "22"', 'sshPort: 2222').lines).toEqual([]);
    });

    it("requires the template tag to equal the description (a copied template keeps another's tag)", () => {
      const copied = problemsAfter('value: gpu-tensorflow-ondemand', 'value: gpu-tensorflow-spot');
      expect(copied.lines).toEqual([
        `casc/ec2-cloud.yaml:${lineOf(copied.yaml, 'value: gpu-tensorflow-spot')}: ${T0}.tags: [template-tag] tags must include 'jenkins-gpu:template' with the description 'gpu-tensorflow-ondemand' as value: npm run workers attributes a worker's cost to its template by it (got "gpu-tensorflow-spot")`,
      ]);
      const missing = problemsAfter(
        '              - name: "jenkins-gpu:template"\n                value: gpu-tensorflow-ondemand\n',
        '',
      );
      expect(missing.lines).toEqual([
        `casc/ec2-cloud.yaml:${lineOf(missing.yaml, '- name: Name')}: ${T0}.tags: [template-tag] tags must include 'jenkins-gpu:template' with the description 'gpu-tensorflow-ondemand' as value: npm run workers attributes a worker's cost to its template by it (got nothing)`,
      ]);
    });

    it.each([
      ['jenkins-gpu:busy-at', "the project's cost guard owns jenkins-gpu:* tags (lib/contracts.ts)"],
      ['jenkins-gpu:role', "the project's cost guard owns jenkins-gpu:* tags (lib/contracts.ts)"],
      ['jenkins_slave_type', 'the EC2 plugin sets it and counts caps by it'],
      ['jenkins_server_url', 'the EC2 plugin sets it and counts caps by it'],
      ['jenkins_cloud_name', 'the EC2 plugin sets it and counts caps by it'],
    ])('refuses the reserved tag key %s', (key, why) => {
      const { lines, yaml } = problemsAfter(
        '              - name: Name\n',
        `              - name: "${key}"\n                value: x\n              - name: Name\n`,
      );
      expect(lines).toEqual([
        `casc/ec2-cloud.yaml:${lineOf(yaml, `name: "${key}"`)}: ${T0}.tags[0].name: [reserved-tags] tag '${key}' is reserved: ${why}; use another key`,
      ]);
    });
  });

  // Rules `cdk synth` enforces on values derived from the YAML (lib/casc/synth-check.ts, CostGuard,
  // GpuWorkerFleet, the bundle renderer): each is a validator rule, so a YAML that passes here synthesizes.
  describe('what synth needs', () => {
    it('requires an amazonEC2 cloud (the cost guard and the launch permissions come from it)', () => {
      const lines = validateEc2(SHIPPED_EC2_YAML, {
        'casc/ec2-cloud.yaml': 'jenkins:\n  clouds: []\n',
      }).lines;
      expect(lines).toEqual([
        "casc/ec2-cloud.yaml:2: jenkins.clouds: [ec2-cloud-required] jenkins.clouds must hold an amazonEC2 cloud: the stack derives the GPU workers' launch permissions and the cost guard from it (got none)",
      ]);
    });

    it('requires a template in every cloud', () => {
      const start = SHIPPED_EC2_YAML.indexOf('        templates:\n');
      const end = SHIPPED_EC2_YAML.indexOf('        cleanUpOrphanedNodes: true');
      const yaml = SHIPPED_EC2_YAML.slice(0, start) + '        templates: []\n' + SHIPPED_EC2_YAML.slice(end);
      expect(validateEc2(yaml).lines).toEqual([
        `casc/ec2-cloud.yaml:${lineOf(yaml, 'templates: []')}: ${CLOUD}.templates: [templates-required] templates must list at least one template: a cloud without one launches nothing, and the controller may only launch the instance types templates name (got none)`,
      ]);
    });

    it('bounds idleTerminationMinutes at a day (the reaper lifetime is derived from it; 10080 used to crash synth)', () => {
      const week = problemsAfter('idleTerminationMinutes: "10"', 'idleTerminationMinutes: "10080"');
      expect(week.lines).toEqual([
        `casc/ec2-cloud.yaml:${lineOf(week.yaml, 'idleTerminationMinutes')}: ${T0}.idleTerminationMinutes: [idle-termination] idleTerminationMinutes must be at most 1440 (a day): an idle GPU kept longer is never intended, and the reaper's hard lifetime of a running worker is derived from it (got "10080")`,
      ]);
      expect(problemsAfter('idleTerminationMinutes: "10"', 'idleTerminationMinutes: "1440"').lines).toEqual(
        [],
      );
    });

    it('reads numbers as the plugin does: Integer.parseInt of the YAML text, no spaces, no 10.0', () => {
      for (const [written, shown] of [
        ['" 10"', ' 10'],
        ['10.0', '10.0'],
        ['1e1', '1e1'],
        ['"+10"', '+10'],
      ]) {
        const { lines, yaml } = problemsAfter(
          'idleTerminationMinutes: "10"',
          `idleTerminationMinutes: ${written}`,
        );
        expect(lines).toEqual([
          `casc/ec2-cloud.yaml:${lineOf(yaml, 'idleTerminationMinutes')}: ${T0}.idleTerminationMinutes: [idle-termination] idleTerminationMinutes must be a positive integer (expected a positive integer, got "${shown}")`,
        ]);
      }
      expect(problemsAfter('idleTerminationMinutes: "10"', 'idleTerminationMinutes: 10').lines).toEqual([]);
    });

    it('bounds launchTimeoutStr at an hour', () => {
      const { lines, yaml } = problemsAfter('launchTimeoutStr: "1200"', 'launchTimeoutStr: "3601"');
      expect(lines).toEqual([
        `casc/ec2-cloud.yaml:${lineOf(yaml, 'launchTimeoutStr: "3601"')}: ${T0}.launchTimeoutStr: [launch-timeout] launchTimeoutStr must be at most 3600 seconds (an hour): a launch that has not connected by then is hung, and its GPU bills while it waits (got "3601")`,
      ]);
    });

    it('keeps caps inside a Java int (EC2Cloud parses them with Integer.parseInt)', () => {
      const { lines, yaml } = problemsAfter('instanceCapStr: "4"', 'instanceCapStr: "2147483648"');
      expect(lines).toEqual([
        `casc/ec2-cloud.yaml:${lineOf(yaml, '"2147483648"')}: ${CLOUD}.instanceCapStr: [instance-cap] instanceCapStr must be at most 2147483647: the EC2 plugin reads it as a Java int and fails to load the cloud (got "2147483648")`,
      ]);
      expect(problemsAfter('instanceCapStr: "2"', 'instanceCapStr: " 2"').lines).toEqual([
        expect.stringContaining(
          `${T0}.instanceCapStr: [instance-cap] instanceCapStr must be a positive integer (expected a positive integer, got " 2")`,
        ),
      ]);
    });

    it('refuses a userData other than the worker boot once, without a second render error', () => {
      // The shipped marker renders (the first test); any other script is the boot rule's one problem.
      const boot = (shown: string): string =>
        `[worker-boot] userData must be "@render:assets/worker/user-data.sh": the project's worker boot starts the on-worker idle watchdog, the cost guard's second layer (got "${shown}")`;
      const { lines, yaml } = problemsAfter(
        '"@render:assets/worker/user-data.sh"',
        '"@render:assets/worker/bot.sh"',
      );
      expect(lines).toEqual([
        `casc/ec2-cloud.yaml:${lineOf(yaml, 'bot.sh')}: ${T0}.userData: ${boot('@render:assets/worker/bot.sh')}`,
      ]);
      expect(problemsAfter('"@render:assets/worker/user-data.sh"', '"@render:../outside.sh"').lines).toEqual([
        `casc/ec2-cloud.yaml:${lineOf(SHIPPED_EC2_YAML, 'userData:')}: ${T0}.userData: ${boot('@render:../outside.sh')}`,
      ]);
    });

    it("rejects @render: outside a template's userData and initScript (Jenkins would get the text)", () => {
      const { lines, yaml } = problemsAfter(
        'jvmopts: "-Xmx1g"',
        'jvmopts: "@render:assets/worker/user-data.sh"',
      );
      expect(lines).toEqual([
        `casc/ec2-cloud.yaml:${lineOf(yaml, 'jvmopts')}: ${T0}.jvmopts: [render-marker-placement] @render: is rendered only in an EC2 template's userData and initScript; here Jenkins would get the text "@render:assets/worker/user-data.sh"`,
      ]);
    });
  });
});

describe('one problem, one line', () => {
  it('reports an indentation slip once, at its position, and nothing that follows from it', () => {
    const yaml = edit(SHIPPED_EC2_YAML, '            numExecutors: 1\n', '           numExecutors: 1\n');
    const result = validateEc2(yaml, {
      'casc/jobs.yaml': 'jobs:\n  - file: /opt/jenkins-gpu/config/current/jobs/seed.groovy\n',
    });
    expect(result.lines).toEqual([
      `casc/ec2-cloud.yaml:${lineOf(yaml, 'numExecutors')}:12: YAML syntax error: Sequence item without - indicator (this line is indented 11 spaces, line ${lineOf(yaml, 'numExecutors') - 1} above it 12)`,
    ]);
    expect(result.summary).toBe(
      'casc invalid: 1 error (fix the YAML syntax first: the other checks need every file)',
    );
  });

  it('reports one error per file that does not parse, and checks nothing else', () => {
    const result = validateEc2('jenkins:\n  clouds: [\n', { 'casc/z.yaml': 'jenkins:\n\tnumExecutors: 0\n' });
    expect(result.lines).toEqual([
      'casc/ec2-cloud.yaml:3:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]',
      'casc/z.yaml:2:1: YAML syntax error: Tabs are not allowed as indentation',
    ]);
  });
});
