import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  PutSecretValueCommandInput,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';

import {
  decideAction,
  handlePlaceholderEvent,
  PlaceholderEvent,
} from '../../lambda/file-credential-placeholder';
import { placeholderValue } from '../../lib/credentials/catalog';
import { StoredSecretValue } from '../../lib/credentials/provider-contract';

const secretsManager = mockClient(SecretsManagerClient);
const client = new SecretsManagerClient({});
const SECRET_ARN =
  'arn:aws:secretsmanager:us-east-1:111122223333:secret:JenkinsGpuTraining/gcp-service-account-AbCdEf';
const PLACEHOLDER = placeholderValue('gcp-service-account');
/** What every stack before the custom resource deployed, spelled out (not derived from the code under test). */
const OLD_TEXT_PLACEHOLDER =
  'PLACEHOLDER: set with npm run credentials -- set gcp-service-account --file <path>';
/** A key file as the old CLI stored it (UTF-8 text as SecretString): non-ASCII and CRLF must survive. */
const USER_TEXT = '{\r\n  "type": "service_account",\r\n  "private_key": "sécrét-key-body"\r\n}\n';

/**
 * One secret as Secrets Manager keeps it, as far as this handler uses it. GetSecretValue returns the
 * AWSCURRENT version with the one field it was stored in (API reference, GetSecretValue: SecretBinary is
 * omitted for a secret stored as a string, and the other way round); PutSecretValue takes exactly one of
 * SecretString and SecretBinary (API reference, PutSecretValue) and makes a new AWSCURRENT version.
 */
class FakeSecret {
  readonly versions: StoredSecretValue[];

  constructor(initial: StoredSecretValue) {
    this.versions = [initial];
    secretsManager.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).callsFake(() => {
      const current = this.current;
      return {
        ARN: SECRET_ARN,
        ...(current.SecretBinary !== undefined
          ? { SecretBinary: new Uint8Array(current.SecretBinary) }
          : { SecretString: current.SecretString }),
      };
    });
    secretsManager
      .on(PutSecretValueCommand, { SecretId: SECRET_ARN })
      .callsFake((input: PutSecretValueCommandInput) => {
        if ((input.SecretString === undefined) === (input.SecretBinary === undefined)) {
          throw Object.assign(new Error('You must provide either SecretString or SecretBinary.'), {
            name: 'InvalidParameterException',
          });
        }
        this.versions.push(
          input.SecretBinary !== undefined
            ? { SecretBinary: new Uint8Array(input.SecretBinary) }
            : { SecretString: input.SecretString },
        );
        return { ARN: SECRET_ARN, VersionId: `v${this.versions.length}` };
      });
  }

  get current(): StoredSecretValue {
    return this.versions[this.versions.length - 1];
  }
}

function event(
  RequestType: PlaceholderEvent['RequestType'],
  overrides: Partial<PlaceholderEvent['ResourceProperties']> = {},
): PlaceholderEvent {
  return {
    RequestType,
    PhysicalResourceId: RequestType === 'Create' ? undefined : SECRET_ARN,
    ResourceProperties: {
      ServiceToken: 'arn:aws:lambda:us-east-1:111122223333:function:provider',
      SecretArn: SECRET_ARN,
      CredentialType: 'file',
      Placeholder: PLACEHOLDER,
      ...overrides,
    },
  };
}

function puts(): PutSecretValueCommandInput[] {
  return secretsManager.commandCalls(PutSecretValueCommand).map((c) => c.args[0].input);
}

let logged: string[];
beforeEach(() => {
  secretsManager.reset();
  logged = [];
  jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => logged.push(args.join(' ')));
});
afterEach(() => jest.restoreAllMocks());

describe('file credential placeholder handler', () => {
  test('create on a new secret: the text placeholder CloudFormation wrote becomes the same bytes as SecretBinary', async () => {
    const secret = new FakeSecret({ SecretString: PLACEHOLDER });

    const response = await handlePlaceholderEvent(event('Create'), client);

    expect(puts()).toHaveLength(1);
    expect(puts()[0].SecretString).toBeUndefined();
    expect(Buffer.from(secret.current.SecretBinary!)).toEqual(Buffer.from(PLACEHOLDER, 'utf8'));
    expect(response).toEqual({ PhysicalResourceId: SECRET_ARN });
  });

  test('migrates a stack deployed with the old text placeholder to the binary placeholder', async () => {
    const secret = new FakeSecret({ SecretString: OLD_TEXT_PLACEHOLDER });

    await handlePlaceholderEvent(event('Create'), client);

    expect(Buffer.from(secret.current.SecretBinary!).toString('utf8')).toBe(OLD_TEXT_PLACEHOLDER);
    expect(secret.current.SecretString).toBeUndefined();
  });

  test('converts a file the old CLI stored as text to SecretBinary with the same bytes, never logged', async () => {
    const secret = new FakeSecret({ SecretString: USER_TEXT });

    const response = await handlePlaceholderEvent(event('Create'), client);

    expect(Buffer.from(secret.current.SecretBinary!)).toEqual(Buffer.from(USER_TEXT, 'utf8'));
    expect(secret.versions).toHaveLength(2); // the text stays as the previous version
    expect(JSON.stringify(response)).not.toContain('private_key');
    expect(logged.join('\n')).not.toMatch(/private_key|sécrét/);
    expect(logged.join('\n')).toContain('convert-text');
  });

  test('never overwrites a binary value a user set', async () => {
    const userBytes = new Uint8Array([0x00, 0xff, 0x50, 0x4b, 0x03, 0x04, 0x0a]);
    const secret = new FakeSecret({ SecretBinary: userBytes });

    await handlePlaceholderEvent(event('Create'), client);
    await handlePlaceholderEvent(event('Update'), client);

    expect(puts()).toHaveLength(0);
    expect(secret.current.SecretBinary).toEqual(userBytes);
  });

  test('idempotent: Create then Updates write the placeholder once', async () => {
    const secret = new FakeSecret({ SecretString: PLACEHOLDER });

    await handlePlaceholderEvent(event('Create'), client);
    await handlePlaceholderEvent(event('Update'), client);
    await handlePlaceholderEvent(event('Update'), client);

    expect(puts()).toHaveLength(1);
    expect(secret.versions).toHaveLength(2);
    expect(logged.filter((l) => l.endsWith(': keep'))).toHaveLength(2);
  });

  test('a user value set after the placeholder is kept on update', async () => {
    const secret = new FakeSecret({ SecretString: PLACEHOLDER });
    await handlePlaceholderEvent(event('Create'), client);
    secret.versions.push({
      SecretBinary: Buffer.from('[global]\nindex-url = https://pypi.example.invalid\n'),
    });

    await handlePlaceholderEvent(event('Update'), client);

    expect(puts()).toHaveLength(1); // the Create only
    expect(Buffer.from(secret.current.SecretBinary!).toString()).toContain('[global]');
  });

  test('delete does nothing to the retained secret', async () => {
    const response = await handlePlaceholderEvent(event('Delete'), client);

    expect(secretsManager.calls()).toHaveLength(0);
    expect(response).toEqual({ PhysicalResourceId: SECRET_ARN });
  });

  test('refuses a type read from SecretString and a placeholder that is not one, before any call', async () => {
    await expect(
      handlePlaceholderEvent(event('Create', { CredentialType: 'usernamePassword' }), client),
    ).rejects.toThrow('CredentialType "usernamePassword" is not stored as SecretBinary');
    await expect(
      handlePlaceholderEvent(event('Create', { Placeholder: 'real-value' }), client),
    ).rejects.toThrow(/does not start with "PLACEHOLDER: /);
    expect(secretsManager.calls()).toHaveLength(0);
  });

  test('an AWS failure names the step and the error, not the SDK message', async () => {
    secretsManager
      .on(GetSecretValueCommand)
      .rejects(
        Object.assign(new Error('User is not authorized ... value abc'), { name: 'AccessDeniedException' }),
      );
    await expect(handlePlaceholderEvent(event('Create'), client)).rejects.toThrow(
      `reading ${SECRET_ARN} failed: AccessDeniedException`,
    );
  });
});

describe('decideAction', () => {
  test.each([
    ['text placeholder', 'write-placeholder', { SecretString: PLACEHOLDER }],
    ['binary placeholder', 'keep', { SecretBinary: Buffer.from(PLACEHOLDER) }],
    ['text value', 'convert-text', { SecretString: USER_TEXT }],
    ['binary value', 'keep', { SecretBinary: Buffer.from(USER_TEXT) }],
    ['no value', 'write-placeholder', {}],
  ] as [string, string, StoredSecretValue][])('%s: %s', (_name, action, stored) => {
    expect(decideAction('file', stored)).toBe(action);
  });
});
