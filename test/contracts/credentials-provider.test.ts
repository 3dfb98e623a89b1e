/**
 * The contract of the AWS Secrets Manager Credentials Provider plugin at the pinned release
 * (casc/plugins.txt: aws-secrets-manager-credentials-provider 2.222.v376939a_9ffb_b), as this project holds
 * it in lib/credentials/provider-contract.ts. Read at that tag, under
 * src/main/java/io/jenkins/plugins/credentials/secretsmanager/factory/:
 * - CredentialsFactory.java lines 43-53: string and usernamePassword get a `SecretSupplier`, sshUserPrivateKey
 *   a `StringSupplier`, file (and certificate) a `SecretBytesSupplier`.
 * - lines 69-70: `SecretBytesSupplier` returns null for a text secret; lines 96-97 and 118-119: the text
 *   suppliers return null for a binary one. file/AwsFileCredentials.java line 40 then fails on the null.
 * - lines 143-148: `SecretBinary` is looked at first, then `SecretString`.
 * - line 41: the file name is the `jenkins:credentials:filename` tag, the credential name without it.
 * - Tags.java lines 7-11: the tag keys.
 */
import * as fs from 'fs';
import * as path from 'path';

import { CREDENTIALS, placeholderValue } from '../../lib/credentials/catalog';
import {
  CREDENTIALS_FILENAME_TAG,
  CREDENTIALS_TYPE_TAG,
  CREDENTIALS_USERNAME_TAG,
  fieldOf,
  NotUtf8Error,
  SECRET_FIELD_BY_TYPE,
  secretValueInput,
} from '../../lib/credentials/provider-contract';
import { classifyStoredValue } from '../../lib/credentials/stored-value';

test('the pinned plugin release is the one these facts were read at', () => {
  const plugins = fs.readFileSync(path.join(__dirname, '..', '..', 'casc', 'plugins.txt'), 'utf8');
  expect(plugins).toMatch(/^aws-secrets-manager-credentials-provider:2\.222\.v376939a_9ffb_b$/m);
});

test('type → field: only file credentials are read from SecretBinary', () => {
  expect(SECRET_FIELD_BY_TYPE).toEqual({
    string: 'SecretString',
    usernamePassword: 'SecretString',
    sshUserPrivateKey: 'SecretString',
    file: 'SecretBinary',
  });
});

test('tag keys (Tags.java lines 7-11)', () => {
  expect([CREDENTIALS_TYPE_TAG, CREDENTIALS_USERNAME_TAG, CREDENTIALS_FILENAME_TAG]).toEqual([
    'jenkins:credentials:type',
    'jenkins:credentials:username',
    'jenkins:credentials:filename',
  ]);
});

test('a value is written in the field its type is read from: exact bytes for a file, text otherwise', () => {
  const bytes = new Uint8Array([0xef, 0xbb, 0xbf, 0x7b, 0x0d, 0x0a, 0x00, 0xff]);
  expect(secretValueInput('file', bytes)).toEqual({ SecretBinary: bytes });
  const bom = Buffer.from('\uFEFFtoken', 'utf8');
  expect(secretValueInput('usernamePassword', bom)).toEqual({ SecretString: '\uFEFFtoken' });
  expect(secretValueInput('string', Buffer.from('é'))).toEqual({ SecretString: 'é' });
  expect(() => secretValueInput('usernamePassword', bytes)).toThrow(NotUtf8Error);
});

test('SecretBinary is the field looked at first (CredentialsFactory.java line 143)', () => {
  expect(fieldOf({ SecretString: 'a', SecretBinary: new Uint8Array([1]) })).toBe('SecretBinary');
  expect(fieldOf({ SecretString: 'a' })).toBe('SecretString');
  expect(fieldOf({})).toBeUndefined();
});

test('a file credential stored as text is no credential for Jenkins (lines 69-70); stored as bytes it is', () => {
  const key = '{"type": "service_account"}';
  expect(classifyStoredValue('file', { SecretString: key })).toEqual({
    kind: 'credential',
    field: 'SecretString',
    readable: false,
  });
  expect(classifyStoredValue('file', { SecretBinary: Buffer.from(key) })).toEqual({
    kind: 'credential',
    field: 'SecretBinary',
    readable: true,
  });
  expect(classifyStoredValue('usernamePassword', { SecretBinary: Buffer.from(key) })).toEqual({
    kind: 'credential',
    field: 'SecretBinary',
    readable: false,
  });
});

test('the placeholder is recognised in either field, from its bytes', () => {
  const placeholder = placeholderValue('pypi-pip-conf');
  expect(classifyStoredValue('file', { SecretBinary: Buffer.from(placeholder) })).toEqual({
    kind: 'placeholder',
    field: 'SecretBinary',
    readable: true,
  });
  expect(classifyStoredValue('file', { SecretString: placeholder })).toMatchObject({
    kind: 'placeholder',
    readable: false,
  });
});

test('every catalog credential has a type the plugin knows, and every file one names its file', () => {
  for (const spec of CREDENTIALS) {
    expect(Object.keys(SECRET_FIELD_BY_TYPE)).toContain(spec.type);
    if (spec.type === 'file') {
      // Without the tag the file would be named after the credential id (line 41).
      expect(spec.filename).toMatch(/^[^/]+$/);
    }
  }
});
