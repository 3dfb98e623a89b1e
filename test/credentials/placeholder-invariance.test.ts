import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';

import { JenkinsCredentials } from '../../lib/constructs/jenkins-credentials';
import { CREDENTIALS } from '../../lib/credentials/catalog';
import { testApp } from '../helpers';

/**
 * What CloudFormation writes into a secret must never change once a stack exists. CloudFormation writes a
 * new secret version whenever an AWS::SecretsManager::Secret's SecretString differs from the last deploy
 * (the property's update behaviour is "No interruption": an update is a PutSecretValue), and the new
 * version becomes AWSCURRENT: a reworded placeholder would erase every value users set with
 * `npm run credentials -- set`, and a reworded "pending" text would erase the workers' private key, which
 * the key-pair custom resource writes only once. A changed GenerateSecretString regenerates the admin
 * password and the JCasC reload token (the controller reads the token at boot only, so every apply would
 * then fail with 401 until the next boot).
 *
 * So the texts are pinned here as literals. If this test fails, do not update the literals: keep the old
 * text for existing credentials, or give a changed credential a new id. A new credential adds a line.
 */
const FROZEN_SECRET_STRINGS: Readonly<Record<string, string>> = {
  'gcp-service-account': 'PLACEHOLDER: set with npm run credentials -- set gcp-service-account --file <path>',
  'scm-credentials': 'PLACEHOLDER: set with npm run credentials -- set scm-credentials --file <path>',
  'pypi-pip-conf': 'PLACEHOLDER: set with npm run credentials -- set pypi-pip-conf --file <path>',
  'worker-ssh-key': 'PENDING: filled by the stack (worker key pair custom resource)',
};

const FROZEN_GENERATED: Readonly<Record<string, unknown>> = {
  'admin-password': {
    PasswordLength: 32,
    ExcludePunctuation: false,
    ExcludeCharacters: '"\'`\\$^{}',
  },
  'casc-reload-token': { PasswordLength: 48, ExcludePunctuation: true, IncludeSpace: false },
};

function secrets(): Record<string, Record<string, unknown>> {
  const app = testApp();
  const stack = new Stack(app, 'JenkinsGpuTraining');
  new JenkinsCredentials(stack, 'Credentials');
  const found = Template.fromStack(stack).findResources('AWS::SecretsManager::Secret');
  return Object.fromEntries(
    Object.values(found).map((r) => {
      const props = (r as { Properties: Record<string, unknown> }).Properties;
      return [String(props.Name).replace(/^JenkinsGpuTraining\//, ''), props];
    }),
  );
}

describe('what CloudFormation writes into the secrets never changes', () => {
  const byId = secrets();

  it.each(Object.entries(FROZEN_SECRET_STRINGS))('%s keeps its creation text', (id, text) => {
    expect(byId[id]?.SecretString).toBe(text);
  });

  it('pins every credential of the catalog (a new one adds a line above; no line ever changes)', () => {
    expect(CREDENTIALS.map((c) => c.id).sort()).toEqual(Object.keys(FROZEN_SECRET_STRINGS).sort());
  });

  it.each(Object.entries(FROZEN_GENERATED))('%s keeps its generation settings', (id, settings) => {
    expect(byId[id]?.GenerateSecretString).toEqual(settings);
  });

  it('has no other secret CloudFormation would write', () => {
    expect(Object.keys(byId).sort()).toEqual(
      [...Object.keys(FROZEN_SECRET_STRINGS), ...Object.keys(FROZEN_GENERATED)].sort(),
    );
  });
});
