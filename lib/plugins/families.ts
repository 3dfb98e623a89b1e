/**
 * Lock-step families: plugins released together from one repository at one version, whose manifests pin
 * their siblings exactly (`mina-sshd-api-core` 2.19.0-192… requires `mina-sshd-api-common` 2.19.0-192…).
 * A resolver that takes each dependent's minimum splits them (EC2 2059 asks for `mina-sshd-api-scp`
 * ≥ 2.14.0-143 while git-client asks for `mina-sshd-api-core` ≥ 2.16.0-167), so the lock keeps every
 * family on one version. Each family is one version property in jenkinsci/bom (release 6916.v15ec97679743,
 * `bom-weekly/pom.xml` `<properties>`), which is where the membership below comes from.
 */

export interface PluginFamily {
  /** What the family is, for messages. */
  readonly name: string;
  /** The jenkinsci/bom property that versions every member. */
  readonly bomProperty: string;
  readonly isMember: (artifactId: string) => boolean;
}

const oneOf =
  (...ids: string[]) =>
  (id: string): boolean =>
    ids.includes(id);

export const PLUGIN_FAMILIES: readonly PluginFamily[] = [
  {
    name: 'Apache MINA SSHD API',
    bomProperty: 'mina-sshd-api.version',
    isMember: (id) => id.startsWith('mina-sshd-api-'),
  },
  {
    name: 'AWS SDK for Java v2',
    bomProperty: 'aws-java-sdk2-plugin.version',
    isMember: (id) => id.startsWith('aws-java-sdk2-'),
  },
  {
    name: 'AWS SDK for Java v1',
    bomProperty: 'aws-java-sdk-plugin.version',
    isMember: (id) => id === 'aws-java-sdk' || id.startsWith('aws-java-sdk-'),
  },
  {
    name: 'Declarative Pipeline',
    bomProperty: 'pipeline-model-definition-plugin.version',
    isMember: oneOf(
      'pipeline-model-api',
      'pipeline-model-definition',
      'pipeline-model-extensions',
      'pipeline-stage-tags-metadata',
    ),
  },
  {
    name: 'Pipeline: Stage View',
    bomProperty: 'pipeline-stage-view-plugin.version',
    isMember: oneOf('pipeline-stage-view', 'pipeline-rest-api'),
  },
];

export function familyOf(artifactId: string): PluginFamily | undefined {
  return PLUGIN_FAMILIES.find((f) => f.isMember(artifactId));
}
