import { parse } from 'yaml';

import type { BuiltBundle } from '../../lib/bundle/build-bundle';
import { unescapeJcasc } from '../../lib/bundle/render-worker-script';

export interface ShippedTemplate {
  readonly description: string;
  readonly userData: string;
  readonly initScript: string;
}

/** The EC2 templates of a bundle's rendered `casc/ec2-cloud.yaml`. */
export function shippedTemplates(bundle: BuiltBundle): ShippedTemplate[] {
  return parse(bundle.files.get('casc/ec2-cloud.yaml')!).jenkins.clouds[0].amazonEC2.templates;
}

/**
 * What JCasC hands the EC2 plugin for a value: every `${NAME}` replaced by `vars[NAME]` (a missing one is a
 * test error, as strict resolution is on the controller), then `^${` un-escaped to `${`.
 */
export function resolveLikeJcasc(value: string, vars: Readonly<Record<string, string>>): string {
  const filled = value.replace(/(?<!\^)\$\{([^}]*)\}/g, (_all, name: string) => {
    const v = vars[name];
    if (v === undefined) throw new Error(`no value for \${${name}} in the test`);
    return v;
  });
  return unescapeJcasc(filled);
}
