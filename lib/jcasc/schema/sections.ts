/**
 * The other JCasC roots this project uses: `configuration-as-code`, `security`, `unclassified`, `jobs`
 * (job-dsl), `credentials` and `tool`. Every section names its owner: CORE or the plugin artifactId that
 * must be installed (read at core jenkins-2.578, the newest stored tag before the pinned 2.580.1, and at
 * the pinned plugin releases; test/contracts/jcasc-sections.test.ts states each fact with its source).
 */
import {
  anyValue,
  bool,
  type ClassSchema,
  CORE,
  describable,
  enumOf,
  int,
  list,
  obj,
  ownedBy,
  rejected,
  str,
  stringMap,
  variant,
} from './types';

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

/** Core jenkins.security.apitoken.ApiTokenPropertyConfiguration, @Symbol("apiToken"), Security category. */
const API_TOKEN: ClassSchema = {
  name: 'ApiTokenPropertyConfiguration',
  plugin: CORE,
  fields: {
    creationOfLegacyTokenEnabled: bool(),
    tokenGenerationOnCreationEnabled: bool(),
    usageStatisticsEnabled: bool(),
  },
};

/** GlobalConfigurationCategory.Security of core; JCasC names the category `security`. */
export const SECURITY_ROOT: ClassSchema = {
  name: 'security',
  plugin: CORE,
  fields: {
    apiToken: ownedBy(obj(API_TOKEN), CORE),
    // javaposse.jobdsl.plugin.GlobalJobDslSecurityConfiguration (job-dsl), Security category.
    globalJobDslSecurityConfiguration: ownedBy(
      obj({ name: 'GlobalJobDslSecurityConfiguration', fields: { useScriptSecurity: bool() } }),
      'job-dsl',
    ),
    // org.jenkinsci.main.modules.sshd.SSHD: the `sshd` plugin, detached from core in 2.281 (core's
    // split-plugins.txt: `sshd 2.281 …`). Not installed unless listed: JCasC then stops the boot.
    sSHD: ownedBy(obj({ name: 'SSHD', fields: { port: int() } }), 'sshd'),
    // org.jenkinsci.plugins.scriptsecurity.scripts.ScriptApproval, @Symbol("scriptApproval").
    scriptApproval: ownedBy(
      obj({
        name: 'ScriptApproval',
        fields: {
          approvedSignatures: list(str()),
          approvedScriptHashes: list(anyValue()),
          forceSandbox: bool(),
        },
      }),
      'script-security',
    ),
    // org.jenkinsci.plugins.gitclient.GitHostKeyVerificationConfiguration (git-client), Security category.
    gitHostKeyVerificationConfiguration: ownedBy(
      obj({
        name: 'GitHostKeyVerificationConfiguration',
        fields: { sshHostKeyVerificationStrategy: anyValue() },
      }),
      'git-client',
    ),
    downloadSettings: rejected(
      anyValue(),
      'removed from Jenkins core in 2.200 (jenkins.model.DownloadSettings is gone with browser-based metadata download): remove the block',
    ),
    // Core jenkins.security.QueueItemAuthenticatorConfiguration, @Symbol("queueItemAuthenticator").
    queueItemAuthenticator: ownedBy(anyValue(), CORE),
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
      fields: {
        nonProxyHosts: str(),
        proxyHost: str(),
        proxyPort: int(),
        proxyUsername: str(),
        proxyPassword: str(),
      },
    }),
    credentialsProvider: describable('CredentialsProvider', {
      default: variant({ name: 'DefaultAWSCredentialsProviderChain', fields: {} }),
      profile: variant({ name: 'ProfileCredentialsProvider', fields: { profileName: str() } }),
      assumeRole: variant({
        name: 'STSAssumeRoleSessionCredentialsProvider',
        fields: { roleArn: str(), roleSessionName: str() },
      }),
      static: variant({
        name: 'AWSStaticCredentialsProvider',
        fields: { accessKey: str(), secretKey: str() },
      }),
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

/** GlobalConfigurationCategory.Unclassified of core; JCasC names the category `unclassified`. */
export const UNCLASSIFIED_ROOT: ClassSchema = {
  name: 'unclassified',
  plugin: CORE,
  fields: {
    // Core jenkins.model.JenkinsLocationConfiguration, @Symbol("location").
    location: ownedBy(
      obj({ name: 'JenkinsLocationConfiguration', fields: { url: str(), adminAddress: str() } }),
      CORE,
    ),
    awsCredentialsProvider: ownedBy(obj(AWS_CREDENTIALS_PROVIDER), AWS_SM),
    // hudson.plugins.timestamper.TimestamperConfig, @Symbol("timestamper").
    timestamper: ownedBy(
      obj({
        name: 'TimestamperConfig',
        fields: { allPipelines: bool(), elapsedTimeFormat: str(), systemTimeFormat: str() },
      }),
      'timestamper',
    ),
    // Core jenkins.model.GlobalBuildDiscarderConfiguration, @Symbol("buildDiscarders").
    buildDiscarders: ownedBy(
      obj({
        name: 'GlobalBuildDiscarderConfiguration',
        fields: { configuredBuildDiscarders: list(anyValue()) },
      }),
      CORE,
    ),
    // org.jenkinsci.plugins.workflow.flow.GlobalDefaultFlowDurabilityLevel (workflow-api).
    globalDefaultFlowDurabilityLevel: ownedBy(
      obj({
        name: 'GlobalDefaultFlowDurabilityLevel',
        fields: {
          durabilityHint: enumOf('PERFORMANCE_OPTIMIZED', 'SURVIVABLE_NONATOMIC', 'MAX_SURVIVABILITY'),
        },
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

/** credentials plugin's root configurator: `credentials: {system: {domainCredentials: […]}}` (this project keeps them in Secrets Manager). */
export const CREDENTIALS_ROOT: ClassSchema = {
  name: 'credentials',
  plugin: 'credentials',
  fields: {
    system: obj({ name: 'SystemCredentialsProvider', fields: { domainCredentials: list(anyValue()) } }),
  },
};
