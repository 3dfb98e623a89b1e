/**
 * The `jenkins:` root (Jenkins core, as JCasC exposes it) with the extension points this project uses:
 * the local security realm, matrix authorization (matrix-auth 3.2+ `entries` format), the crumb issuer,
 * markup formatters and clouds. Attributes that exist but this project does not shape are `anyValue()`.
 * Owners read at core jenkins-2.578 (symbols in core/src/main/java) and JCasC 2117's JenkinsConfigurator.
 */
import { EC2_CLOUD } from './ec2-plugin';
import {
  anyValue,
  bool,
  type ClassSchema,
  CORE,
  deprecated,
  describable,
  enumOf,
  int,
  list,
  obj,
  rejected,
  str,
  variant,
} from './types';

const USER: ClassSchema = {
  name: 'User (local realm)',
  plugin: CORE,
  fields: { id: str(), password: str(), name: str(), description: str(), properties: list(anyValue()) },
};

/** hudson.security.HudsonPrivateSecurityRealm, symbol `local` (core). */
const LOCAL_REALM: ClassSchema = {
  name: 'HudsonPrivateSecurityRealm',
  plugin: CORE,
  fields: { allowsSignup: bool(), enableCaptcha: bool(), users: list(obj(USER)) },
};

/** matrix-auth 3.2+: `entries: [{user: {name, permissions}}, {group: …}]` (the `permissions:` strings are gone). */
const MATRIX_ENTRY_SUBJECT: ClassSchema = {
  name: 'PermissionEntry',
  plugin: 'matrix-auth',
  fields: { name: str(), permissions: list(str()) },
};
const MATRIX_ENTRY = describable('matrix entry', {
  user: variant(MATRIX_ENTRY_SUBJECT),
  group: variant(MATRIX_ENTRY_SUBJECT),
  userOrGroup: variant(MATRIX_ENTRY_SUBJECT),
});
const matrixStrategy = (name: string): ClassSchema => ({
  name,
  plugin: 'matrix-auth',
  fields: {
    entries: list(MATRIX_ENTRY),
    permissions: rejected(
      list(str()),
      "the 'permissions' strings were replaced by 'entries' in matrix-auth 3.2 (entries: [{user: {name, permissions}}])",
    ),
  },
});

/** Core, symbol `loggedInUsersCanDoAnything`. */
const LOGGED_IN_USERS: ClassSchema = {
  name: 'FullControlOnceLoggedInAuthorizationStrategy',
  plugin: CORE,
  fields: { allowAnonymousRead: bool() },
};
const NO_ATTRIBUTES = (name: string, plugin: string): ClassSchema => ({ name, plugin, fields: {} });

export const JENKINS_ROOT: ClassSchema = {
  name: 'jenkins',
  plugin: CORE,
  fields: {
    systemMessage: str(),
    numExecutors: int(),
    mode: enumOf('NORMAL', 'EXCLUSIVE'),
    labelString: str(),
    quietPeriod: int(),
    scmCheckoutRetryCount: int(),
    slaveAgentPort: int(),
    // Jenkins.setAgentProtocols is @Deprecated ("No longer does anything") at 2.578: JCasC rejects it.
    agentProtocols: deprecated(list(str())),
    disableRememberMe: bool(),
    noUsageStatistics: bool(),
    securityRealm: describable('SecurityRealm', { local: variant(LOCAL_REALM) }),
    authorizationStrategy: describable('AuthorizationStrategy', {
      globalMatrix: variant(matrixStrategy('GlobalMatrixAuthorizationStrategy')),
      projectMatrix: variant(matrixStrategy('ProjectMatrixAuthorizationStrategy')),
      loggedInUsersCanDoAnything: variant(LOGGED_IN_USERS),
      unsecured: variant(NO_ATTRIBUTES('Unsecured', CORE)),
    }),
    crumbIssuer: describable('CrumbIssuer', {
      standard: variant({
        name: 'DefaultCrumbIssuer',
        plugin: CORE,
        fields: { excludeClientIPFromCrumb: bool() },
      }),
    }),
    markupFormatter: describable('MarkupFormatter', {
      plainText: variant(NO_ATTRIBUTES('EscapedMarkupFormatter', CORE)),
      rawHtml: variant({
        name: 'RawHtmlMarkupFormatter',
        plugin: 'antisamy-markup-formatter',
        fields: { disableSyntaxHighlighting: bool() },
      }),
    }),
    clouds: list(describable('Cloud', { amazonEC2: variant(EC2_CLOUD) })),
    nodes: list(anyValue()),
    labelAtoms: list(
      obj({ name: 'LabelAtom', plugin: CORE, fields: { name: str(), properties: list(anyValue()) } }),
    ),
    globalNodeProperties: list(anyValue()),
    disabledAdministrativeMonitors: list(str()),
    views: list(anyValue()),
    primaryView: anyValue(),
    viewsTabBar: anyValue(),
    myViewsTabBar: anyValue(),
    projectNamingStrategy: anyValue(),
    proxy: anyValue(),
    updateCenter: anyValue(),
    nodeMonitors: list(anyValue()),
    log: anyValue(),
    remotingSecurity: rejected(
      anyValue(),
      'not used in this project: agent-to-controller security is always on since Jenkins 2.326, remove the block',
    ),
  },
};
