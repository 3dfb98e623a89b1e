import { CONTROLLER_LOGS, controllerLogGroupName } from '../../../lib/constructs/controller-observability';
import { CONTROLLER_METRIC_NAMESPACE, WORKER_METRIC_NAMESPACE } from '../../../lib/contracts';
import {
  call,
  ec2,
  instanceSession,
  Launch,
  logWrites,
  requestTags,
  resourceTags,
  runInstances,
  SPOT_REQUEST_ID,
} from '../calls';
import { Call } from '../evaluate';
import { StackFacts } from '../stack-facts';
import { INSTANCES, RoleTable } from './table';

/**
 * The controller's instance role: the EC2 plugin (SlaveTemplate.java, EC2AbstractSlave.java,
 * EC2CleanupOrphanedNodes.java at 2059.v05f9d511d7e5), the Secrets Manager credentials provider, the boot
 * scripts (assets/user-data/controller.sh, assets/controller/*.sh), the SSM agent (Session Manager port
 * forwarding and Run Command) and the alarm topic. Denied: what a compromised Jenkins would try.
 */

/** The tags the plugin puts on a worker of the on-demand template (casc/ec2-cloud.yaml `tags` + its own). */
export function workerTags(facts: StackFacts, template = 'gpu-tensorflow-ondemand'): Record<string, string> {
  return {
    Name: 'managed-by-jenkins',
    'jenkins-gpu:fleet': facts.fleet,
    'jenkins-gpu:template': template,
    jenkins_slave_type: `demand_${template}`,
    jenkins_server_url: 'http://localhost:8080/',
    jenkins_cloud_name: `gpu-workers-${facts.env.stackName}`,
  };
}

/** The launch of casc/ec2-cloud.yaml's on-demand template as the plugin sends it. */
export function cascLaunch(facts: StackFacts, overrides: Partial<Launch> = {}): Launch {
  return {
    instanceType: 'g4dn.xlarge',
    imageId: facts.config.vars.WORKER_AMI_ID,
    imageOwner: 'amazon',
    subnetId: facts.subnetIds[0],
    vpcId: facts.vpcId,
    securityGroupId: facts.config.vars.WORKER_SECURITY_GROUP_ID,
    keyPairName: keyPairName(facts),
    instanceProfileArn: facts.config.vars.WORKER_INSTANCE_PROFILE_ARN,
    tags: workerTags(facts),
    rootVolumeSizeGiB: 200,
    rootVolumeType: 'gp3',
    encrypted: true,
    metadataHttpTokens: 'required',
    metadataHopLimit: 1,
    market: 'on-demand',
    associatePublicIp: true,
    ...overrides,
  };
}

function keyPairName(facts: StackFacts): string {
  return facts.getAtt('Custom::JenkinsWorkerKeyPair', /^CredentialsWorkerKeyPair/, 'KeyName');
}

function instanceCall(
  facts: StackFacts,
  what: string,
  action: string,
  instanceId: string,
  tags: Record<string, string>,
) {
  return call(what, ec2(facts, action, facts.ec2Arn('instance', instanceId), resourceTags(tags)));
}

function tagCall(
  facts: StackFacts,
  what: string,
  action: 'CreateTags' | 'DeleteTags',
  resource: string,
  tags: Record<string, string>,
  existing: Record<string, string>,
) {
  const context = action === 'CreateTags' ? requestTags(tags) : { 'aws:TagKeys': Object.keys(tags) };
  return call(what, ec2(facts, action, resource, { ...context, ...resourceTags(existing) }));
}

function controllerScriptsObject(facts: StackFacts): string {
  const template =
    facts.resolved.Resources[facts.logicalId('AWS::EC2::LaunchTemplate', /^ControllerLaunchTemplate/)];
  const data = template.Properties!.LaunchTemplateData as { UserData: string };
  const userData = Buffer.from(data.UserData, 'base64').toString('utf8');
  const url = /^SCRIPTS_S3_URL='(s3:\/\/[^']+)'$/m.exec(userData)?.[1];
  if (!url) throw new Error('controller user data has no SCRIPTS_S3_URL');
  return facts.s3UriArn(url);
}

function allowed(facts: StackFacts): Call[] {
  const fleetTags = workerTags(facts);
  const workerRole = facts.role(/^WorkersRole/).arn;
  const configParameter = facts.arn('ssm', `parameter${facts.configParameterName}`);
  const credentialSecrets = Object.keys(facts.template.Resources)
    .filter((id) => /^CredentialsCredential/.test(id))
    .map((id) => String(facts.resolver.ref(id)));
  const describe = [
    'DescribeInstances',
    'DescribeInstanceTypes',
    'DescribeImages',
    'DescribeKeyPairs',
    'DescribeRegions',
    'DescribeAvailabilityZones',
    'DescribeSecurityGroups',
    'DescribeSubnets',
    'DescribeSpotInstanceRequests',
    'DescribeSpotPriceHistory',
  ];
  return [
    ...describe.map((action) => call(`the EC2 plugin calls ${action}`, ec2(facts, action, '*'))),
    runInstances(
      facts,
      'the EC2 plugin launches the on-demand template in the first subnet',
      cascLaunch(facts),
    ),
    runInstances(
      facts,
      'the EC2 plugin launches the on-demand template in the second subnet',
      cascLaunch(facts, { subnetId: facts.subnetIds[1] }),
    ),
    runInstances(
      facts,
      'the EC2 plugin launches the spot template (RunInstances with spot market options)',
      cascLaunch(facts, {
        market: 'spot',
        tags: workerTags(facts, 'gpu-tensorflow-spot'),
      }),
    ),
    call('the EC2 plugin passes the worker role with the instance profile', {
      action: 'iam:PassRole',
      resource: workerRole,
      context: { 'iam:PassedToService': 'ec2.amazonaws.com' },
    }),
    ...['StartInstances', 'StopInstances', 'TerminateInstances', 'GetConsoleOutput'].map((action) =>
      instanceCall(
        facts,
        `the EC2 plugin calls ${action} on a worker of its fleet`,
        action,
        INSTANCES.worker,
        fleetTags,
      ),
    ),
    tagCall(
      facts,
      'the orphan cleanup refreshes jenkins_node_expires_at on a worker',
      'CreateTags',
      facts.ec2Arn('instance', INSTANCES.worker),
      { jenkins_node_expires_at: '2026-12-01T10:00:00Z' },
      fleetTags,
    ),
    call(
      'the EC2 plugin cancels the spot request of a worker it gives up on',
      ec2(facts, 'CancelSpotInstanceRequests', facts.ec2Arn('spot-instances-request', SPOT_REQUEST_ID)),
    ),
    call('the credentials provider lists the secrets', {
      action: 'secretsmanager:ListSecrets',
      resource: '*',
    }),
    ...credentialSecrets.map((arn) =>
      call(`the credentials provider reads ${arn.split(':').pop()}`, {
        action: 'secretsmanager:GetSecretValue',
        resource: arn,
      }),
    ),
    call('the boot reads the admin password', {
      action: 'secretsmanager:GetSecretValue',
      resource: facts.config.secrets.ADMIN_PASSWORD,
    }),
    call('the boot reads the reload token', {
      action: 'secretsmanager:GetSecretValue',
      resource: facts.config.reloadTokenSecret,
    }),
    call('the boot reads its config parameter', { action: 'ssm:GetParameter', resource: configParameter }),
    call(
      'a rolled-back upgrade sets its config parameter back',
      { action: 'ssm:GetParameterHistory', resource: configParameter },
      { action: 'ssm:PutParameter', resource: configParameter },
    ),
    call('the boot downloads the controller scripts', {
      action: 's3:GetObject',
      resource: controllerScriptsObject(facts),
    }),
    call('the boot downloads the config bundle', {
      action: 's3:GetObject',
      resource: facts.s3ObjectArn(facts.config.bundle.bucket, facts.config.bundle.key),
    }),
    call(
      'the boot attaches JENKINS_HOME to its own instance',
      ec2(
        facts,
        'AttachVolume',
        facts.ec2Arn('volume', facts.ref('AWS::EC2::Volume', /^ControllerJenkinsHome/)),
        {
          'aws:ResourceTag/jenkins-gpu:role': 'controller',
          'ec2:ResourceTag/jenkins-gpu:role': 'controller',
        },
      ),
      ec2(
        facts,
        'AttachVolume',
        facts.ec2Arn('instance', INSTANCES.controller),
        resourceTags({ 'jenkins-gpu:role': 'controller' }),
      ),
    ),
    call('the boot waits for the volume', ec2(facts, 'DescribeVolumes', '*')),
    call('the boot signals CloudFormation', {
      action: 'cloudformation:SignalResource',
      resource: String(facts.resolver.ref('AWS::StackId')),
    }),
    call('a rolled-back upgrade is announced on the alarm topic', {
      action: 'sns:Publish',
      resource: facts.config.alertTopicArn!,
    }),
    call('publishing to the encrypted topic', {
      action: 'kms:GenerateDataKey',
      resource: facts.getAtt('AWS::KMS::Key', /^CostGuardAlarmTopicKey/, 'Arn'),
      resourcePolicy:
        facts.resolved.Resources[facts.logicalId('AWS::KMS::Key', /^CostGuardAlarmTopicKey/)].Properties!
          .KeyPolicy,
    }),
    ...ssmAgentCalls(facts),
    ...artifactMirrorCalls(facts),
    call('the drain lets the termination of its own instance go on', {
      action: 'autoscaling:CompleteLifecycleAction',
      resource: facts.arn(
        'autoscaling',
        `autoScalingGroup:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d:autoScalingGroupName/${facts.ref('AWS::AutoScaling::AutoScalingGroup', /^ControllerAsg/)}`,
      ),
    }),
    ...selfHealCalls(facts),
    call('the SSM agent finds the session log group', { action: 'logs:DescribeLogGroups', resource: '*' }),
    logWrites(facts, /^ShellSessionsLogs/, 'the SSM agent streams a shell session to its log group'),
    ...observabilityCalls(facts),
  ];
}

/**
 * The CloudWatch agent shipping the controller's logs (observability-setup.sh) to groups that exist, and
 * controller-metrics.sh's samples (lib/constructs/controller-observability.ts).
 */
function observabilityCalls(facts: StackFacts): Call[] {
  return [
    ...CONTROLLER_LOGS.map((log) => {
      const stream = facts.arn(
        'logs',
        `log-group:${controllerLogGroupName(facts.env.stackName, log)}:log-stream:i-0123456789abcdef0/${log}`,
      );
      return call(
        `the CloudWatch agent ships the ${log} log`,
        { action: 'logs:CreateLogStream', resource: stream },
        { action: 'logs:DescribeLogStreams', resource: stream },
        { action: 'logs:PutLogEvents', resource: stream },
      );
    }),
    call('controller-metrics.sh sends its sample', {
      action: 'cloudwatch:PutMetricData',
      resource: '*',
      context: { 'cloudwatch:namespace': CONTROLLER_METRIC_NAMESPACE },
    }),
  ];
}

/**
 * What the SSM agent calls for Session Manager (port forwarding) and Run Command (the config apply): AWS
 * Systems Manager User Guide, "Step 2: Verify or add instance permissions for Session Manager" (a custom
 * instance profile with ssm:UpdateInstanceInformation and the four ssmmessages actions) and the ec2messages
 * channel Run Command uses.
 */
function ssmAgentCalls(facts: StackFacts): Call[] {
  const self = facts.ec2Arn('instance', INSTANCES.controller);
  return [
    call('the SSM agent registers its instance', { action: 'ssm:UpdateInstanceInformation', resource: self }),
    ...['CreateControlChannel', 'CreateDataChannel', 'OpenControlChannel', 'OpenDataChannel'].map((a) =>
      call(`Session Manager: ssmmessages:${a}`, { action: `ssmmessages:${a}`, resource: '*' }),
    ),
    ...['GetMessages', 'AcknowledgeMessage', 'SendReply', 'DeleteMessage', 'FailMessage', 'GetEndpoint'].map(
      (a) => call(`Run Command: ec2messages:${a}`, { action: `ec2messages:${a}`, resource: '*' }),
    ),
  ];
}

/** The controller group's ARN as Auto Scaling names it (the uuid is the group's own; any fixed one here). */
function controllerGroupArn(
  facts: StackFacts,
  name = facts.ref('AWS::AutoScaling::AutoScalingGroup', /^ControllerAsg/),
) {
  return facts.arn(
    'autoscaling',
    `autoScalingGroup:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d:autoScalingGroupName/${name}`,
  );
}

function selfReplacementsParameter(facts: StackFacts): string {
  return facts.arn('ssm', `parameter/${facts.env.stackName}/controller/self-replacements`);
}

/**
 * assets/controller/self-heal.sh after a failed boot outside a CloudFormation operation: it reads and writes
 * its counter, then marks its own instance Unhealthy (SetInstanceHealth authorizes on the group, Service
 * Authorization Reference, Amazon EC2 Auto Scaling).
 */
function selfHealCalls(facts: StackFacts): Call[] {
  return [
    call('the self-heal reads its replacement count', {
      action: 'ssm:GetParameter',
      resource: selfReplacementsParameter(facts),
    }),
    call('the self-heal counts a replacement', {
      action: 'ssm:PutParameter',
      resource: selfReplacementsParameter(facts),
    }),
    call('the self-heal marks its instance unhealthy in its group', {
      action: 'autoscaling:SetInstanceHealth',
      resource: controllerGroupArn(facts),
    }),
  ];
}

/** The boot's artifact mirror (lib/constructs/artifact-mirror.ts): its own prefix of the mirror bucket. */
function mirrorBucket(facts: StackFacts): string {
  return facts.ref('AWS::S3::Bucket', /^ArtifactMirrorBucket/);
}

function artifactMirrorCalls(facts: StackFacts): Call[] {
  const object = facts.s3ObjectArn(mirrorBucket(facts), 'controller/jenkins-war/2.580.1/jenkins.war');
  return [
    call('the boot reads a mirrored Jenkins artifact', { action: 's3:GetObject', resource: object }),
    call('the boot stores an artifact it verified', { action: 's3:PutObject', resource: object }),
    call('the boot asks whether the mirror holds an artifact', {
      action: 's3:ListBucket',
      resource: `arn:${facts.env.partition}:s3:::${mirrorBucket(facts)}`,
    }),
  ];
}

function denied(facts: StackFacts): Call[] {
  const fleetTags = workerTags(facts);
  const worker = facts.ec2Arn('instance', INSTANCES.worker);
  const otherFleet = { ...fleetTags, 'jenkins-gpu:fleet': 'OtherStack' };
  const controllerTags = { 'jenkins-gpu:role': 'controller', 'jenkins-gpu:stack': facts.env.stackName };
  const launchWith = (what: string, overrides: Partial<Launch>) =>
    runInstances(facts, what, cascLaunch(facts, overrides));
  return [
    // Reading what is not its own.
    call('reading any other SSM parameter of the region', {
      action: 'ssm:GetParameter',
      resource: facts.arn('ssm', 'parameter/prod/database/password'),
    }),
    call('overwriting any other SSM parameter of the region', {
      action: 'ssm:PutParameter',
      resource: facts.arn('ssm', 'parameter/prod/database/password'),
    }),
    call('reading every parameter under /prod', {
      action: 'ssm:GetParametersByPath',
      resource: facts.arn('ssm', 'parameter/prod'),
    }),
    call('reading a secret of another application', {
      action: 'secretsmanager:GetSecretValue',
      resource: facts.arn('secretsmanager', 'secret:prod/db-AbCdEf'),
    }),
    call('reading another object of the asset bucket', {
      action: 's3:GetObject',
      resource: facts.s3ObjectArn(facts.config.bundle.bucket, 'another-stack-asset.zip'),
    }),
    call('replacing its own config bundle', {
      action: 's3:PutObject',
      resource: facts.s3ObjectArn(facts.config.bundle.bucket, facts.config.bundle.key),
    }),
    // Launching what the casc YAML does not.
    launchWith('launching an instance type the YAML does not name', { instanceType: 'p4d.24xlarge' }),
    launchWith('launching without the fleet tag (invisible to the reaper)', {
      tags: Object.fromEntries(Object.entries(fleetTags).filter(([k]) => k !== 'jenkins-gpu:fleet')),
    }),
    launchWith('launching into another fleet', { tags: otherFleet }),
    launchWith('launching a worker disguised as the controller', {
      tags: { ...fleetTags, ...controllerTags },
    }),
    launchWith('launching a worker already marked busy', {
      tags: { ...fleetTags, 'jenkins-gpu:busy-at': '2099-01-01T00:00:00Z' },
    }),
    launchWith('launching with IMDSv1 allowed', { metadataHttpTokens: 'optional' }),
    launchWith('launching with a 16 TiB root volume', { rootVolumeSizeGiB: 16384 }),
    launchWith('launching with a provisioned-IOPS root volume', { rootVolumeType: 'io2' }),
    launchWith('launching with an unencrypted root volume', { encrypted: false }),
    launchWith('launching from a community AMI', {
      imageId: 'ami-0bad0bad0bad0bad0',
      imageOwner: '999988887777',
    }),
    launchWith('launching into a subnet of another VPC', {
      subnetId: 'subnet-0ffffffffffffffff',
      vpcId: 'vpc-0eeeeeeeeeeeeeeee',
    }),
    launchWith('launching with another security group', { securityGroupId: 'sg-0ddddddddddddddd0' }),
    launchWith('launching with another key pair', { keyPairName: 'someone-elses-key' }),
    call('passing its own role to a new instance', {
      action: 'iam:PassRole',
      resource: facts.role(/^ControllerRole/).arn,
      context: { 'iam:PassedToService': 'ec2.amazonaws.com' },
    }),
    call('passing the worker role to Lambda', {
      action: 'iam:PassRole',
      resource: facts.role(/^WorkersRole/).arn,
      context: { 'iam:PassedToService': 'lambda.amazonaws.com' },
    }),
    // Acting on instances that are not its workers.
    instanceCall(
      facts,
      'terminating an instance outside the fleet',
      'TerminateInstances',
      INSTANCES.unrelated,
      {},
    ),
    instanceCall(
      facts,
      'stopping a worker of another stack',
      'StopInstances',
      INSTANCES.otherFleetWorker,
      otherFleet,
    ),
    instanceCall(
      facts,
      'terminating the controller itself',
      'TerminateInstances',
      INSTANCES.controller,
      controllerTags,
    ),
    // Reserved tags: hiding a worker from the reaper, disguising it, keeping it "busy".
    tagCall(
      facts,
      'putting the fleet tag on an instance outside the fleet',
      'CreateTags',
      facts.ec2Arn('instance', INSTANCES.unrelated),
      { 'jenkins-gpu:fleet': facts.fleet },
      {},
    ),
    tagCall(
      facts,
      'removing the fleet tag from a worker',
      'DeleteTags',
      worker,
      { 'jenkins-gpu:fleet': facts.fleet },
      fleetTags,
    ),
    tagCall(
      facts,
      'changing the fleet tag of a worker',
      'CreateTags',
      worker,
      { 'jenkins-gpu:fleet': 'OtherStack' },
      fleetTags,
    ),
    tagCall(
      facts,
      'marking a worker as the controller',
      'CreateTags',
      worker,
      { 'jenkins-gpu:role': 'controller' },
      fleetTags,
    ),
    tagCall(
      facts,
      'marking a worker busy',
      'CreateTags',
      worker,
      { 'jenkins-gpu:busy-at': '2099-01-01T00:00:00Z' },
      fleetTags,
    ),
    tagCall(
      facts,
      'removing the busy tag of a worker',
      'DeleteTags',
      worker,
      { 'jenkins-gpu:busy-at': '' },
      fleetTags,
    ),
    tagCall(
      facts,
      "putting the JENKINS_HOME snapshot tag on a worker's volume",
      'CreateTags',
      facts.ec2Arn('volume', 'vol-0a1b2c3d4e5f60718'),
      { 'jenkins-gpu:home': facts.env.stackName },
      fleetTags,
    ),
    call(
      'attaching JENKINS_HOME to a worker',
      ec2(
        facts,
        'AttachVolume',
        facts.ec2Arn('volume', facts.ref('AWS::EC2::Volume', /^ControllerJenkinsHome/)),
      ),
      ec2(facts, 'AttachVolume', worker, resourceTags(fleetTags)),
    ),
    call(
      'changing the instance profile of a worker',
      ec2(facts, 'ReplaceIamInstanceProfileAssociation', worker, resourceTags(fleetTags)),
    ),
    call(
      'changing the user data of a stopped worker',
      ec2(facts, 'ModifyInstanceAttribute', worker, resourceTags(fleetTags)),
    ),
    // Other services.
    call('running a command on a worker through SSM', { action: 'ssm:SendCommand', resource: worker }),
    call('opening an SSM session on a worker', { action: 'ssm:StartSession', resource: worker }),
    call('creating a role', {
      action: 'iam:CreateRole',
      resource: `arn:${facts.env.partition}:iam::${facts.env.account}:role/x`,
    }),
    call('publishing to another topic', { action: 'sns:Publish', resource: facts.arn('sns', 'other-topic') }),
    call('writing outside its prefix of the artifact mirror', {
      action: 's3:PutObject',
      resource: facts.s3ObjectArn(mirrorBucket(facts), 'other/jenkins.war'),
    }),
    call('deleting a mirrored artifact', {
      action: 's3:DeleteObject',
      resource: facts.s3ObjectArn(mirrorBucket(facts), 'controller/jenkins-war/2.580.1/jenkins.war'),
    }),
    call('marking an instance of another group unhealthy', {
      action: 'autoscaling:SetInstanceHealth',
      resource: controllerGroupArn(facts, 'other'),
    }),
    call('writing another SSM parameter', {
      action: 'ssm:PutParameter',
      resource: facts.arn('ssm', 'parameter/prod/database/password'),
    }),
    call('deleting its replacement count', {
      action: 'ssm:DeleteParameter',
      resource: selfReplacementsParameter(facts),
    }),
    call('changing the size of its own group', {
      action: 'autoscaling:UpdateAutoScalingGroup',
      resource: controllerGroupArn(facts),
    }),
    call('completing a lifecycle action of another group', {
      action: 'autoscaling:CompleteLifecycleAction',
      resource: facts.arn(
        'autoscaling',
        'autoScalingGroup:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d:autoScalingGroupName/other',
      ),
    }),
    call("forging the reaper's log", {
      action: 'logs:PutLogEvents',
      resource: facts.arn(
        'logs',
        `log-group:${facts.ref('AWS::Logs::LogGroup', /^CostGuardReaperLogs/)}:log-stream:x`,
      ),
    }),
    call("forging another stack's controller log", {
      action: 'logs:PutLogEvents',
      resource: facts.arn(
        'logs',
        `log-group:${controllerLogGroupName('OtherStack', 'jenkins')}:log-stream:x`,
      ),
    }),
    call('deleting the Jenkins log', {
      action: 'logs:DeleteLogGroup',
      resource: facts.arn('logs', `log-group:${controllerLogGroupName(facts.env.stackName, 'jenkins')}`),
    }),
    call('shortening the retention of the Jenkins log', {
      action: 'logs:PutRetentionPolicy',
      resource: facts.arn('logs', `log-group:${controllerLogGroupName(facts.env.stackName, 'jenkins')}`),
    }),
    call("writing the workers' metrics (the reaper trusts their busy signal alarm)", {
      action: 'cloudwatch:PutMetricData',
      resource: '*',
      context: { 'cloudwatch:namespace': WORKER_METRIC_NAMESPACE },
    }),
    call('deleting the session log', {
      action: 'logs:DeleteLogGroup',
      resource: facts.arn('logs', `log-group:${facts.ref('AWS::Logs::LogGroup', /^ShellSessionsLogs/)}`),
    }),
  ];
}

export const controllerTable: RoleTable = {
  role: /^ControllerRole[0-9A-F]{8}$/,
  assumedBy: 'ec2.amazonaws.com',
  session: (facts, role) => instanceSession(facts, role.arn, INSTANCES.controller),
  allowed,
  denied,
};
