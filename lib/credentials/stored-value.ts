/**
 * What a stored secret value is, for the credential type it serves: still the stack's placeholder or a
 * credential, and whether it sits in the field the plugin reads (provider-contract.ts). One judgement shared
 * by `credentials status` and the placeholder custom resource; it never returns or keeps the value.
 */
import { PLACEHOLDER_PREFIX } from './catalog';
import { CredentialType, fieldOf, SecretField, secretFieldOf, StoredSecretValue } from './provider-contract';

export type StoredValueState =
  /** The response had neither field (the plugin throws "empty secret", CredentialsFactory.java line 149). */
  | { readonly kind: 'empty' }
  | {
      readonly kind: 'placeholder' | 'credential';
      /** Where the value is. */
      readonly field: SecretField;
      /** Whether that is the field the plugin reads for the type; if not, Jenkins sees no credential. */
      readonly readable: boolean;
    };

/**
 * Classifies `value` for a credential of `type`. `initialPrefix` is what the stack writes before a user
 * does (the placeholder, or the pending marker of the stack-managed key).
 */
export function classifyStoredValue(
  type: CredentialType,
  value: StoredSecretValue,
  initialPrefix: string = PLACEHOLDER_PREFIX,
): StoredValueState {
  const field = fieldOf(value);
  if (field === undefined) {
    return { kind: 'empty' };
  }
  const bytes = field === 'SecretBinary' ? value.SecretBinary! : Buffer.from(value.SecretString!, 'utf8');
  return {
    kind: startsWith(bytes, initialPrefix) ? 'placeholder' : 'credential',
    field,
    readable: field === secretFieldOf(type),
  };
}

/** Whether `bytes` begin with the UTF-8 bytes of `prefix`. */
export function startsWith(bytes: Uint8Array, prefix: string): boolean {
  const expected = Buffer.from(prefix, 'utf8');
  return bytes.length >= expected.length && Buffer.from(bytes.subarray(0, expected.length)).equals(expected);
}
