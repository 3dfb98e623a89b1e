import * as fs from 'fs';
import * as path from 'path';

import { Call, evaluateCall, Session } from './evaluate';
import { lintPolicies } from './lint';
import { TEST_ENV } from './resolve-intrinsics';
import { PolicyDocument, TemplateRole } from './template-roles';

/**
 * The example policies in docs/policies/ for the people who open Jenkins, evaluated like the stack's roles:
 * UI users may only port-forward to this stack's controller; admins also get a shell, but only through the
 * stack's logged session document. StartSession is authorized against the instance and the session
 * document (Service Authorization Reference for Systems Manager, StartSession), and
 * ssm:SessionDocumentAccessCheck makes Session Manager check the document even when none is named
 * (Session Manager User Guide, "Enforce a session document permission check for the AWS CLI").
 */

const DOCS = path.resolve(__dirname, '../../docs/policies');
const { account, region, stackName } = TEST_ENV;

function examplePolicy(file: string): TemplateRole {
  const text = fs
    .readFileSync(path.join(DOCS, file), 'utf8')
    .replace(/<REGION>/g, region)
    .replace(/<ACCOUNT_ID>/g, account)
    .replace(/<STACK_NAME>/g, stackName);
  return {
    logicalId: file,
    name: 'alice',
    arn: `arn:aws:iam::${account}:user/alice`,
    trustPolicy: { Statement: [] },
    policies: [{ name: file, document: JSON.parse(text) as PolicyDocument }],
    awsManagedPolicies: [],
  };
}

const user: Session = {
  principal: `arn:aws:iam::${account}:user/alice`,
  context: {
    'aws:PrincipalArn': `arn:aws:iam::${account}:user/alice`,
    'aws:PrincipalAccount': account,
    'aws:userid': 'AIDAEXAMPLEALICE',
    'aws:username': 'alice',
    'aws:RequestedRegion': region,
    'aws:SecureTransport': 'true',
  },
};

const controller = `arn:aws:ec2:${region}:${account}:instance/i-0c0ffee00c0ffee00`;
const controllerTags = {
  'aws:ResourceTag/jenkins-gpu:role': 'controller',
  'aws:ResourceTag/jenkins-gpu:stack': stackName,
};

/** StartSession on `target` with `document`; AWS-owned documents have an empty account in their ARN. */
function startSession(what: string, target: string, tags: Record<string, string>, document: string): Call {
  const awsOwned = document.startsWith('AWS-');
  return {
    what,
    authorizations: [
      {
        action: 'ssm:StartSession',
        resource: target,
        context: { ...tags, 'ssm:SessionDocumentAccessCheck': 'true' },
      },
      {
        action: 'ssm:StartSession',
        resource: `arn:aws:ssm:${region}:${awsOwned ? '' : account}:document/${document}`,
        context: { 'ssm:SessionDocumentAccessCheck': 'true' },
        ...(awsOwned ? { unvalidated: 'AWS-owned SSM documents have an empty account in their ARN' } : {}),
      },
    ],
  };
}

const endOwnSession: Call = {
  what: 'ending its own session',
  authorizations: [
    {
      action: 'ssm:TerminateSession',
      resource: `arn:aws:ssm:${region}:${account}:session/AIDAEXAMPLEALICE-0a1b2c3d4e5f60718`,
    },
  ],
};
const endOthersSession: Call = {
  what: "ending someone else's session",
  authorizations: [
    {
      action: 'ssm:TerminateSession',
      resource: `arn:aws:ssm:${region}:${account}:session/AIDAEXAMPLEBOB-0a1b2c3d4e5f60718`,
    },
  ],
};

const worker = `arn:aws:ec2:${region}:${account}:instance/i-0a1b2c3d4e5f60718`;
const workerTags = { 'aws:ResourceTag/jenkins-gpu:fleet': stackName };
const otherStackController = { ...controllerTags, 'aws:ResourceTag/jenkins-gpu:stack': 'OtherStack' };

const cases: Record<string, { allowed: Call[]; denied: Call[] }> = {
  'jenkins-ui-port-forward.json': {
    allowed: [
      startSession(
        'port-forwarding to the controller',
        controller,
        controllerTags,
        'AWS-StartPortForwardingSession',
      ),
      endOwnSession,
      {
        what: 'finding the controller',
        authorizations: [{ action: 'autoscaling:DescribeAutoScalingGroups', resource: '*' }],
      },
    ],
    denied: [
      startSession(
        'a shell on the controller (the default session document)',
        controller,
        controllerTags,
        'SSM-SessionManagerRunShell',
      ),
      startSession(
        "a shell through the stack's logged document",
        controller,
        controllerTags,
        `${stackName}-ShellSession`,
      ),
      startSession('port-forwarding to a GPU worker', worker, workerTags, 'AWS-StartPortForwardingSession'),
      startSession(
        "port-forwarding to another stack's controller",
        controller,
        otherStackController,
        'AWS-StartPortForwardingSession',
      ),
      startSession(
        'port-forwarding to any remote host through the controller',
        controller,
        controllerTags,
        'AWS-StartPortForwardingSessionToRemoteHost',
      ),
      endOthersSession,
    ],
  },
  'jenkins-admin-logged-shell.json': {
    allowed: [
      startSession(
        "a shell through the stack's logged document",
        controller,
        controllerTags,
        `${stackName}-ShellSession`,
      ),
      startSession(
        'port-forwarding to the controller',
        controller,
        controllerTags,
        'AWS-StartPortForwardingSession',
      ),
      endOwnSession,
    ],
    denied: [
      startSession(
        'an unlogged shell (the default session document)',
        controller,
        controllerTags,
        'SSM-SessionManagerRunShell',
      ),
      startSession('a shell on a GPU worker', worker, workerTags, `${stackName}-ShellSession`),
      endOthersSession,
    ],
  },
};

describe.each(Object.entries(cases))('docs/policies/%s', (file, { allowed, denied }) => {
  const policy = examplePolicy(file);

  it('names only actions that exist and condition keys that apply', async () => {
    expect(await lintPolicies([policy])).toEqual([]);
  });

  it.each(allowed.map((c) => [c.what, c] as const))('allows %s', async (_what, c) => {
    expect((await evaluateCall(policy, user, c)).outcome).toBe('Allowed');
  });

  it.each(denied.map((c) => [c.what, c] as const))('denies %s', async (_what, c) => {
    expect((await evaluateCall(policy, user, c)).outcome).not.toBe('Allowed');
  });
});
