/**
 * Contract: each JCasC section's owning plugin, as the casc validator models it (lib/jcasc/schema). A
 * section whose owner is not installed stops Jenkins at boot (REFERENCE.md "Contracts of the real
 * components": `Invalid configuration elements for type: … : sSHD`, then 503 on every URL), so each
 * owner is a fact read from the real sources: core at tag jenkins-2.578 (the newest stored tag before
 * the pinned 2.580.1; core/src/main/java unless noted) and each plugin at its pinned release in
 * casc/plugins.txt. One test per fact; its source is in the comment above it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import { installedPlugins, PLUGIN_DEPENDENCIES } from '../../lib/casc/installed-plugins';
import { CASC_DOCUMENT, sectionOwner } from '../../lib/jcasc/schema/root';
import { SECURITY_ROOT, UNCLASSIFIED_ROOT } from '../../lib/jcasc/schema/sections';
import { CORE } from '../../lib/jcasc/schema/types';

const REPO = path.resolve(__dirname, '../..');
const PLUGINS_TXT = path.join(REPO, 'casc/plugins.txt');

describe("each JCasC section's owning plugin", () => {
  // core/src/main/resources/jenkins/split-plugins.txt line 35 at jenkins-2.578: `sshd 2.281
  // 3.236.ved5e1b_cb_50b_2` (JENKINS-64107): the SSH server left core in 2.281. The class is
  // org.jenkinsci.main.modules.sshd.SSHD in jenkinsci/sshd-plugin (artifactId `sshd`), a
  // GlobalConfiguration in the Security category: JCasC key `security.sSHD`.
  it('security.sSHD belongs to the sshd plugin (detached from core in 2.281)', () => {
    expect(sectionOwner('security.sSHD')).toBe('sshd');
  });

  // No pinned plugin depends on sshd (REFERENCE.md "Contracts of the real components", SSHD), and it is
  // not listed: the shipped casc must not configure it.
  it('the sshd plugin is not installed, and the shipped casc/jenkins.yaml has no sSHD block', () => {
    expect(installedPlugins(PLUGINS_TXT).has('sshd')).toBe(false);
    const uncommented = fs
      .readFileSync(path.join(REPO, 'casc/jenkins.yaml'), 'utf8')
      .split('\n')
      .filter((line) => !line.trim().startsWith('#'));
    expect(uncommented.join('\n')).not.toMatch(/sSHD/);
  });

  // jenkins/security/apitoken/ApiTokenPropertyConfiguration.java lines 39 and 95-96: @Symbol("apiToken"),
  // GlobalConfigurationCategory.Security.
  it('security.apiToken is core', () => {
    expect(sectionOwner('security.apiToken')).toBe(CORE);
  });

  // jenkins/security/QueueItemAuthenticatorConfiguration.java lines 22 and 33-34: @Symbol("queueItemAuthenticator"),
  // Security category.
  it('security.queueItemAuthenticator is core', () => {
    expect(sectionOwner('security.queueItemAuthenticator')).toBe(CORE);
  });

  // jenkinsci/job-dsl-plugin job-dsl-plugin/src/main/groovy/javaposse/jobdsl/plugin/
  // GlobalJobDslSecurityConfiguration.groovy lines 10-11: a GlobalConfiguration with its own category.
  it('security.globalJobDslSecurityConfiguration belongs to job-dsl', () => {
    expect(sectionOwner('security.globalJobDslSecurityConfiguration')).toBe('job-dsl');
  });

  // jenkinsci/script-security-plugin src/main/java/org/jenkinsci/plugins/scriptsecurity/scripts/
  // ScriptApproval.java lines 94 and 147-148: @Symbol("scriptApproval"), Security category.
  it('security.scriptApproval belongs to script-security', () => {
    expect(sectionOwner('security.scriptApproval')).toBe('script-security');
  });

  // jenkinsci/git-client-plugin src/main/java/org/jenkinsci/plugins/gitclient/
  // GitHostKeyVerificationConfiguration.java lines 15 and 21: GlobalConfiguration, Security category.
  it('security.gitHostKeyVerificationConfiguration belongs to git-client', () => {
    expect(sectionOwner('security.gitHostKeyVerificationConfiguration')).toBe('git-client');
  });

  // jenkins/model/DownloadSettings.java was deleted by core commit 070b625f0d ("Remove browser-based
  // metadata download", first in jenkins-2.200): the section no longer exists, JCasC rejects it.
  it('security.downloadSettings no longer exists (removed from core in 2.200)', () => {
    expect(SECURITY_ROOT.fields.downloadSettings.rejected).toMatch(/^removed from Jenkins core in 2\.200 /);
  });

  // jenkins/model/JenkinsLocationConfiguration.java line 36: @Symbol("location").
  it('unclassified.location is core', () => {
    expect(sectionOwner('unclassified.location')).toBe(CORE);
  });

  // jenkins/model/GlobalBuildDiscarderConfiguration.java line 46: @Symbol("buildDiscarders").
  it('unclassified.buildDiscarders is core', () => {
    expect(sectionOwner('unclassified.buildDiscarders')).toBe(CORE);
  });

  // jenkinsci/workflow-api-plugin src/main/java/org/jenkinsci/plugins/workflow/flow/
  // GlobalDefaultFlowDurabilityLevel.java line 24 (its DescriptorImpl holds durabilityHint).
  it('unclassified.globalDefaultFlowDurabilityLevel belongs to workflow-api', () => {
    expect(sectionOwner('unclassified.globalDefaultFlowDurabilityLevel')).toBe('workflow-api');
  });

  // jenkinsci/timestamper-plugin src/main/java/hudson/plugins/timestamper/TimestamperConfig.java line 59
  // at timestamper-1.30: @Symbol({"timestamper", "timestamperConfig"}).
  it('unclassified.timestamper belongs to timestamper', () => {
    expect(sectionOwner('unclassified.timestamper')).toBe('timestamper');
  });

  // aws-secrets-manager-credentials-provider: PluginConfiguration, @Symbol("awsCredentialsProvider").
  it('unclassified.awsCredentialsProvider belongs to aws-secrets-manager-credentials-provider', () => {
    expect(sectionOwner('unclassified.awsCredentialsProvider')).toBe(
      'aws-secrets-manager-credentials-provider',
    );
  });

  // jenkinsci/job-dsl-plugin job-dsl-plugin/src/main/java/javaposse/jobdsl/plugin/casc/SeedJobConfigurator.java
  // line 37: getName() returns "jobs".
  it('jobs belongs to job-dsl', () => {
    expect(sectionOwner('jobs')).toBe('job-dsl');
  });

  // credentials plugin: CredentialsRootConfigurator.getName() returns "credentials".
  it('credentials belongs to the credentials plugin', () => {
    expect(sectionOwner('credentials')).toBe('credentials');
  });

  // jenkinsci/ec2-plugin src/main/java/hudson/plugins/ec2/EC2Cloud.java line 1539 at 2059.v05f9d511d7e5:
  // @Symbol("amazonEC2").
  it('jenkins.clouds.amazonEC2 belongs to ec2', () => {
    expect(sectionOwner('jenkins.clouds.amazonEC2')).toBe('ec2');
  });

  // jenkinsci/matrix-auth-plugin src/main/java/org/jenkinsci/plugins/matrixauth/integrations/casc/
  // GlobalMatrixAuthorizationStrategyConfigurator.java line 44 at matrix-auth-3.2.8: "globalMatrix".
  it('jenkins.authorizationStrategy.globalMatrix and projectMatrix belong to matrix-auth', () => {
    expect(sectionOwner('jenkins.authorizationStrategy.globalMatrix')).toBe('matrix-auth');
    expect(sectionOwner('jenkins.authorizationStrategy.projectMatrix')).toBe('matrix-auth');
  });

  // Core symbols at jenkins-2.578: hudson/security/HudsonPrivateSecurityRealm.java line 1222 @Symbol("local");
  // hudson/security/csrf/DefaultCrumbIssuer.java line 136 @Symbol("standard"); hudson/markup/
  // EscapedMarkupFormatter.java line 54 @Symbol("plainText"); hudson/security/
  // FullControlOnceLoggedInAuthorizationStrategy.java line 100 @Symbol("loggedInUsersCanDoAnything");
  // hudson/security/AuthorizationStrategy.java line 251 @Symbol("unsecured").
  it.each([
    'jenkins.securityRealm.local',
    'jenkins.crumbIssuer.standard',
    'jenkins.markupFormatter.plainText',
    'jenkins.authorizationStrategy.loggedInUsersCanDoAnything',
    'jenkins.authorizationStrategy.unsecured',
  ])('%s is core', (section) => {
    expect(sectionOwner(section)).toBe(CORE);
  });

  // split-plugins.txt: `antisamy-markup-formatter 1.553 1.0`; RawHtmlMarkupFormatter lives in
  // jenkinsci/antisamy-markup-formatter-plugin (JCasC names it rawHtml, the class name minus its type).
  it('jenkins.markupFormatter.rawHtml belongs to antisamy-markup-formatter', () => {
    expect(sectionOwner('jenkins.markupFormatter.rawHtml')).toBe('antisamy-markup-formatter');
  });

  // jenkins/model/Jenkins.java lines 1246-1247: setAgentProtocols is @Deprecated ("No longer does
  // anything"); JCasC 2117 BaseConfigurator.java line 210 marks an attribute deprecated by its setter.
  it('jenkins.agentProtocols is deprecated (JCasC rejects it by default)', () => {
    const root = CASC_DOCUMENT.fields.jenkins.type;
    expect(root.kind === 'object' && root.of.fields.agentProtocols.deprecated).toBe(true);
  });

  it('every section of security and unclassified names its owner', () => {
    for (const [rootName, root] of [
      ['security', SECURITY_ROOT],
      ['unclassified', UNCLASSIFIED_ROOT],
    ] as const) {
      const unowned = Object.entries(root.fields).filter(([, field]) => !field.rejected && !field.plugin);
      expect([rootName, unowned.map(([key]) => key)]).toEqual([rootName, []]);
    }
  });
});

describe('plugins that come in only as dependencies of the pinned ones', () => {
  // Each edge: the dependent's pom.xml at its pinned release, a non-optional compile-scope dependency
  // (the line is in PLUGIN_DEPENDENCIES[].source).
  it.each(PLUGIN_DEPENDENCIES.map((d) => [d.from, d.to, d.source]))('%s brings in %s (%s)', (from, to) => {
    const alone = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'plugins-')), 'plugins.txt');
    fs.writeFileSync(alone, `${from}:1\n`);
    expect([...installedPlugins(alone)]).toContain(to);
  });

  it('the owners the schema models are all installed by the locked closure (casc/plugins.lock), except sshd', () => {
    const installed = installedPlugins(PLUGINS_TXT);
    const owners = [
      'workflow-api',
      'script-security',
      'git-client',
      'job-dsl',
      'timestamper',
      'matrix-auth',
      'credentials',
      'ec2',
    ];
    expect(owners.filter((o) => !installed.has(o))).toEqual([]);
    // antisamy-markup-formatter is in the closure (a dependency recorded in casc/plugins.lock); sshd is not.
    expect(installed.has('antisamy-markup-formatter')).toBe(true);
    expect(installed.has('sshd')).toBe(false);
  });
});
