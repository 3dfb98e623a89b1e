/**
 * Custom resource (CDK Provider framework onEvent handler) for the GPU workers' EC2 key pair.
 *
 * Create: CreateKeyPair (RSA, PEM), PutSecretValue of the private key into the `worker-ssh-key` secret,
 * return the key name. The private key only ever travels from EC2 to Secrets Manager: it is never in the
 * response Data, never logged, never in the template.
 * Update with the same name: no-op. Update with a new name: a new key pair (new physical id), and
 * CloudFormation then deletes the old one.
 * Delete: DeleteKeyPair (a missing key pair is fine). The retained secret keeps the dead key.
 */
import { CreateKeyPairCommand, DeleteKeyPairCommand, EC2Client } from '@aws-sdk/client-ec2';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

import { STACK_TAG_KEY, type WorkerKeyPairResourceProperties } from '../../lib/contracts';

/** The subset of the Provider framework event this handler reads. */
export interface KeyPairEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: WorkerKeyPairResourceProperties & { readonly ServiceToken?: string };
}

export interface KeyPairResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: { readonly KeyName: string };
}

export interface KeyPairClients {
  readonly ec2: EC2Client;
  readonly secretsManager: SecretsManagerClient;
}

/** Lambda entry point (the runtime passes a context as second argument, so clients are wired here). */
export async function handler(event: KeyPairEvent): Promise<KeyPairResponse> {
  return handleKeyPairEvent(event, { ec2: new EC2Client({}), secretsManager: new SecretsManagerClient({}) });
}

export async function handleKeyPairEvent(
  event: KeyPairEvent,
  clients: KeyPairClients,
): Promise<KeyPairResponse> {
  const props = event.ResourceProperties;
  // Only the request type and key name: the event holds no secret, but keep logs minimal on principle.
  console.log(`worker key pair: ${event.RequestType} ${props.KeyName}`);
  switch (event.RequestType) {
    case 'Create':
      return createKeyPair(props, clients);
    case 'Update':
      if (event.PhysicalResourceId === props.KeyName) {
        return { PhysicalResourceId: props.KeyName, Data: { KeyName: props.KeyName } };
      }
      return createKeyPair(props, clients);
    case 'Delete':
      await deleteKeyPair(event.PhysicalResourceId, clients.ec2);
      return { PhysicalResourceId: event.PhysicalResourceId ?? props.KeyName };
  }
}

async function createKeyPair(
  props: WorkerKeyPairResourceProperties,
  clients: KeyPairClients,
): Promise<KeyPairResponse> {
  const tags = props.StackTag ? [{ Key: STACK_TAG_KEY, Value: props.StackTag }] : [];
  const created = await clients.ec2.send(
    new CreateKeyPairCommand({
      KeyName: props.KeyName,
      KeyType: 'rsa',
      KeyFormat: 'pem',
      TagSpecifications: tags.length > 0 ? [{ ResourceType: 'key-pair', Tags: tags }] : undefined,
    }),
  );
  if (!created.KeyMaterial) {
    await deleteKeyPair(props.KeyName, clients.ec2);
    throw new Error(`CreateKeyPair returned no key material for ${props.KeyName}`);
  }
  try {
    await clients.secretsManager.send(
      new PutSecretValueCommand({ SecretId: props.SecretArn, SecretString: created.KeyMaterial }),
    );
  } catch (error) {
    // Without its private key stored, the key pair is useless: remove it so a retry can create it again.
    await deleteKeyPair(props.KeyName, clients.ec2);
    throw new Error(`storing the private key of ${props.KeyName} failed: ${errorName(error)}`);
  }
  return { PhysicalResourceId: props.KeyName, Data: { KeyName: props.KeyName } };
}

async function deleteKeyPair(keyName: string | undefined, ec2: EC2Client): Promise<void> {
  if (!keyName) {
    return;
  }
  try {
    await ec2.send(new DeleteKeyPairCommand({ KeyName: keyName }));
  } catch (error) {
    if (errorName(error) !== 'InvalidKeyPair.NotFound') {
      throw error;
    }
  }
}

/** Error name only: SDK error messages could in theory echo request parameters. */
function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'unknown error';
}
