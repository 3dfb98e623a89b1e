import { CustomResource, RemovalPolicy, SecretValue, Stack, Tags, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';

import {
  type CredentialPlaceholderResourceProperties,
  STACK_TAG_KEY,
  type WorkerKeyPairResourceProperties,
} from '../contracts';
import {
  CREDENTIALS,
  CredentialSpec,
  MANAGED_SECRET_INITIAL_VALUE,
  placeholderValue,
} from '../credentials/catalog';
import {
  CREDENTIALS_FILENAME_TAG,
  CREDENTIALS_TYPE_TAG,
  CREDENTIALS_USERNAME_TAG,
  secretFieldOf,
} from '../credentials/provider-contract';
import { UserInputError } from '../errors';
import { acknowledgeFinding } from '../nag/acknowledge';
import { nagRuleId, wildcardResourceId } from '../nag/finding-id';
import { projectFunction, scopedProvider } from './lambda-defaults';

export interface JenkinsCredentialsProps {
  /**
   * Name of the owning stack: default secret prefix, key-pair name and the `jenkins-gpu:stack` tag.
   *
   * @default - `Stack.of(this).stackName`
   */
  readonly stackName?: string;

  /**
   * Prefix of every secret name (`<secretPrefix><id>`). The credentials provider strips it, so Jenkins
   * sees the catalog ids.
   *
   * @default - `<stackName>/`
   */
  readonly secretPrefix?: string;

  /**
   * Name of the EC2 key pair created for the GPU workers; its private key goes into the
   * `worker-ssh-key` secret.
   *
   * @default - `<stackName>-workers`
   */
  readonly keyPairName?: string;

  /**
   * The Jenkins credentials to create. Only for tests and forks: the stack uses the catalog.
   *
   * @default - `CREDENTIALS` from `lib/credentials/catalog.ts`
   */
  readonly credentials?: readonly CredentialSpec[];

  /**
   * What happens to the secrets on `cdk destroy` or removal from the stack. RETAIN keeps user-filled
   * values (and the admin password) through a destroy; a re-deploy under the same stack name then needs
   * them deleted first (their names are fixed).
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

const SECRET_NAME_PATTERN = /^[A-Za-z0-9/_+=.@-]+$/;
const CREDENTIAL_ID_PATTERN = /^[A-Za-z0-9_.-]+$/;
const KEY_PAIR_NAME_PATTERN = /^[A-Za-z0-9 ._-]{1,255}$/;

/** Validates the props; throws with an exact message (tested). */
function validateJenkinsCredentialsProps(
  stackName: string,
  secretPrefix: string,
  keyPairName: string,
  credentials: readonly CredentialSpec[],
): void {
  if (Token.isUnresolved(stackName) || stackName.length === 0) {
    throw new UserInputError('JenkinsCredentials: stackName must be a non-empty literal string');
  }
  if (!SECRET_NAME_PATTERN.test(secretPrefix) || secretPrefix.length > 200) {
    throw new UserInputError(
      `JenkinsCredentials: secretPrefix "${secretPrefix}" must be 1-200 characters of A-Z a-z 0-9 / _ + = . @ -`,
    );
  }
  if (!KEY_PAIR_NAME_PATTERN.test(keyPairName)) {
    throw new UserInputError(
      `JenkinsCredentials: keyPairName "${keyPairName}" must be 1-255 characters of A-Z a-z 0-9 space . _ -`,
    );
  }
  const seen = new Set<string>();
  for (const spec of credentials) {
    if (!CREDENTIAL_ID_PATTERN.test(spec.id)) {
      throw new UserInputError(`JenkinsCredentials: credential id "${spec.id}" must match [A-Za-z0-9_.-]+`);
    }
    if (seen.has(spec.id)) {
      throw new UserInputError(`JenkinsCredentials: duplicate credential id "${spec.id}"`);
    }
    seen.add(spec.id);
    if (spec.managedByStack && spec.type !== 'sshUserPrivateKey') {
      throw new UserInputError(
        `JenkinsCredentials: credential "${spec.id}" is managedByStack but only sshUserPrivateKey credentials can be`,
      );
    }
  }
  if (credentials.filter((c) => c.managedByStack).length > 1) {
    throw new UserInputError(
      'JenkinsCredentials: at most one credential can be managedByStack (the worker key)',
    );
  }
}

/**
 * The Jenkins credentials as Secrets Manager secrets, tagged for the AWS Secrets Manager Credentials
 * Provider plugin, plus the generated admin password and JCasC reload token (not tagged as credentials).
 *
 * User-filled secrets start as a recognisable, non-secret placeholder (the template never holds a real
 * value); `npm run credentials -- set` fills them. Each value sits in the field the plugin reads for its
 * type (lib/credentials/provider-contract.ts): text for passwords, SecretBinary for files, whose placeholder
 * a custom resource writes because CloudFormation can only create text. The workers' SSH key is made by a
 * custom resource that writes the private key straight into its secret, so it never appears in the template
 * or `cdk.out`.
 *
 * All secrets are retained on `cdk destroy` by default (see `removalPolicy`).
 */
export class JenkinsCredentials extends Construct {
  /** Credential secrets by catalog id. */
  public readonly secrets: Readonly<Record<string, secretsmanager.ISecret>>;
  /** ARNs of the credential secrets (not the admin password or reload token). */
  public readonly secretArns: string[];
  /** Name prefix of every secret of this construct. */
  public readonly secretPrefix: string;
  /** The workers' EC2 key pair name (resolved from the custom resource, so it depends on it). */
  public readonly keyPairName: string;
  /** Password of the local Jenkins `admin` user, generated by Secrets Manager. */
  public readonly adminPasswordSecret: secretsmanager.ISecret;
  /** Token for `POST /reload-configuration-as-code/`, generated by Secrets Manager. */
  public readonly reloadTokenSecret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, props: JenkinsCredentialsProps = {}) {
    super(scope, id);
    const stackName = props.stackName ?? Stack.of(this).stackName;
    const secretPrefix = props.secretPrefix ?? `${stackName}/`;
    const keyPairName = props.keyPairName ?? `${stackName}-workers`;
    const credentials = props.credentials ?? CREDENTIALS;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    validateJenkinsCredentialsProps(stackName, secretPrefix, keyPairName, credentials);
    this.secretPrefix = secretPrefix;

    const secrets: Record<string, secretsmanager.Secret> = {};
    for (const spec of credentials) {
      const secret = new secretsmanager.Secret(this, `Credential-${spec.id}`, {
        secretName: `${secretPrefix}${spec.id}`,
        description: `Jenkins credential ${spec.id}: ${spec.description}`,
        // Not secret: a placeholder (or a "pending" marker for the stack-managed key). CloudFormation writes
        // a new version whenever this text differs from the last deploy, over the value a user set or the
        // workers' private key: the text must never change (pinned by
        // test/credentials/placeholder-invariance.test.ts). CloudFormation can only create text: file
        // credentials get it too, and the placeholder custom resource then stores it as SecretBinary.
        secretStringValue: SecretValue.unsafePlainText(
          spec.managedByStack ? MANAGED_SECRET_INITIAL_VALUE : placeholderValue(spec.id),
        ),
        removalPolicy,
      });
      tagAsJenkinsCredential(secret, spec, stackName);
      secrets[spec.id] = secret;
    }
    this.secrets = secrets;
    this.secretArns = credentials.map((c) => secrets[c.id].secretArn);

    this.adminPasswordSecret = this.createAdminPassword(secretPrefix, removalPolicy);
    this.reloadTokenSecret = this.createReloadToken(secretPrefix, removalPolicy);
    for (const secret of [this.adminPasswordSecret, this.reloadTokenSecret]) {
      Tags.of(secret).add(STACK_TAG_KEY, stackName);
    }

    const managed = credentials.find((c) => c.managedByStack);
    this.keyPairName = managed
      ? this.createWorkerKeyPair(secrets[managed.id], keyPairName, stackName)
      : keyPairName;
    const binary = credentials.filter((c) => secretFieldOf(c.type) === 'SecretBinary');
    if (binary.length > 0) {
      this.createBinaryPlaceholders(binary.map((spec) => ({ spec, secret: secrets[spec.id] })));
    }

    acknowledgeFinding(
      this,
      nagRuleId('SMG4'),
      'The Jenkins credentials are values their issuers hand out (a GCP key, an SCM token, a pip.conf) or the ' +
        "private half of the workers' EC2 key pair, whose public half EC2 holds: a rotation function would have " +
        'to know each issuer. The admin password and JCasC reload token reach Jenkins only through the controller ' +
        '(the password at boot and at each config apply, the token at boot), so a rotation by Secrets Manager ' +
        'would leave Jenkins on the old value.',
    );
  }

  /** The local Jenkins `admin` user's password, generated by Secrets Manager (not a Jenkins credential). */
  private createAdminPassword(secretPrefix: string, removalPolicy: RemovalPolicy): secretsmanager.Secret {
    return new secretsmanager.Secret(this, 'AdminPassword', {
      secretName: `${secretPrefix}admin-password`,
      description: 'Password of the local Jenkins admin user (generated)',
      generateSecretString: {
        passwordLength: 32,
        excludePunctuation: false,
        // Quotes and backslashes break shell/YAML quoting on the way into JCasC; `$ ^ { }` could form
        // `${…}` or `^${…}`, which JCasC resolves again inside a resolved value.
        excludeCharacters: '"\'`\\$^{}',
      },
      removalPolicy,
    });
  }

  /** The JCasC reload token, generated by Secrets Manager (not a Jenkins credential). */
  private createReloadToken(secretPrefix: string, removalPolicy: RemovalPolicy): secretsmanager.Secret {
    return new secretsmanager.Secret(this, 'CascReloadToken', {
      secretName: `${secretPrefix}casc-reload-token`,
      description: 'JCasC reload token (generated)',
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
      removalPolicy,
    });
  }

  /**
   * Grants reading these credentials: GetSecretValue on exactly these secrets (not the admin password or
   * reload token) and ListSecrets, which AWS cannot scope to resources.
   */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['secretsmanager:GetSecretValue'],
      resourceArns: this.secretArns,
    });
    iam.Grant.addToPrincipal({ grantee, actions: ['secretsmanager:ListSecrets'], resourceArns: ['*'] });
    if (Construct.isConstruct(grantee)) {
      acknowledgeFinding(
        grantee,
        wildcardResourceId(this, '*'),
        'secretsmanager:ListSecrets (the credentials provider lists the tagged secrets) cannot be scoped to resources',
      );
    }
    return grant;
  }

  private createWorkerKeyPair(secret: secretsmanager.Secret, keyPairName: string, stackName: string): string {
    const { region, account, partition } = Stack.of(this);
    const keyPairArn = `arn:${partition}:ec2:${region}:${account}:key-pair/${keyPairName}`;
    const { fn: onEvent } = projectFunction(this, 'WorkerKeyPairFunction', {
      code: 'worker-key-pair',
      handler: 'index.handler',
      description: 'Creates the GPU workers EC2 key pair and stores its private key in Secrets Manager',
    });
    onEvent.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ec2:CreateKeyPair', 'ec2:DeleteKeyPair'],
        resources: [keyPairArn],
      }),
    );
    onEvent.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ec2:CreateTags'],
        resources: [keyPairArn],
        conditions: { StringEquals: { 'ec2:CreateAction': 'CreateKeyPair' } },
      }),
    );
    onEvent.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:PutSecretValue'], resources: [secret.secretArn] }),
    );
    const provider = scopedProvider(this, 'WorkerKeyPairProvider', { onEventHandler: onEvent });
    const keyPair = new CustomResource(this, 'WorkerKeyPair', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::JenkinsWorkerKeyPair',
      properties: {
        KeyName: keyPairName,
        SecretArn: secret.secretArn,
        StackTag: stackName,
      } satisfies WorkerKeyPairResourceProperties,
    });
    acknowledgeProvider(this, onEvent, provider);
    return keyPair.getAttString('KeyName');
  }

  /**
   * One custom resource per credential read from SecretBinary (provider-contract.ts), which CloudFormation
   * cannot create: it replaces the text placeholder with the same bytes as SecretBinary once, converts a
   * text value to SecretBinary and never touches a binary one (lambda/file-credential-placeholder).
   */
  private createBinaryPlaceholders(
    targets: readonly { spec: CredentialSpec; secret: secretsmanager.Secret }[],
  ): void {
    const { fn: onEvent } = projectFunction(this, 'FileCredentialPlaceholderFunction', {
      code: 'file-credential-placeholder',
      handler: 'index.handler',
      description: 'Stores the placeholder of each file credential as SecretBinary, never over a set value',
    });
    // Read to decide (placeholder, text or binary), write only the file credential secrets. The default
    // aws/secretsmanager key needs no kms: permission.
    onEvent.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue'],
        resources: targets.map((t) => t.secret.secretArn),
      }),
    );
    const provider = scopedProvider(this, 'FileCredentialPlaceholderProvider', {
      onEventHandler: onEvent,
    });
    for (const { spec, secret } of targets) {
      new CustomResource(this, `FileCredentialPlaceholder-${spec.id}`, {
        serviceToken: provider.serviceToken,
        resourceType: 'Custom::JenkinsFileCredentialPlaceholder',
        properties: {
          SecretArn: secret.secretArn,
          CredentialType: spec.type,
          Placeholder: placeholderValue(spec.id),
        } satisfies CredentialPlaceholderResourceProperties,
      });
    }
    acknowledgeProvider(this, onEvent, provider);
  }
}

/** The cdk-nag findings every CDK provider framework custom resource of this construct has, with why. */
function acknowledgeProvider(scope: Construct, onEvent: nodejs.NodejsFunction, provider: cr.Provider): void {
  // The framework's role is a child of `scope` (scopedProvider), its function the provider's.
  acknowledgeFinding(
    scope,
    wildcardResourceId(onEvent, `${onEvent.functionArn}:*`),
    'CDK provider framework: may invoke any version of the one handler function',
  );
  acknowledgeFinding(provider, nagRuleId('L1'), 'CDK provider framework picks its own runtime');
}

function tagAsJenkinsCredential(
  secret: secretsmanager.Secret,
  spec: CredentialSpec,
  stackName: string,
): void {
  const tags = Tags.of(secret);
  tags.add(CREDENTIALS_TYPE_TAG, spec.type);
  if (spec.username !== undefined) {
    tags.add(CREDENTIALS_USERNAME_TAG, spec.username);
  }
  if (spec.filename !== undefined) {
    tags.add(CREDENTIALS_FILENAME_TAG, spec.filename);
  }
  tags.add(STACK_TAG_KEY, stackName);
}
