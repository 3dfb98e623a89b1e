import type { Problem } from '../../jcasc/problem';
import type { TemplateView } from '../fleet';
import { type CascRule, templateFinding, templatesOf } from './rule';

const id = 'device-mapping-encrypted';

/** The plugin's parser reads the 6th field as encrypted only when it is the word `encrypted` (`true` = not). */
function check(template: TemplateView): Problem[] {
  const mapping = template.text('customDeviceMapping');
  if (!mapping) return [];
  return mapping.split(',').flatMap((device) => {
    const [name, spec] = device.split('=');
    const encryptedField = spec?.split(':')[5];
    if (encryptedField === 'encrypted') return [];
    const shown = encryptedField ? `"${encryptedField}"` : 'nothing';
    return [
      templateFinding(
        id,
        template,
        'customDeviceMapping',
        `${name}: the encrypted field must be the word 'encrypted' (expected encrypted, got ${shown}: the plugin would not encrypt)`,
      ),
    ];
  });
}

export const deviceMappingEncrypted: CascRule = {
  id,
  summary:
    "refuses a customDeviceMapping device whose encrypted field is not the word 'encrypted': the plugin would not encrypt it",
  check: (context) => templatesOf(context).flatMap(check),
};
