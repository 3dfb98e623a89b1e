/**
 * Custom resource (CDK Provider framework onEvent handler) that puts a file credential's value into the
 * field the credentials provider plugin reads for it, SecretBinary (lib/credentials/provider-contract.ts).
 *
 * CloudFormation can only create a text secret, so the construct creates each file secret with the text
 * placeholder, exactly as every earlier version of the stack did (a changed `SecretString` would make
 * CloudFormation write it again over a user's value). On Create and Update this handler reads the value once
 * and, in the one field that decides it:
 * - text placeholder (a new secret, or a stack deployed before this handler existed): writes the placeholder
 *   bytes as SecretBinary, once;
 * - text credential (a file the old CLI stored as SecretString): writes the same bytes as SecretBinary. We
 *   convert instead of asking the user to re-set it: the old CLI only stored a file as text when it decoded
 *   as strict UTF-8, so the UTF-8 of the text is the file's bytes (a leading BOM, which that decoder dropped,
 *   is the one thing it never kept), and builds work again after the deploy without anyone copying a secret.
 *   The text version stays as AWSPREVIOUS;
 * - binary (the placeholder or a user's file): nothing. A value a user set is never overwritten.
 * PutSecretValue has no compare-and-set: a `credentials set` landing between our read and write (the same
 * instant of a deploy) would be replaced by the converted older value; `credentials status` then shows it set.
 * Delete: nothing, the secrets are retained with their values.
 *
 * Never logs or returns a value: the log names the secret and what was done. Must not import aws-cdk-lib.
 */
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';

import { type CredentialPlaceholderResourceProperties } from '../../lib/contracts';
import { PLACEHOLDER_PREFIX } from '../../lib/credentials/catalog';
import {
  CredentialType,
  SECRET_FIELD_BY_TYPE,
  secretFieldOf,
  secretValueInput,
  StoredSecretValue,
} from '../../lib/credentials/provider-contract';
import { classifyStoredValue } from '../../lib/credentials/stored-value';

/** The subset of the Provider framework event this handler reads. */
export interface PlaceholderEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: CredentialPlaceholderResourceProperties & { readonly ServiceToken?: string };
}

export interface PlaceholderResponse {
  readonly PhysicalResourceId: string;
}

export type PlaceholderAction = 'keep' | 'write-placeholder' | 'convert-text';

/** Lambda entry point (the runtime passes a context as second argument, so the client is wired here). */
export async function handler(event: PlaceholderEvent): Promise<PlaceholderResponse> {
  return handlePlaceholderEvent(event, new SecretsManagerClient({}));
}

export async function handlePlaceholderEvent(
  event: PlaceholderEvent,
  client: SecretsManagerClient,
): Promise<PlaceholderResponse> {
  const props = event.ResourceProperties;
  if (event.RequestType === 'Delete') {
    console.log(`file credential placeholder: Delete ${props.SecretArn}: nothing to do (secret retained)`);
    return { PhysicalResourceId: event.PhysicalResourceId ?? props.SecretArn };
  }
  const type = binaryCredentialType(props);
  const current = await readValue(client, props.SecretArn);
  const action = decideAction(type, current);
  if (action !== 'keep') {
    const bytes =
      action === 'write-placeholder'
        ? Buffer.from(props.Placeholder, 'utf8')
        : Buffer.from(current.SecretString ?? '', 'utf8');
    await writeValue(client, props.SecretArn, type, bytes);
  }
  console.log(`file credential placeholder: ${event.RequestType} ${props.SecretArn}: ${action}`);
  return { PhysicalResourceId: props.SecretArn };
}

/** What to do with the current value: only a value outside SecretBinary is ever written. */
export function decideAction(type: CredentialType, current: StoredSecretValue): PlaceholderAction {
  const state = classifyStoredValue(type, current);
  if (state.kind === 'empty') {
    return 'write-placeholder';
  }
  if (state.readable) {
    return 'keep';
  }
  return state.kind === 'placeholder' ? 'write-placeholder' : 'convert-text';
}

function binaryCredentialType(props: CredentialPlaceholderResourceProperties): CredentialType {
  const type = props.CredentialType as CredentialType;
  if (!(type in SECRET_FIELD_BY_TYPE) || secretFieldOf(type) !== 'SecretBinary') {
    throw new Error(`CredentialType "${props.CredentialType}" is not stored as SecretBinary`);
  }
  if (!props.Placeholder.startsWith(PLACEHOLDER_PREFIX)) {
    // The property is in the template: anything but the placeholder would be a secret in plain sight.
    throw new Error(`Placeholder of ${props.SecretArn} does not start with "${PLACEHOLDER_PREFIX}"`);
  }
  return type;
}

async function readValue(client: SecretsManagerClient, secretArn: string): Promise<StoredSecretValue> {
  try {
    const got = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    return { SecretString: got.SecretString, SecretBinary: got.SecretBinary };
  } catch (error) {
    throw new Error(`reading ${secretArn} failed: ${errorName(error)}`);
  }
}

async function writeValue(
  client: SecretsManagerClient,
  secretArn: string,
  type: CredentialType,
  bytes: Uint8Array,
): Promise<void> {
  try {
    await client.send(new PutSecretValueCommand({ SecretId: secretArn, ...secretValueInput(type, bytes) }));
  } catch (error) {
    throw new Error(`writing ${secretArn} failed: ${errorName(error)}`);
  }
}

/** Error name only: SDK error messages could in theory echo request parameters. */
function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'unknown error';
}
