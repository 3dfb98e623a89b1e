import * as path from 'path';

import { validateCascTree } from '../../lib/casc/validate';
import { formatProblem } from '../../lib/jcasc/problem';
import { edit, lineOf, SHIPPED_EC2_YAML, tempTree, validateEc2 } from './helpers';

const T0 = 'jenkins.clouds[0].amazonEC2.templates[0]';

function schemaLines(yaml: string, extra: Record<string, string> = {}): string[] {
  const dir = tempTree({ 'casc/a.yaml': yaml, ...extra });
  return validateCascTree({ cascPath: path.join(dir, 'casc'), schemaOnly: true }).problems.map((p) =>
    formatProblem(p, dir),
  );
}

describe('schema: the EC2 plugin data model', () => {
  it('rejects an unknown key with a did-you-mean', () => {
    const yaml = edit(SHIPPED_EC2_YAML, 'idleTerminationMinutes: "10"', 'idleTerminationMinute: "10"');
    const result = validateEc2(yaml, {}, true);
    expect(result.lines).toEqual([
      `casc/ec2-cloud.yaml:${lineOf(yaml, 'idleTerminationMinute:')}: ${T0}.idleTerminationMinute: unknown key 'idleTerminationMinute' in SlaveTemplate (did you mean 'idleTerminationMinutes'?)`,
    ]);
  });

  it('rejects a deprecated key unless configuration-as-code sets deprecated: warn', () => {
    const yaml = edit(
      SHIPPED_EC2_YAML,
      '            connectionStrategy: PRIVATE_IP\n',
      '            associatePublicIp: true\n',
    );
    const line = lineOf(yaml, 'associatePublicIp');
    const rejected = validateEc2(yaml, {}, true);
    expect(rejected.ok).toBe(false);
    expect(rejected.lines).toEqual([
      `casc/ec2-cloud.yaml:${line}: ${T0}.associatePublicIp: 'associatePublicIp' is deprecated in SlaveTemplate; use 'associateIPStrategy' ` +
        '(JCasC rejects deprecated keys unless the YAML sets configuration-as-code: {deprecated: warn})',
    ]);
    const warned = validateEc2(
      yaml,
      { 'casc/casc.yaml': 'configuration-as-code:\n  deprecated: warn\n' },
      true,
    );
    expect(warned.ok).toBe(true);
    expect(warned.lines).toEqual([
      `casc/ec2-cloud.yaml:${line}: ${T0}.associatePublicIp: warning: 'associatePublicIp' is deprecated in SlaveTemplate; use 'associateIPStrategy'`,
    ]);
  });

  it('reports real type mismatches with expected and got', () => {
    let yaml = edit(SHIPPED_EC2_YAML, 'metadataHopsLimit: 1', 'metadataHopsLimit: one');
    yaml = edit(yaml, 'stopOnTerminate: true', 'stopOnTerminate: "yes"');
    yaml = edit(yaml, 'mode: EXCLUSIVE', 'mode: exclusive');
    yaml = edit(yaml, '              - name: Name\n', '              - name: [Name]\n');
    expect(validateEc2(yaml, {}, true).lines).toEqual([
      `casc/ec2-cloud.yaml:${lineOf(yaml, 'mode: exclusive')}: ${T0}.mode: wrong type (expected one of NORMAL, EXCLUSIVE, got string "exclusive") (did you mean 'EXCLUSIVE'?)`,
      `casc/ec2-cloud.yaml:${lineOf(yaml, 'stopOnTerminate')}: ${T0}.stopOnTerminate: wrong type (expected true or false, got string "yes")`,
      `casc/ec2-cloud.yaml:${lineOf(yaml, 'metadataHopsLimit')}: ${T0}.metadataHopsLimit: wrong type (expected an integer, got string "one")`,
      `casc/ec2-cloud.yaml:${lineOf(yaml, '[Name]')}: ${T0}.tags[0].name: wrong type (expected a string, got list)`,
    ]);
  });

  it('accepts JCasC scalar coercion: quoted ints, "true"/"false" strings, numbers for strings, ${VAR}', () => {
    let yaml = edit(SHIPPED_EC2_YAML, 'metadataHopsLimit: 1', 'metadataHopsLimit: "1"');
    yaml = edit(yaml, 'stopOnTerminate: true', 'stopOnTerminate: "true"');
    yaml = edit(yaml, 'idleTerminationMinutes: "10"', 'idleTerminationMinutes: 10');
    yaml = edit(yaml, 'metadataTokensRequired: true', 'metadataTokensRequired: "${AWS_REGION}"');
    expect(validateEc2(yaml, {}, true).lines).toEqual([]);
  });

  it('covers amiType variants, spotConfig and the time-range object', () => {
    const lines = schemaLines(`jenkins:
  clouds:
    - amazonEC2:
        name: x
        templates:
          - amiType:
              windowsData: {password: "\${ADMIN_PASSWORD}", useHTTPS: true, allowSelfSignedCertificate: false}
          - amiType:
              macData: {bootDelay: "180", sshPort: 22}
            spotConfig: {useBidPrice: false, spotBlockReservationDuration: "x"}
            minimumNumberOfInstancesTimeRangeConfig: {monday: true, mondey: false}
          - amiType:
              linuxData: {}
`);
    expect(lines).toEqual([
      `casc/a.yaml:10: ${'jenkins.clouds[0].amazonEC2.templates[1]'}.spotConfig.spotBlockReservationDuration: wrong type (expected an integer, got string "x")`,
      "casc/a.yaml:11: jenkins.clouds[0].amazonEC2.templates[1].minimumNumberOfInstancesTimeRangeConfig.mondey: unknown key 'mondey' in MinimumNumberOfInstancesTimeRangeConfig (did you mean 'monday'?)",
      "casc/a.yaml:13: jenkins.clouds[0].amazonEC2.templates[2].amiType.linuxData: unknown AMITypeData 'linuxData' (did you mean 'unixData'?) (expected one of unixData:, windowsData:, windowsSSHData:, macData:)",
    ]);
  });

  it('rejects remotingSecurity and the old matrix-auth permissions list', () => {
    const lines = schemaLines(`jenkins:
  remotingSecurity:
    enabled: true
  authorizationStrategy:
    globalMatrix:
      permissions:
        - "USER:Overall/Administer:admin"
`);
    expect(lines).toEqual([
      'casc/a.yaml:2: jenkins.remotingSecurity: not used in this project: agent-to-controller security is always on since Jenkins 2.326, remove the block',
      "casc/a.yaml:6: jenkins.authorizationStrategy.globalMatrix.permissions: the 'permissions' strings were replaced by 'entries' in matrix-auth 3.2 (entries: [{user: {name, permissions}}])",
    ]);
  });

  it('gives YAML syntax errors as FILE:LINE:COL', () => {
    expect(schemaLines('jenkins:\n  systemMessage: "unterminated\n  numExecutors: 0\n')[0]).toMatch(
      /^casc\/a\.yaml:\d+:\d+: YAML syntax error: Missing closing "quote/,
    );
    expect(schemaLines('jenkins:\n  numExecutors: 0\n   mode: NORMAL\n')[0]).toMatch(
      /^casc\/a\.yaml:2:17: YAML syntax error: \S/,
    );
    expect(schemaLines('jenkins:\n  numExecutors: 0\n  numExecutors: 1\n')).toEqual([
      expect.stringMatching(/^casc\/a\.yaml:3:3: YAML syntax error: Map keys must be unique/),
    ]);
  });

  it('merges files as JCasC does and reports conflicting scalars', () => {
    const lines = schemaLines('jenkins:\n  numExecutors: 0\n', {
      'casc/b.yaml': 'jenkins:\n  numExecutors: 2\n  mode: EXCLUSIVE\n',
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^casc\/b\.yaml:2: jenkins\.numExecutors: conflicting value, also set in .*casc\/a\.yaml:2 /,
    );
  });
});
