import { CreateKeyPairCommand, DeleteKeyPairCommand, EC2Client } from '@aws-sdk/client-ec2';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';

import { handleKeyPairEvent, KeyPairEvent } from '../../lambda/worker-key-pair';

const ec2 = mockClient(EC2Client);
const secretsManager = mockClient(SecretsManagerClient);
const clients = { ec2: new EC2Client({}), secretsManager: new SecretsManagerClient({}) };

const KEY_NAME = 'JenkinsGpuTraining-workers';
const SECRET_ARN =
  'arn:aws:secretsmanager:us-east-1:111122223333:secret:JenkinsGpuTraining/worker-ssh-key-AbCdEf';
// Fake, built at run time so no secret-looking literal sits in the repository.
const PEM_LABEL = ['RSA', 'PRIVATE', 'KEY'].join(' ');
const KEY_MATERIAL = `-----BEGIN ${PEM_LABEL}-----\nfake-key-material\n-----END ${PEM_LABEL}-----`;
const properties = { KeyName: KEY_NAME, SecretArn: SECRET_ARN, StackTag: 'JenkinsGpuTraining' };

function event(RequestType: KeyPairEvent['RequestType'], PhysicalResourceId?: string): KeyPairEvent {
  return { RequestType, PhysicalResourceId, ResourceProperties: properties };
}

let logged: string[];
beforeEach(() => {
  ec2.reset();
  secretsManager.reset();
  logged = [];
  jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => logged.push(args.join(' ')));
});
afterEach(() => jest.restoreAllMocks());

describe('worker key pair handler', () => {
  test('create: RSA PEM key pair, private key stored in the secret, not returned or logged', async () => {
    ec2.on(CreateKeyPairCommand).resolves({ KeyName: KEY_NAME, KeyMaterial: KEY_MATERIAL });
    secretsManager.on(PutSecretValueCommand).resolves({});

    const response = await handleKeyPairEvent(event('Create'), clients);

    expect(ec2.commandCalls(CreateKeyPairCommand)[0].args[0].input).toMatchObject({
      KeyName: KEY_NAME,
      KeyType: 'rsa',
      KeyFormat: 'pem',
    });
    expect(secretsManager.commandCalls(PutSecretValueCommand)[0].args[0].input).toEqual({
      SecretId: SECRET_ARN,
      SecretString: KEY_MATERIAL,
    });
    expect(response).toEqual({ PhysicalResourceId: KEY_NAME, Data: { KeyName: KEY_NAME } });
    expect(JSON.stringify(response)).not.toContain('PRIVATE KEY');
    expect(logged.join('\n')).not.toContain('fake-key-material');
  });

  test('create: a failed PutSecretValue deletes the new key pair and does not leak the key', async () => {
    ec2.on(CreateKeyPairCommand).resolves({ KeyName: KEY_NAME, KeyMaterial: KEY_MATERIAL });
    ec2.on(DeleteKeyPairCommand).resolves({});
    secretsManager.on(PutSecretValueCommand).rejects(new Error(`echo ${KEY_MATERIAL}`));

    const failure = handleKeyPairEvent(event('Create'), clients);

    await expect(failure).rejects.toThrow(`storing the private key of ${KEY_NAME} failed`);
    await expect(failure).rejects.not.toThrow(/fake-key-material/);
    expect(ec2.commandCalls(DeleteKeyPairCommand)[0].args[0].input).toEqual({ KeyName: KEY_NAME });
  });

  test('update with the same name: no AWS call', async () => {
    const response = await handleKeyPairEvent(event('Update', KEY_NAME), clients);
    expect(response).toEqual({ PhysicalResourceId: KEY_NAME, Data: { KeyName: KEY_NAME } });
    expect(ec2.calls()).toHaveLength(0);
    expect(secretsManager.calls()).toHaveLength(0);
  });

  test('update with a new name: a new key pair under the new physical id', async () => {
    ec2.on(CreateKeyPairCommand).resolves({ KeyName: KEY_NAME, KeyMaterial: KEY_MATERIAL });
    secretsManager.on(PutSecretValueCommand).resolves({});
    const response = await handleKeyPairEvent(event('Update', 'old-workers'), clients);
    expect(response.PhysicalResourceId).toBe(KEY_NAME);
    expect(ec2.commandCalls(CreateKeyPairCommand)).toHaveLength(1);
  });

  test('delete: deletes the key pair named by the physical id', async () => {
    ec2.on(DeleteKeyPairCommand).resolves({});
    await handleKeyPairEvent(event('Delete', KEY_NAME), clients);
    expect(ec2.commandCalls(DeleteKeyPairCommand)[0].args[0].input).toEqual({ KeyName: KEY_NAME });
    expect(secretsManager.calls()).toHaveLength(0);
  });

  test('delete: an already missing key pair is fine, other errors fail', async () => {
    const notFound = Object.assign(new Error('not found'), { name: 'InvalidKeyPair.NotFound' });
    ec2.on(DeleteKeyPairCommand).rejectsOnce(notFound).rejectsOnce(new Error('throttled'));
    await expect(handleKeyPairEvent(event('Delete', KEY_NAME), clients)).resolves.toEqual({
      PhysicalResourceId: KEY_NAME,
    });
    await expect(handleKeyPairEvent(event('Delete', KEY_NAME), clients)).rejects.toThrow('throttled');
  });
});
