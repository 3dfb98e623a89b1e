import {
  awsResourceTags,
  call,
  ec2,
  lambdaSession,
  logWrites,
  otherLogGroupWrites,
  resourceTags,
  serviceSession,
} from '../calls';
import { Call } from '../evaluate';
import { StackFacts } from '../stack-facts';
import { TemplateRole } from '../template-roles';
import { INSTANCES, RoleTable } from './table';

/**
 * The Lambda functions of the stack (the config apply, the worker key pair and file-credential placeholder
 * custom resources, the CDK provider frameworks that call them, the default-security-group restriction)
 * and the service roles (the waiter state machine, VPC flow logs, Data Lifecycle Manager).
 */

const fnArn = (facts: StackFacts, pattern: RegExp) => facts.getAtt('AWS::Lambda::Function', pattern, 'Arn');
const invoke = (what: string, arn: string): Call =>
  call(what, { action: 'lambda:InvokeFunction', resource: arn });
const reaperArn = (facts: StackFacts) => fnArn(facts, /^CostGuardReaper[0-9A-F]{8}$/);
const secret = (facts: StackFacts, id: string) =>
  facts.ref('AWS::SecretsManager::Secret', new RegExp(`^Credentials${id.replace(/-/g, '')}`));

/** A function's table: it runs as `<fn>` with the role's session and writes only to `<logs>`. */
function functionTable(
  role: RegExp,
  fn: RegExp,
  logs: RegExp,
  allowed: (facts: StackFacts) => Call[],
  denied: (facts: StackFacts) => Call[],
): RoleTable {
  return {
    role,
    assumedBy: 'lambda.amazonaws.com',
    session: (facts: StackFacts, r: TemplateRole) => lambdaSession(facts, r.arn, fnArn(facts, fn)),
    allowed: (facts) => [logWrites(facts, logs, 'writing its own log'), ...allowed(facts)],
    denied: (facts) => [
      otherLogGroupWrites(facts),
      invoke('invoking the reaper', reaperArn(facts)),
      call('reading the admin password', {
        action: 'secretsmanager:GetSecretValue',
        resource: facts.config.secrets.ADMIN_PASSWORD,
      }),
      ...denied(facts),
    ],
  };
}

const controllerInstance = (facts: StackFacts, asgName: string) => ({
  action: 'ssm:SendCommand',
  resource: facts.ec2Arn('instance', INSTANCES.controller),
  context: awsResourceTags({ 'aws:autoscaling:groupName': asgName }),
});

const applyOnEvent = functionTable(
  /^ConfigApplyOnEventRole[0-9A-F]{8}$/,
  /^ConfigApplyOnEvent[0-9A-F]{8}$/,
  /^ConfigApplyOnEventLogs/,
  (facts) => {
    const asg = facts.ref('AWS::AutoScaling::AutoScalingGroup', /^ControllerAsg/);
    return [
      call('finding the controller instance', {
        action: 'autoscaling:DescribeAutoScalingGroups',
        resource: '*',
      }),
      call('asking whether the controller is reachable', {
        action: 'ssm:DescribeInstanceInformation',
        resource: '*',
      }),
      call('reading its own stack status (is this a rollback?)', {
        action: 'cloudformation:DescribeStacks',
        resource: String(facts.resolver.ref('AWS::StackId')),
      }),
      call(
        'sending the apply command to the controller',
        {
          action: 'ssm:SendCommand',
          resource: `arn:${facts.env.partition}:ssm:${facts.env.region}::document/AWS-RunShellScript`,
          unvalidated: 'AWS-owned SSM documents have an empty account in their ARN',
        },
        controllerInstance(facts, asg),
      ),
    ];
  },
  (facts) => [
    call('sending a command to a worker', {
      action: 'ssm:SendCommand',
      resource: facts.ec2Arn('instance', INSTANCES.worker),
      context: awsResourceTags({ 'jenkins-gpu:fleet': facts.fleet }),
    }),
    call('sending a command to an instance of another Auto Scaling group', {
      action: 'ssm:SendCommand',
      resource: facts.ec2Arn('instance', INSTANCES.unrelated),
      context: awsResourceTags({ 'aws:autoscaling:groupName': 'someone-elses-asg' }),
    }),
    call('reading the config parameter', {
      action: 'ssm:GetParameter',
      resource: facts.arn('ssm', `parameter${facts.configParameterName}`),
    }),
  ],
);

const applyIsComplete = functionTable(
  /^ConfigApplyIsCompleteRole[0-9A-F]{8}$/,
  /^ConfigApplyIsComplete[0-9A-F]{8}$/,
  /^ConfigApplyIsCompleteLogs/,
  () => [call('polling the apply command', { action: 'ssm:GetCommandInvocation', resource: '*' })],
  (facts) => [
    call('sending a command to the controller', {
      action: 'ssm:SendCommand',
      resource: facts.ec2Arn('instance', INSTANCES.controller),
    }),
  ],
);

/** A provider framework role: invokes its handlers (and their versions) only. */
function frameworkTable(
  role: RegExp,
  fn: RegExp,
  logs: RegExp,
  handlers: RegExp[],
  extra: (f: StackFacts) => Call[] = () => [],
) {
  return functionTable(
    role,
    fn,
    logs,
    (facts) => [
      ...handlers.flatMap((h) => [
        invoke('invoking its handler', fnArn(facts, h)),
        invoke('invoking a version of its handler', `${fnArn(facts, h)}:1`),
        call('reading its handler', { action: 'lambda:GetFunction', resource: fnArn(facts, h) }),
      ]),
      ...extra(facts),
    ],
    (facts) => [
      invoke('invoking a function of another application', facts.arn('lambda', 'function:payments-api')),
      call('changing its handler', {
        action: 'lambda:UpdateFunctionCode',
        resource: fnArn(facts, handlers[0]),
      }),
    ],
  );
}

const applyHandlers = [/^ConfigApplyOnEvent[0-9A-F]{8}$/, /^ConfigApplyIsComplete[0-9A-F]{8}$/];
const applyFrameworkOnEvent = frameworkTable(
  /^ConfigApplyProviderOnEventRole[0-9A-F]{8}$/,
  /^ConfigApplyProviderframeworkonEvent[0-9A-F]{8}$/,
  /^ConfigApplyProviderLogs/,
  applyHandlers,
  (facts) => [
    call('starting the waiter', {
      action: 'states:StartExecution',
      resource: facts.ref('AWS::StepFunctions::StateMachine', /^ConfigApplyProviderwaiterstatemachine/),
    }),
  ],
);
const applyFrameworkWaiter = frameworkTable(
  /^ConfigApplyProviderWaiterRole[0-9A-F]{8}$/,
  /^ConfigApplyProviderframeworkisComplete[0-9A-F]{8}$/,
  /^ConfigApplyProviderLogs/,
  applyHandlers,
);
const keyPairFramework = frameworkTable(
  /^CredentialsWorkerKeyPairProviderOnEventRole[0-9A-F]{8}$/,
  /^CredentialsWorkerKeyPairProviderframeworkonEvent[0-9A-F]{8}$/,
  /^CredentialsWorkerKeyPairProviderLogs/,
  [/^CredentialsWorkerKeyPairFunction[0-9A-F]{8}$/],
);
const placeholderFramework = frameworkTable(
  /^CredentialsFileCredentialPlaceholderProviderOnEventRole[0-9A-F]{8}$/,
  /^CredentialsFileCredentialPlaceholderProviderframeworkonEvent[0-9A-F]{8}$/,
  /^CredentialsFileCredentialPlaceholderProviderLogs/,
  [/^CredentialsFileCredentialPlaceholderFunction[0-9A-F]{8}$/],
);

const keyPairFunction = functionTable(
  /^CredentialsWorkerKeyPairFunctionRole[0-9A-F]{8}$/,
  /^CredentialsWorkerKeyPairFunction[0-9A-F]{8}$/,
  /^CredentialsWorkerKeyPairFunctionLogs/,
  (facts) => {
    const keyPair = facts.ec2Arn('key-pair', `${facts.env.stackName}-workers`);
    return [
      call(
        'creating the workers key pair with its tags',
        ec2(facts, 'CreateKeyPair', keyPair, { 'ec2:KeyPairName': `${facts.env.stackName}-workers` }),
        ec2(facts, 'CreateTags', keyPair, {
          'ec2:CreateAction': 'CreateKeyPair',
          'aws:RequestTag/jenkins-gpu:stack': facts.env.stackName,
          'aws:TagKeys': ['jenkins-gpu:stack'],
        }),
      ),
      call('deleting the workers key pair', ec2(facts, 'DeleteKeyPair', keyPair)),
      call('storing the private key', {
        action: 'secretsmanager:PutSecretValue',
        resource: secret(facts, 'Credentialworker-ssh-key'),
      }),
    ];
  },
  (facts) => [
    call('deleting another key pair', ec2(facts, 'DeleteKeyPair', facts.ec2Arn('key-pair', 'prod-bastion'))),
    call('importing a key of its choice', ec2(facts, 'ImportKeyPair', facts.ec2Arn('key-pair', 'x'))),
    call('overwriting another credential', {
      action: 'secretsmanager:PutSecretValue',
      resource: secret(facts, 'Credentialscm-credentials'),
    }),
    call('reading the private key back', {
      action: 'secretsmanager:GetSecretValue',
      resource: secret(facts, 'Credentialworker-ssh-key'),
    }),
  ],
);

const placeholderFunction = functionTable(
  /^CredentialsFileCredentialPlaceholderFunctionRole[0-9A-F]{8}$/,
  /^CredentialsFileCredentialPlaceholderFunction[0-9A-F]{8}$/,
  /^CredentialsFileCredentialPlaceholderFunctionLogs/,
  (facts) =>
    ['Credentialgcp-service-account', 'Credentialpypi-pip-conf'].flatMap((id) => [
      call(`reading ${id}`, { action: 'secretsmanager:GetSecretValue', resource: secret(facts, id) }),
      call(`writing the binary placeholder of ${id}`, {
        action: 'secretsmanager:PutSecretValue',
        resource: secret(facts, id),
      }),
    ]),
  (facts) => [
    call('overwriting a text credential', {
      action: 'secretsmanager:PutSecretValue',
      resource: secret(facts, 'Credentialscm-credentials'),
    }),
    call('overwriting the workers private key', {
      action: 'secretsmanager:PutSecretValue',
      resource: secret(facts, 'Credentialworker-ssh-key'),
    }),
  ],
);

const restrictDefaultSg: RoleTable = {
  role: /^CustomVpcRestrictDefaultSGCustomResourceProviderRole[0-9A-F]{8}$/,
  assumedBy: 'lambda.amazonaws.com',
  session: (facts, r) =>
    lambdaSession(facts, r.arn, fnArn(facts, /^CustomVpcRestrictDefaultSGCustomResourceProviderHandler/)),
  allowed: (facts) => {
    const defaultSg = facts.ec2Arn(
      'security-group',
      facts.getAtt('AWS::EC2::VPC', /^NetworkVpc/, 'DefaultSecurityGroup'),
    );
    return [
      logWrites(facts, /^NetworkRestrictDefaultSgLogs/, 'writing its own log'),
      ...[
        'RevokeSecurityGroupIngress',
        'RevokeSecurityGroupEgress',
        'AuthorizeSecurityGroupIngress',
        'AuthorizeSecurityGroupEgress',
      ].map((a) => call(`${a} on the VPC's default security group`, ec2(facts, a, defaultSg))),
    ];
  },
  denied: (facts) => [
    otherLogGroupWrites(facts),
    call(
      'opening the workers security group',
      ec2(
        facts,
        'AuthorizeSecurityGroupIngress',
        facts.ec2Arn('security-group', facts.config.vars.WORKER_SECURITY_GROUP_ID),
      ),
    ),
    call(
      'opening the controller security group',
      ec2(
        facts,
        'AuthorizeSecurityGroupIngress',
        facts.ec2Arn(
          'security-group',
          facts.getAtt('AWS::EC2::SecurityGroup', /^ControllerSecurityGroup/, 'GroupId'),
        ),
      ),
    ),
  ],
};

/** A provider framework's waiter state machine: invokes the framework's isComplete and onTimeout only. */
function waiterTable(prefix: string, userHandler: RegExp): RoleTable {
  return {
    role: new RegExp(`^${prefix}ProviderwaiterstatemachineRole[0-9A-F]{8}$`),
    assumedBy: 'states.amazonaws.com',
    session: (facts, r) => serviceSession(facts, r.arn, 'waiter'),
    allowed: (facts) =>
      ['isComplete', 'onTimeout'].map((name) =>
        invoke(
          `invoking the framework ${name} function`,
          fnArn(facts, new RegExp(`^${prefix}Providerframework${name}`)),
        ),
      ),
    denied: (facts) => [
      invoke('invoking the user handler directly', fnArn(facts, userHandler)),
      invoke('invoking the reaper', reaperArn(facts)),
    ],
  };
}

const asgArn = (facts: StackFacts, name: string) =>
  facts.arn(
    'autoscaling',
    `autoScalingGroup:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d:autoScalingGroupName/${name}`,
  );
const controllerAsg = (facts: StackFacts) =>
  facts.ref('AWS::AutoScaling::AutoScalingGroup', /^ControllerAsg/);

/** The drain before a controller replacement (lib/constructs/controller-drain.ts, lambda/controller-drain). */
const drain = functionTable(
  /^DrainHandlerRole[0-9A-F]{8}$/,
  /^DrainHandler[0-9A-F]{8}$/,
  /^DrainHandlerLogs/,
  (facts) => [
    call('asking whether the controller is reachable', {
      action: 'ssm:DescribeInstanceInformation',
      resource: '*',
    }),
    call(
      'sending the drain command to the controller',
      {
        action: 'ssm:SendCommand',
        resource: `arn:${facts.env.partition}:ssm:${facts.env.region}::document/AWS-RunShellScript`,
        unvalidated: 'AWS-owned SSM documents have an empty account in their ARN',
      },
      controllerInstance(facts, controllerAsg(facts)),
    ),
    call('letting the termination go on', {
      action: 'autoscaling:CompleteLifecycleAction',
      resource: asgArn(facts, controllerAsg(facts)),
    }),
  ],
  (facts) => [
    call('completing a lifecycle action of another group', {
      action: 'autoscaling:CompleteLifecycleAction',
      resource: asgArn(facts, 'someone-elses-asg'),
    }),
    call('sending a command to a worker', {
      action: 'ssm:SendCommand',
      resource: facts.ec2Arn('instance', INSTANCES.worker),
      context: awsResourceTags({ 'jenkins-gpu:fleet': facts.fleet }),
    }),
  ],
);

/** The fleet teardown on stack deletion (lib/constructs/fleet-teardown.ts): one role for both handlers. */
const teardown = functionTable(
  /^FleetTeardownRole[0-9A-F]{8}$/,
  /^FleetTeardownOnEvent[0-9A-F]{8}$/,
  /^FleetTeardownOnEventLogs/,
  (facts) => [
    logWrites(facts, /^FleetTeardownIsCompleteLogs/, "writing the other handler's log"),
    call('listing the fleet', ec2(facts, 'DescribeInstances', '*')),
    call(
      'terminating a worker of its fleet',
      ec2(
        facts,
        'TerminateInstances',
        facts.ec2Arn('instance', INSTANCES.worker),
        resourceTags({ 'jenkins-gpu:fleet': facts.fleet }),
      ),
    ),
    call('reading its own stack status', {
      action: 'cloudformation:DescribeStacks',
      resource: String(facts.resolver.ref('AWS::StackId')),
    }),
  ],
  (facts) => [
    call(
      'terminating the controller',
      ec2(
        facts,
        'TerminateInstances',
        facts.ec2Arn('instance', INSTANCES.controller),
        resourceTags({ 'jenkins-gpu:role': 'controller' }),
      ),
    ),
    call(
      'terminating a worker of another stack',
      ec2(
        facts,
        'TerminateInstances',
        facts.ec2Arn('instance', INSTANCES.otherFleetWorker),
        resourceTags({ 'jenkins-gpu:fleet': 'OtherStack' }),
      ),
    ),
    call('deleting the stack', {
      action: 'cloudformation:DeleteStack',
      resource: String(facts.resolver.ref('AWS::StackId')),
    }),
  ],
);

const teardownHandlers = [/^FleetTeardownOnEvent[0-9A-F]{8}$/, /^FleetTeardownIsComplete[0-9A-F]{8}$/];
const teardownFrameworkOnEvent = frameworkTable(
  /^FleetTeardownProviderOnEventRole[0-9A-F]{8}$/,
  /^FleetTeardownProviderframeworkonEvent[0-9A-F]{8}$/,
  /^FleetTeardownProviderLogs/,
  teardownHandlers,
  (facts) => [
    call('starting the waiter', {
      action: 'states:StartExecution',
      resource: facts.ref('AWS::StepFunctions::StateMachine', /^FleetTeardownProviderwaiterstatemachine/),
    }),
  ],
);
const teardownFrameworkWaiter = frameworkTable(
  /^FleetTeardownProviderWaiterRole[0-9A-F]{8}$/,
  /^FleetTeardownProviderframeworkisComplete[0-9A-F]{8}$/,
  /^FleetTeardownProviderLogs/,
  teardownHandlers,
);

const flowLogs: RoleTable = {
  role: /^NetworkVpcRejectedTrafficIAMRole[0-9A-F]{8}$/,
  assumedBy: 'vpc-flow-logs.amazonaws.com',
  session: (facts, r) => serviceSession(facts, r.arn, 'flow-logs'),
  allowed: (facts) => {
    const group = facts.ref('AWS::Logs::LogGroup', /^NetworkFlowLogs/);
    const stream = facts.arn('logs', `log-group:${group}:log-stream:eni-0a1b2c3d4e5f60718-reject`);
    return [
      call(
        'delivering rejected-traffic records',
        { action: 'logs:CreateLogStream', resource: stream },
        { action: 'logs:PutLogEvents', resource: stream },
      ),
    ];
  },
  denied: (facts) => [otherLogGroupWrites(facts)],
};

export const FUNCTION_TABLES: readonly RoleTable[] = [
  applyOnEvent,
  applyIsComplete,
  applyFrameworkOnEvent,
  applyFrameworkWaiter,
  keyPairFramework,
  placeholderFramework,
  keyPairFunction,
  placeholderFunction,
  restrictDefaultSg,
  waiterTable('ConfigApply', /^ConfigApplyOnEvent[0-9A-F]{8}$/),
  flowLogs,
  drain,
  teardown,
  teardownFrameworkOnEvent,
  teardownFrameworkWaiter,
  waiterTable('FleetTeardown', /^FleetTeardownOnEvent[0-9A-F]{8}$/),
];
