import { child, scalarText } from '../../jcasc/nodes';
import { POSITIVE_INTEGER } from '../fleet';
import { type CascRule, finding, got, templatesOf } from './rule';

const id = 'ssh-port';
const MAX_PORT = 65_535;

/** The plugin reads it with Integer.parseInt: a word there is not a typo the plugin reports. */
export const sshPort: CascRule = {
  id,
  summary: `refuses an amiType.unixData.sshPort that is set but not a port number (1-${MAX_PORT})`,
  check: (context) =>
    templatesOf(context).flatMap((t) => {
      const port = child(child(t.get('amiType'), 'unixData'), 'sshPort');
      const text = scalarText(port);
      if (!port || (text !== undefined && POSITIVE_INTEGER.test(text) && Number(text) <= MAX_PORT)) return [];
      return [
        finding(
          id,
          port.loc,
          `${t.path}.amiType.unixData.sshPort`,
          `sshPort must be a port number (expected 1-${MAX_PORT}, got ${got(text)})`,
        ),
      ];
    }),
};
