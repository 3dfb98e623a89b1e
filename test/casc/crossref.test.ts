import * as fs from 'fs';
import * as path from 'path';

import {
  edit,
  lineOf,
  lockFor,
  MINIMAL_JENKINS_YAML,
  MINIMAL_PLUGINS,
  REPO,
  SHIPPED_EC2_YAML,
  validateEc2,
  withSpotTemplate,
} from './helpers';

describe('cross-references', () => {
  it('rejects a variable the stack does not provide, listing the allowed names', () => {
    const yaml = edit(SHIPPED_EC2_YAML, 'region: "${AWS_REGION}"', 'region: "${AWS_REGON}"');
    expect(validateEc2(yaml).lines).toEqual([
      `casc/ec2-cloud.yaml:${lineOf(yaml, 'AWS_REGON}')}: jenkins.clouds[0].amazonEC2.region: unknown variable \${AWS_REGON} (did you mean 'AWS_REGION'?): the stack provides only ` +
        'JENKINS_URL, JENKINS_ADMIN_EMAIL, ADMIN_PASSWORD, AWS_REGION, STACK_NAME, CREDENTIALS_SECRET_PREFIX, WORKER_AMI_ID, ' +
        'WORKER_SUBNET_IDS, WORKER_SECURITY_GROUP_ID, WORKER_INSTANCE_PROFILE_ARN, FLEET_TAG_VALUE, RESULTS_LOCATION, ' +
        'WORKER_PAYLOAD_S3_URI',
    ]);
  });

  it('ignores escaped ^${…} (shell in userData/initScript)', () => {
    const yaml = edit(SHIPPED_EC2_YAML, 'initScript: |\n', 'initScript: |\n              echo ^${HOME}\n');
    expect(validateEc2(yaml).lines).toEqual([]);
  });

  it('rejects a label no template serves, and checks every choice of a choice parameter', () => {
    const jobs = {
      'jobs/train.Jenkinsfile':
        "pipeline {\n  agent none\n  stages {\n    stage('a') {\n      agent { label 'tensorflow' }\n      steps { sh(label: 'not an agent', script: 'true') }\n    }\n" +
        "    stage('b') {\n      // agent { label 'commented-out' }\n      agent { label \"${params.WORKER}\" }\n      steps { echo 'x' }\n    }\n  }\n}\n",
      'jobs/seed.groovy':
        "pipelineJob('train') {\n  parameters {\n    choiceParam('WORKER', ['tensorflow', 'tensorflow-spot'], 'GPU')\n  }\n}\n",
    };
    expect(validateEc2(SHIPPED_EC2_YAML, jobs).lines).toEqual([
      // Reported where the choice is declared (the file to change), not at the pipeline that uses it.
      "jobs/seed.groovy:3: parameter WORKER: choice 'tensorflow-spot' is used as an agent label, and no EC2 template serves it (templates offer: tensorflow): remove it here and from WORKER's validation in the Jenkinsfiles, or add a template with that label to casc/",
    ]);
    expect(validateEc2(withSpotTemplate(), jobs).lines).toEqual([]);
  });

  it('follows the templates with the real jobs/: the WORKER choices are the casc labels (jobs/worker-labels.tsv)', () => {
    const jobs = Object.fromEntries(
      ['seed.groovy', 'train.Jenkinsfile', 'gpu-check.Jenkinsfile'].map((name) => [
        `jobs/${name}`,
        fs.readFileSync(path.join(REPO, 'jobs', name), 'utf8'),
      ]),
    );
    expect(jobs['jobs/seed.groovy'].match(/choiceParam\('WORKER', servedLabels,/g)).toHaveLength(2);
    // Spot template removed (SHIPPED_EC2_YAML) or present: nothing in jobs/ names a label, nothing to change there.
    expect(validateEc2(SHIPPED_EC2_YAML, jobs).lines).toEqual([]);
    expect(validateEc2(withSpotTemplate(), jobs).lines).toEqual([]);
  });

  it('warns about a label built from the casc labels and more: only an exact ${params.WORKER} is served by construction', () => {
    const jobs = {
      'jobs/seed.groovy':
        "pipelineJob('train') {\n  parameters {\n    choiceParam('WORKER', servedLabels, 'GPU')\n  }\n}\n",
      'jobs/train.Jenkinsfile': 'pipeline {\n  agent { label "${params.WORKER} && linux" }\n}\n',
    };
    expect(validateEc2(SHIPPED_EC2_YAML, jobs).lines).toEqual([
      'jobs/train.Jenkinsfile:2: label "${params.WORKER} && linux": warning: cannot check a label built from parameter \'WORKER\' (its choices are the casc labels, only known at synth)',
    ]);
  });

  it('understands node(...) and label expressions', () => {
    const jobs = {
      'jobs/Jenkinsfile':
        "node('tensorflow && !windows') { echo 'a' }\nnode(label: 'tensorflow || gpu') { echo 'b' }\nnode('gpu && tensorflow') {}\n",
    };
    expect(validateEc2(SHIPPED_EC2_YAML, jobs).lines).toEqual([
      "jobs/Jenkinsfile:3: label 'gpu && tensorflow': no EC2 template serves label expression 'gpu && tensorflow' (templates offer: tensorflow)",
    ]);
  });

  it('rejects credential ids that are not in the catalog, in jobs and in casc', () => {
    const jobs = {
      'jobs/Jenkinsfile':
        "withCredentials([file(credentialsId: 'gcp-service-acount', variable: 'K')]) {}\n" +
        "environment { X = credentials('scm-credentials') }\n" +
        "withCredentials([usernamePassword(credentialsId: 'nope', usernameVariable: 'U', passwordVariable: 'P')]) {}\n",
    };
    const yaml = edit(
      SHIPPED_EC2_YAML,
      'sshKeysCredentialsId: worker-ssh-key',
      'sshKeysCredentialsId: worker-ssh-kye',
    );
    const lines = validateEc2(yaml, jobs).lines;
    const catalog =
      'the catalog (lib/credentials/catalog.ts) has gcp-service-account, scm-credentials, pypi-pip-conf, worker-ssh-key';
    expect(lines).toEqual([
      `casc/ec2-cloud.yaml:${lineOf(yaml, 'worker-ssh-kye')}: jenkins.clouds[0].amazonEC2.sshKeysCredentialsId: unknown credential id 'worker-ssh-kye' (did you mean 'worker-ssh-key'?): ${catalog}`,
      `jobs/Jenkinsfile:1: credentialsId: unknown credential id 'gcp-service-acount' (did you mean 'gcp-service-account'?): ${catalog}`,
      `jobs/Jenkinsfile:3: credentialsId: unknown credential id 'nope': ${catalog}`,
    ]);
  });

  it('requires the plugin behind every casc section to be installed: file:line, section, owner, what to do', () => {
    const { lines, dir } = validateEc2(SHIPPED_EC2_YAML, {
      'casc/jenkins.yaml':
        'jenkins:\n  authorizationStrategy:\n    projectMatrix:\n      entries: []\nunclassified:\n  awsCredentialsProvider:\n    cache: true\njobs:\n  - script: "job(\'x\')"\n',
      'casc/plugins.txt': '# pinned\nconfiguration-as-code:1 # JCasC\nmatrix-auth:3.3\n',
    });
    const txt = path.relative(process.cwd(), path.join(dir, 'casc/plugins.txt'));
    const missing = (plugin: string) =>
      `which is not installed (not in ${txt} and not brought in by a plugin listed there): JCasC would reject it and Jenkins would not start; add ${plugin}:<version> to ${txt} or remove the section`;
    expect(lines).toEqual([
      `casc/ec2-cloud.yaml:6: jenkins.clouds[0].amazonEC2: section 'amazonEC2' belongs to plugin 'ec2', ${missing('ec2')}`,
      `casc/jenkins.yaml:6: unclassified.awsCredentialsProvider: section 'awsCredentialsProvider' belongs to plugin 'aws-secrets-manager-credentials-provider', ${missing('aws-secrets-manager-credentials-provider')}`,
      `casc/jenkins.yaml:8: jobs: section 'jobs' belongs to plugin 'job-dsl', ${missing('job-dsl')}`,
    ]);
  });

  it('rejects security.sSHD with the shipped plugins.txt (the sshd plugin is not installed: Jenkins would answer 503)', () => {
    const jenkinsYaml = `${MINIMAL_JENKINS_YAML}security:\n  sSHD:\n    port: -1\n`;
    const pluginsFile = path.join(REPO, 'casc/plugins.txt');
    const { lines } = validateEc2(SHIPPED_EC2_YAML, {
      'casc/jenkins.yaml': jenkinsYaml,
      'casc/plugins.txt': fs.readFileSync(pluginsFile, 'utf8'),
    });
    expect(lines).toEqual([
      expect.stringMatching(
        /^casc\/jenkins\.yaml:5: security\.sSHD: section 'sSHD' belongs to plugin 'sshd', which is not installed /,
      ),
    ]);
  });

  it('accepts sections whose plugin is in the locked closure only as a dependency of a listed one', () => {
    const jenkinsYaml =
      `${MINIMAL_JENKINS_YAML}  globalDefaultFlowDurabilityLevel:\n    durabilityHint: PERFORMANCE_OPTIMIZED\n` +
      'security:\n  scriptApproval:\n    forceSandbox: true\n';
    // As casc/plugins.lock records it: workflow-durable-task-step (listed) requires workflow-api and
    // script-security, which the lock holds with source=bom (stand-in hashes and versions).
    const plugins = `${MINIMAL_PLUGINS}workflow-durable-task-step:1479.v56e587f413a_7\n`;
    const hash = 'a'.repeat(64);
    const lock =
      lockFor(MINIMAL_PLUGINS) +
      `script-security:1412.v1 sha256=${hash} source=bom\n  core 2.479.1\n` +
      `workflow-api:1413.v1 sha256=${hash} source=bom\n  core 2.479.1\n` +
      `workflow-durable-task-step:1479.v56e587f413a_7 sha256=${hash} source=intent\n  core 2.479.1\n` +
      '  requires script-security 1412.v1\n  requires workflow-api 1413.v1\n';
    expect(
      validateEc2(SHIPPED_EC2_YAML, {
        'casc/jenkins.yaml': jenkinsYaml,
        'casc/plugins.txt': plugins,
        'casc/plugins.lock': lock,
      }).lines,
    ).toEqual([]);
    // Without them in the closure, the sections' owners are not installed.
    expect(
      validateEc2(SHIPPED_EC2_YAML, { 'casc/jenkins.yaml': jenkinsYaml }).lines.map((l) =>
        l.replace(/, which .*/, ''),
      ),
    ).toEqual([
      "casc/jenkins.yaml:4: unclassified.globalDefaultFlowDurabilityLevel: section 'globalDefaultFlowDurabilityLevel' belongs to plugin 'workflow-api'",
      "casc/jenkins.yaml:7: security.scriptApproval: section 'scriptApproval' belongs to plugin 'script-security'",
    ]);
  });

  it('needs configuration-as-code itself listed', () => {
    const { lines, dir } = validateEc2(SHIPPED_EC2_YAML, { 'casc/plugins.txt': 'ec2:2059.v05f9d511d7e5\n' });
    const txt = path.relative(process.cwd(), path.join(dir, 'casc/plugins.txt'));
    expect(lines).toEqual([
      `casc/ec2-cloud.yaml:${lineOf(SHIPPED_EC2_YAML, 'jenkins:')}: jenkins: loading any casc file needs plugin 'configuration-as-code', which is not in ${txt} (add configuration-as-code:<version>)`,
    ]);
  });

  it('skips jobs silently when jobs/ does not exist or is empty', () => {
    expect(validateEc2(SHIPPED_EC2_YAML, { 'jobs/README.md': 'nothing yet' }).lines).toEqual([]);
  });
});
