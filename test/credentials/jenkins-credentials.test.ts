import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';

import { JenkinsCredentials, JenkinsCredentialsProps } from '../../lib/constructs/jenkins-credentials';
import {
  CREDENTIALS,
  MANAGED_SECRET_INITIAL_VALUE,
  PLACEHOLDER_PREFIX,
  placeholderValue,
} from '../../lib/credentials/catalog';
import { testApp } from '../helpers';

const STACK_NAME = 'JenkinsGpuTraining';

function synth(
  props: JenkinsCredentialsProps = {},
  beforeSynth: (stack: Stack, credentials: JenkinsCredentials) => void = () => undefined,
): { stack: Stack; credentials: JenkinsCredentials; template: Template } {
  // No esbuild bundling in unit tests: the handler has its own tests.
  const app = testApp();
  const stack = new Stack(app, STACK_NAME);
  const credentials = new JenkinsCredentials(stack, 'Credentials', props);
  beforeSynth(stack, credentials);
  return { stack, credentials, template: Template.fromStack(stack) };
}

let defaults: ReturnType<typeof synth> | undefined;
/** synth() with the default props, once, for the tests that only read it. */
const synthDefaults = () => (defaults ??= synth());

function secretByName(
  template: Template,
  name: string,
): { Properties: Record<string, unknown>; DeletionPolicy?: string } {
  const found = Object.values(
    template.findResources('AWS::SecretsManager::Secret', { Properties: { Name: name } }),
  );
  expect(found).toHaveLength(1);
  return found[0] as { Properties: Record<string, unknown>; DeletionPolicy?: string };
}

function tagsOf(resource: { Properties: Record<string, unknown> }): Record<string, string> {
  const tags = (resource.Properties.Tags ?? []) as { Key: string; Value: string }[];
  return Object.fromEntries(tags.map((t) => [t.Key, t.Value]));
}

describe('JenkinsCredentials secrets', () => {
  const { template } = synthDefaults();

  test('one secret per catalog entry named <stack>/<id>, plus admin password and reload token', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', CREDENTIALS.length + 2);
    for (const spec of CREDENTIALS) {
      secretByName(template, `${STACK_NAME}/${spec.id}`);
    }
  });

  test.each(CREDENTIALS.map((c) => [c.id, c] as const))(
    '%s is tagged for the credentials provider',
    (id, spec) => {
      const tags = tagsOf(secretByName(template, `${STACK_NAME}/${id}`));
      const expected: Record<string, string> = {
        'jenkins:credentials:type': spec.type,
        'jenkins-gpu:stack': STACK_NAME,
      };
      if (spec.username) expected['jenkins:credentials:username'] = spec.username;
      if (spec.filename) expected['jenkins:credentials:filename'] = spec.filename;
      expect(tags).toEqual(expected);
    },
  );

  test('user-filled secrets start with the placeholder; the managed key starts as pending', () => {
    for (const spec of CREDENTIALS) {
      const value = secretByName(template, `${STACK_NAME}/${spec.id}`).Properties.SecretString as string;
      if (spec.managedByStack) {
        expect(value).toBe(MANAGED_SECRET_INITIAL_VALUE);
      } else {
        expect(value.startsWith(PLACEHOLDER_PREFIX)).toBe(true);
        expect(value).toContain(spec.id);
      }
    }
  });

  // CloudFormation writes a new version when SecretString changes (AWS::SecretsManager::Secret, SecretString:
  // "When you make a change to this property, a new secret version is created"): over a value a user set.
  // So the text stays what earlier versions of the stack deployed, for file credentials too.
  test('the initial SecretString of every secret is exactly what earlier deploys wrote', () => {
    const deployed: Record<string, string> = {
      'gcp-service-account':
        'PLACEHOLDER: set with npm run credentials -- set gcp-service-account --file <path>',
      'scm-credentials': 'PLACEHOLDER: set with npm run credentials -- set scm-credentials --file <path>',
      'pypi-pip-conf': 'PLACEHOLDER: set with npm run credentials -- set pypi-pip-conf --file <path>',
      'worker-ssh-key': 'PENDING: filled by the stack (worker key pair custom resource)',
    };
    for (const spec of CREDENTIALS) {
      expect(secretByName(template, `${STACK_NAME}/${spec.id}`).Properties.SecretString).toBe(
        deployed[spec.id],
      );
    }
  });

  test('every secret is retained on destroy', () => {
    const secrets = Object.values(template.findResources('AWS::SecretsManager::Secret'));
    expect(secrets.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      expect(secret).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
  });

  test('admin password: generated, 32 chars, punctuation without quotes/backslash/JCasC variable syntax, not a Jenkins credential', () => {
    const secret = secretByName(template, `${STACK_NAME}/admin-password`);
    expect(secret.Properties.SecretString).toBeUndefined();
    expect(secret.Properties.GenerateSecretString).toEqual({
      PasswordLength: 32,
      ExcludePunctuation: false,
      ExcludeCharacters: '"\'`\\$^{}',
    });
    expect(tagsOf(secret)).toEqual({ 'jenkins-gpu:stack': STACK_NAME });
  });

  test('reload token: generated alphanumeric 48, not a Jenkins credential', () => {
    const secret = secretByName(template, `${STACK_NAME}/casc-reload-token`);
    expect(secret.Properties.GenerateSecretString).toMatchObject({
      PasswordLength: 48,
      ExcludePunctuation: true,
    });
    expect(tagsOf(secret)).toEqual({ 'jenkins-gpu:stack': STACK_NAME });
  });

  test('the template holds no private key material', () => {
    expect(JSON.stringify(template.toJSON())).not.toMatch(/PRIVATE KEY/);
  });
});

describe('JenkinsCredentials worker key pair', () => {
  const { template } = synthDefaults();

  test('a custom resource creates the key pair <stack>-workers into the worker-ssh-key secret', () => {
    const keySecretId = Object.keys(
      template.findResources('AWS::SecretsManager::Secret', {
        Properties: { Name: `${STACK_NAME}/worker-ssh-key` },
      }),
    )[0];
    template.hasResourceProperties('Custom::JenkinsWorkerKeyPair', {
      KeyName: `${STACK_NAME}-workers`,
      SecretArn: { Ref: keySecretId },
    });
  });

  test('the handler runs on nodejs24.x', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Description: Match.stringLikeRegexp('key pair'),
    });
  });

  test("the handler's IAM is scoped to the key pair and the one secret", () => {
    const keySecretId = Object.keys(
      template.findResources('AWS::SecretsManager::Secret', {
        Properties: { Name: `${STACK_NAME}/worker-ssh-key` },
      }),
    )[0];
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const statements = policies.flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } }).Properties
          .PolicyDocument.Statement,
    );
    const keyPairStatement = statements.find(
      (s) => JSON.stringify(s.Action) === JSON.stringify(['ec2:CreateKeyPair', 'ec2:DeleteKeyPair']),
    );
    expect(keyPairStatement).toBeDefined();
    expect(JSON.stringify(keyPairStatement!.Resource)).toContain(`:key-pair/${STACK_NAME}-workers`);
    const putStatement = statements.find((s) => s.Action === 'secretsmanager:PutSecretValue');
    expect(putStatement!.Resource).toEqual({ Ref: keySecretId });
    for (const statement of statements) {
      expect(statement.Resource).not.toBe('*');
    }
  });
});

/** Logical id of the catalog secret `id`. */
function secretId(template: Template, id: string): string {
  const [found] = Object.keys(
    template.findResources('AWS::SecretsManager::Secret', { Properties: { Name: `${STACK_NAME}/${id}` } }),
  );
  return found;
}

/** The statements of the inline policies attached to the role of the function described by `description`. */
function handlerStatements(template: Template, description: RegExp): Record<string, unknown>[] {
  const functions = Object.values(template.findResources('AWS::Lambda::Function')).filter((f) =>
    description.test(String(f.Properties.Description)),
  );
  expect(functions).toHaveLength(1);
  const roleId = (functions[0].Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
  const policies = Object.values(
    template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }),
  );
  return policies.flatMap(
    (p) =>
      (p.Properties as { PolicyDocument: { Statement: Record<string, unknown>[] } }).PolicyDocument.Statement,
  );
}

describe('JenkinsCredentials file credential placeholders', () => {
  const { template } = synthDefaults();
  const fileIds = CREDENTIALS.filter((c) => c.type === 'file').map((c) => c.id);

  test('the catalog has file credentials to cover', () => {
    expect(fileIds).toEqual(['gcp-service-account', 'pypi-pip-conf']);
  });

  // The credentials provider reads a file credential from SecretBinary only (CredentialsFactory.java lines
  // 69-70 at 2.222.v376939a_9ffb_b), which CloudFormation cannot create.
  test.each(fileIds)('%s gets a custom resource that stores its placeholder as SecretBinary', (id) => {
    template.hasResourceProperties('Custom::JenkinsFileCredentialPlaceholder', {
      SecretArn: { Ref: secretId(template, id) },
      CredentialType: 'file',
      Placeholder: placeholderValue(id),
    });
  });

  test('text credentials keep the CloudFormation text placeholder: no custom resource for them', () => {
    const resources = Object.values(template.findResources('Custom::JenkinsFileCredentialPlaceholder'));
    expect(resources).toHaveLength(fileIds.length);
    const targets = JSON.stringify(resources.map((r) => r.Properties.SecretArn));
    for (const id of ['scm-credentials', 'worker-ssh-key']) {
      expect(targets).not.toContain(secretId(template, id));
    }
  });

  test('the handler runs on nodejs24.x', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Description: Match.stringLikeRegexp('placeholder of each file credential as SecretBinary'),
    });
  });

  test('its IAM: read and write exactly the file credential secrets, nothing else', () => {
    const statements = handlerStatements(template, /placeholder of each file credential/);
    expect(statements).toEqual([
      {
        Sid: 'WriteOwnLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: {
          'Fn::GetAtt': [expect.stringMatching(/^CredentialsFileCredentialPlaceholderFunctionLogs/), 'Arn'],
        },
      },
      {
        Effect: 'Allow',
        Action: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
        Resource: fileIds.map((id) => ({ Ref: secretId(template, id) })),
      },
    ]);
  });

  test('the custom resources carry the placeholder only, never a value', () => {
    for (const resource of Object.values(
      template.findResources('Custom::JenkinsFileCredentialPlaceholder'),
    )) {
      expect(Object.keys(resource.Properties).sort()).toEqual([
        'CredentialType',
        'Placeholder',
        'SecretArn',
        'ServiceToken',
      ]);
      expect(resource.Properties.Placeholder).toMatch(new RegExp(`^${PLACEHOLDER_PREFIX}`));
    }
  });

  test('a catalog without file credentials gets no placeholder writer', () => {
    const textOnly = CREDENTIALS.filter((c) => c.type !== 'file');
    const { template: t } = synth({ credentials: textOnly });
    t.resourceCountIs('Custom::JenkinsFileCredentialPlaceholder', 0);
    expect(JSON.stringify(t.findResources('AWS::Lambda::Function'))).not.toMatch(/file credential/);
  });
});

describe('JenkinsCredentials API', () => {
  test('grantRead: GetSecretValue on the credential secrets only, ListSecrets on *', () => {
    const { template } = synth({}, (stack, credentials) => {
      const role = new iam.Role(stack, 'Controller', {
        assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      });
      credentials.grantRead(role);
    });
    const [policy] = Object.values(
      template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^Controller') }] },
      }),
    ) as { Properties: { PolicyDocument: { Statement: { Action: string; Resource: unknown }[] } } }[];
    const statements = policy.Properties.PolicyDocument.Statement;
    expect(statements).toHaveLength(2);
    expect(statements[0].Action).toBe('secretsmanager:GetSecretValue');
    expect((statements[0].Resource as unknown[]).length).toBe(CREDENTIALS.length);
    const granted = JSON.stringify(statements[0].Resource);
    const adminId = Object.keys(
      template.findResources('AWS::SecretsManager::Secret', {
        Properties: { Name: `${STACK_NAME}/admin-password` },
      }),
    )[0];
    expect(granted).not.toContain(adminId);
    expect(statements[1]).toMatchObject({ Action: 'secretsmanager:ListSecrets', Resource: '*' });
  });

  test('exposes the prefix, secrets by id and the key pair name', () => {
    const { stack, credentials } = synthDefaults();
    expect(credentials.secretPrefix).toBe(`${STACK_NAME}/`);
    expect(Object.keys(credentials.secrets).sort()).toEqual(CREDENTIALS.map((c) => c.id).sort());
    expect(credentials.secretArns).toHaveLength(CREDENTIALS.length);
    expect(stack.resolve(credentials.keyPairName)).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/WorkerKeyPair/), 'KeyName'],
    });
  });

  test('prefix and removal policy can be overridden', () => {
    const { template } = synth({ secretPrefix: 'dev/jenkins/', removalPolicy: RemovalPolicy.DESTROY });
    const secret = secretByName(template, 'dev/jenkins/scm-credentials');
    expect(secret.DeletionPolicy).toBe('Delete');
  });
});

describe('JenkinsCredentials validation', () => {
  test.each([
    [
      'bad prefix',
      { secretPrefix: 'bad prefix/' },
      'JenkinsCredentials: secretPrefix "bad prefix/" must be 1-200 characters of A-Z a-z 0-9 / _ + = . @ -',
    ],
    [
      'bad key pair name',
      { keyPairName: 'bad/name' },
      'JenkinsCredentials: keyPairName "bad/name" must be 1-255 characters of A-Z a-z 0-9 space . _ -',
    ],
    [
      'duplicate id',
      { credentials: [CREDENTIALS[0], CREDENTIALS[0]] },
      `JenkinsCredentials: duplicate credential id "${CREDENTIALS[0].id}"`,
    ],
    [
      'bad id',
      { credentials: [{ ...CREDENTIALS[0], id: 'has space' }] },
      'JenkinsCredentials: credential id "has space" must match [A-Za-z0-9_.-]+',
    ],
    [
      'managed non-key credential',
      { credentials: [{ ...CREDENTIALS[0], managedByStack: true }] },
      `JenkinsCredentials: credential "${CREDENTIALS[0].id}" is managedByStack but only sshUserPrivateKey credentials can be`,
    ],
  ] as [string, JenkinsCredentialsProps, string][])('rejects a %s', (_name, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});
