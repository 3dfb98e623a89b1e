/**
 * What the AWS Secrets Manager Credentials Provider plugin reads from a secret, at the release pinned in
 * casc/plugins.txt (2.222.v376939a_9ffb_b). Sources, all under
 * src/main/java/io/jenkins/plugins/credentials/secretsmanager/factory/ at that tag:
 * - Tags.java lines 7-11: the tag keys below.
 * - CredentialsFactory.java lines 43-53: which value supplier each `jenkins:credentials:type` gets;
 *   lines 59-123: `SecretBytesSupplier` (file, certificate) returns null for a text secret (lines 69-70),
 *   `SecretSupplier` (string, usernamePassword) and `StringSupplier` (sshUserPrivateKey) return null for a
 *   binary one; lines 143-148: binary wins when the response has `SecretBinary`.
 * - file/AwsFileCredentials.java line 40: `getContent()` dereferences that null, so a file credential
 *   stored as text fails every build that binds it.
 * - CredentialsFactory.java line 41: the file name is the `jenkins:credentials:filename` tag (else the id).
 *
 * Used by the construct (which secrets need a binary placeholder), the placeholder custom resource
 * (lambda/file-credential-placeholder) and the CLI (`set` and `status`). Must not import aws-cdk-lib.
 */

/** Tag keys read by the plugin (Tags.java lines 7-11). */
export const CREDENTIALS_TYPE_TAG = 'jenkins:credentials:type';
export const CREDENTIALS_USERNAME_TAG = 'jenkins:credentials:username';
export const CREDENTIALS_FILENAME_TAG = 'jenkins:credentials:filename';

/** The `jenkins:credentials:type` values this project uses (Type.java; `certificate` is not used). */
export type CredentialType = 'string' | 'usernamePassword' | 'sshUserPrivateKey' | 'file';

/** The field of `GetSecretValue`/`PutSecretValue` that holds a value. */
export type SecretField = 'SecretString' | 'SecretBinary';

/** The field the plugin reads for each type; a value in the other field is no credential at all. */
export const SECRET_FIELD_BY_TYPE: Readonly<Record<CredentialType, SecretField>> = {
  string: 'SecretString',
  usernamePassword: 'SecretString',
  sshUserPrivateKey: 'SecretString',
  file: 'SecretBinary',
};

export function secretFieldOf(type: CredentialType): SecretField {
  return SECRET_FIELD_BY_TYPE[type];
}

/** A value as `GetSecretValue` returns it: exactly one of the two fields is present. */
export interface StoredSecretValue {
  readonly SecretString?: string;
  readonly SecretBinary?: Uint8Array;
}

/** The `PutSecretValue` value fields for `bytes` in the field the plugin reads for `type`. */
export type SecretValueInput = { readonly SecretString: string } | { readonly SecretBinary: Uint8Array };

/** Thrown when bytes for a text field are not UTF-8: the caller says which input it was. */
export class NotUtf8Error extends Error {}

/**
 * `bytes` as the `PutSecretValue` field the plugin reads for `type`: the exact bytes for SecretBinary, their
 * UTF-8 text for SecretString (invalid UTF-8 throws `NotUtf8Error`: it could not round-trip through text).
 */
export function secretValueInput(type: CredentialType, bytes: Uint8Array): SecretValueInput {
  if (secretFieldOf(type) === 'SecretBinary') {
    return { SecretBinary: bytes };
  }
  try {
    // ignoreBOM: keep a leading BOM as a character, so the text holds every input byte.
    return { SecretString: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes) };
  } catch {
    throw new NotUtf8Error(`not UTF-8 text; a ${type} credential is stored as SecretString`);
  }
}

/** The field a stored value is in (`undefined` for a response with neither, which the plugin rejects). */
export function fieldOf(value: StoredSecretValue): SecretField | undefined {
  if (value.SecretBinary !== undefined) return 'SecretBinary'; // CredentialsFactory.java line 143: first
  if (value.SecretString !== undefined) return 'SecretString';
  return undefined;
}
