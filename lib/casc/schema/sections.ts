/**
 * The other JCasC roots this project uses: `configuration-as-code`, `security`, `unclassified`, `jobs`
 * (job-dsl), `credentials` and `tool`. Plugin artifactIds are what plugins.txt must list.
 */
import { anyValue, bool, describable, enumOf, fromPlugin, int, list, obj, str, stringMap, variant, type ClassSchema } from './types';

/** io.jenkins.plugins.casc.ConfigurationContext: the document's own policy switches. */
export const CASC_ROOT: ClassSchema = {
  name: 'configuration-as-code',
  plugin: 'configuration-as-code',
  fields: {
    deprecated: enumOf('reject', 'warn'),
    restricted: enumOf('reject', 'beta', 'warn'),
    unknown: enumOf('reject', 'warn'),
    version: str(),
  },
};

const API_TOKEN: ClassSchema = {
  name: 'ApiTokenPropertyConfiguration',
  fields: { creationOfLegacyTokenEnabled: bool(), tokenGenerationOnCreationEnabled: bool(), usageStatisticsEnabled: bool() },
};

export const SECURITY_ROOT: ClassSchema = {
  name: 'security',
  fields: {
    apiToken: obj(API_TOKEN),
    globalJobDslSecurityConfiguration: fromPlugin(obj({ name: 'GlobalJobDslSecurityConfiguration', fields: { useScriptSecurity: bool() } }), 'job-dsl'),
    // SSHD is a core module (bundled in the war), not a plugin.
    sSHD: obj({ name: 'SSHD', fields: { port: int() } }),
    scriptApproval: fromPlugin(
      obj({
        name: 'ScriptApproval',
        fields: { approvedSignatures: list(str()), approvedScriptHashes: list(anyValue()), forceSandbox: bool() },
      }),
      'script-security',
    ),
    gitHostKeyVerificationConfiguration: fromPlugin(
      obj({ name: 'GitHostKeyVerificationConfiguration', fields: { sshHostKeyVerificationStrategy: anyValue() } }),
      'git-client',
    ),
    downloadSettings: obj({ name: 'DownloadSettings', fields: { useBrowser: bool() } }),
    queueItemAuthenticator: anyValue(),
  },
};

// aws-secrets-manager-credentials-provider (PluginConfiguration, symbol awsCredentialsProvider)
const AWS_SM = 'aws-secrets-manager-credentials-provider';
const SM_CLIENT: ClassSchema = {
  name: 'Client',
  plugin: AWS_SM,
  fields: {
    clientConfiguration: obj({
      name: 'ClientConfiguration',
      fields: { nonProxyHosts: str(), proxyHost: str(), proxyPort: int(), proxyUsername: str(), proxyPassword: str() },
    }),
    credentialsProvider: describable('CredentialsProvider', {
      default: variant({ name: 'DefaultAWSCredentialsProviderChain', fields: {} }),
      profile: variant({ name: 'ProfileCredentialsProvider', fields: { profileName: str() } }),
      assumeRole: variant({ name: 'STSAssumeRoleSessionCredentialsProvider', fields: { roleArn: str(), roleSessionName: str() } }),
      static: variant({ name: 'AWSStaticCredentialsProvider', fields: { accessKey: str(), secretKey: str() } }),
    }),
    endpointUrl: str(),
    region: str(),
  },
};
const SM_FILTER: ClassSchema = { name: 'Filter', fields: { key: str(), values: list(str()) } };
const SM_TRANSFORMATIONS: ClassSchema = {
  name: 'Transformations',
  fields: {
    name: describable('NameTransformer', {
      default: variant({ name: 'Default', fields: {} }),
      removePrefix: variant({ name: 'RemovePrefix', fields: { prefix: str() } }),
      removePrefixes: variant({ name: 'RemovePrefixes', fields: { prefixes: list(str()) } }),
    }),
    description: describable('DescriptionTransformer', {
      default: variant({ name: 'Default', fields: {} }),
      hide: variant({ name: 'Hide', fields: {} }),
    }),
  },
};
const AWS_CREDENTIALS_PROVIDER: ClassSchema = {
  name: 'awsCredentialsProvider',
  plugin: AWS_SM,
  fields: {
    cache: bool(),
    client: obj(SM_CLIENT),
    listSecrets: obj({ name: 'ListSecrets', fields: { filters: list(obj(SM_FILTER)) } }),
    transformations: obj(SM_TRANSFORMATIONS),
  },
};

export const UNCLASSIFIED_ROOT: ClassSchema = {
  name: 'unclassified',
  fields: {
    location: obj({ name: 'JenkinsLocationConfiguration', fields: { url: str(), adminAddress: str() } }),
    awsCredentialsProvider: obj(AWS_CREDENTIALS_PROVIDER),
    timestamper: fromPlugin(
      obj({ name: 'TimestamperConfig', fields: { allPipelines: bool(), elapsedTimeFormat: str(), systemTimeFormat: str() } }),
      'timestamper',
    ),
    buildDiscarders: obj({ name: 'GlobalBuildDiscarderConfiguration', fields: { configuredBuildDiscarders: list(anyValue()) } }),
    globalDefaultFlowDurabilityLevel: fromPlugin(
      obj({
        name: 'GlobalDefaultFlowDurabilityLevel',
        fields: { durabilityHint: enumOf('PERFORMANCE_OPTIMIZED', 'SURVIVABLE_NONATOMIC', 'MAX_SURVIVABILITY') },
      }),
      'workflow-api',
    ),
  },
};

/** job-dsl's `jobs:` root: a list of sources, each `script:`, `file:`, `url:` or `providedEnv:`. */
export const JOBS_ROOT = list(
  describable('job-dsl source', {
    script: variant(str(), 'job-dsl'),
    file: variant(str(), 'job-dsl'),
    url: variant(str(), 'job-dsl'),
    providedEnv: variant(stringMap(), 'job-dsl'),
  }),
);

/** credentials plugin: `credentials: {system: {domainCredentials: […]}}` (this project keeps them in Secrets Manager). */
export const CREDENTIALS_ROOT: ClassSchema = {
  name: 'credentials',
  plugin: 'credentials',
  fields: { system: obj({ name: 'SystemCredentialsProvider', fields: { domainCredentials: list(anyValue()) } }) },
};
