/** The whole JCasC document: its root keys and the schema of each. Extend here when a plugin is added. */
import { JENKINS_ROOT } from './jenkins-root';
import { CASC_ROOT, CREDENTIALS_ROOT, JOBS_ROOT, SECURITY_ROOT, UNCLASSIFIED_ROOT } from './sections';
import {
  anyValue,
  type ClassSchema,
  CORE,
  type Field,
  type FieldType,
  obj,
  ownedBy,
  type Variant,
} from './types';

export const CASC_DOCUMENT: ClassSchema = {
  name: 'JCasC document',
  fields: {
    'configuration-as-code': obj(CASC_ROOT),
    jenkins: obj(JENKINS_ROOT),
    security: obj(SECURITY_ROOT),
    unclassified: obj(UNCLASSIFIED_ROOT),
    // job-dsl's javaposse.jobdsl.plugin.casc.SeedJobConfigurator (getName() "jobs").
    jobs: ownedBy(JOBS_ROOT, 'job-dsl'),
    credentials: obj(CREDENTIALS_ROOT),
    // Core jenkins.tools.ToolConfigurationCategory; the tools inside come from core or plugins.
    tool: ownedBy(anyValue(), CORE),
  },
};

/**
 * Owner (CORE or a plugin artifactId) of the section at a dotted path such as `security.sSHD` or
 * `jenkins.clouds.amazonEC2` (list levels are skipped, describable symbols are steps): the innermost
 * owner on the way. Undefined when the path is not in the model.
 */
export function sectionOwner(dottedPath: string, schema: ClassSchema = CASC_DOCUMENT): string | undefined {
  let owner: string | undefined = schema.plugin;
  let type: FieldType = { kind: 'object', of: schema };
  for (const step of dottedPath.split('.')) {
    while (type.kind === 'list') type = type.of;
    if (type.kind === 'object') {
      const field: Field | undefined = type.of.fields[step];
      if (!field) return undefined;
      owner = field.plugin ?? (field.type.kind === 'object' ? field.type.of.plugin : undefined) ?? owner;
      type = field.type;
    } else if (type.kind === 'describable') {
      const chosen: Variant | undefined = type.variants[step];
      if (!chosen) return undefined;
      owner = chosen.plugin ?? owner;
      type = chosen.type;
    } else {
      return undefined;
    }
  }
  return owner;
}
