import { edit, lineOf, SHIPPED_EC2_YAML, validateEc2, withSpotTemplate } from './helpers';

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
      'jobs/seed.groovy': "pipelineJob('train') {\n  parameters {\n    choiceParam('WORKER', ['tensorflow', 'tensorflow-spot'], 'GPU')\n  }\n}\n",
    };
    expect(validateEc2(SHIPPED_EC2_YAML, jobs).lines).toEqual([
      'jobs/train.Jenkinsfile:10: label "${params.WORKER}": no EC2 template serves label expression \'tensorflow-spot\' (from "${params.WORKER}") (templates offer: tensorflow)',
    ]);
    expect(validateEc2(withSpotTemplate(), jobs).lines).toEqual([]);
  });

  it('understands node(...) and label expressions', () => {
    const jobs = {
      'jobs/Jenkinsfile': "node('tensorflow && !windows') { echo 'a' }\nnode(label: 'tensorflow || gpu') { echo 'b' }\nnode('gpu && tensorflow') {}\n",
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
    const yaml = edit(SHIPPED_EC2_YAML, 'sshKeysCredentialsId: worker-ssh-key', 'sshKeysCredentialsId: worker-ssh-kye');
    const lines = validateEc2(yaml, jobs).lines;
    const catalog = 'the catalog (lib/credentials/catalog.ts) has gcp-service-account, scm-credentials, pypi-pip-conf, worker-ssh-key';
    expect(lines).toEqual([
      `casc/ec2-cloud.yaml:${lineOf(yaml, 'worker-ssh-kye')}: jenkins.clouds[0].amazonEC2.sshKeysCredentialsId: unknown credential id 'worker-ssh-kye' (did you mean 'worker-ssh-key'?): ${catalog}`,
      `jobs/Jenkinsfile:1: credentialsId: unknown credential id 'gcp-service-acount' (did you mean 'gcp-service-account'?): ${catalog}`,
      `jobs/Jenkinsfile:3: credentialsId: unknown credential id 'nope': ${catalog}`,
    ]);
  });

  it('requires the plugin behind every casc section in plugins.txt', () => {
    const lines = validateEc2(SHIPPED_EC2_YAML, {
      'casc/jenkins.yaml':
        'jenkins:\n  authorizationStrategy:\n    projectMatrix:\n      entries: []\nunclassified:\n  awsCredentialsProvider:\n    cache: true\njobs:\n  - script: "job(\'x\')"\n',
      'casc/plugins.txt': '# pinned\nconfiguration-as-code:1 # JCasC\nmatrix-auth:3.3\n',
    }).lines;
    const notIn = String.raw`, which is not in \S*casc/plugins\.txt`;
    expect(lines).toEqual([
      expect.stringMatching(new RegExp(String.raw`^casc/ec2-cloud\.yaml:6: jenkins\.clouds\[0\]\.amazonEC2: needs plugin 'ec2'${notIn} \(add ec2:<version>\)$`)),
      expect.stringMatching(new RegExp(String.raw`^casc/jenkins\.yaml:6: unclassified\.awsCredentialsProvider: needs plugin 'aws-secrets-manager-credentials-provider'${notIn}`)),
      expect.stringMatching(new RegExp(String.raw`^casc/jenkins\.yaml:9: jobs\[0\]\.script: needs plugin 'job-dsl'${notIn}`)),
    ]);
  });

  it('skips jobs silently when jobs/ does not exist or is empty', () => {
    expect(validateEc2(SHIPPED_EC2_YAML, { 'jobs/README.md': 'nothing yet' }).lines).toEqual([]);
  });
});
