import { scalarText } from '../../jcasc/nodes';
import { POSITIVE_INTEGER } from '../fleet';
import { type CascRule, finding, got, templatesOf } from './rule';

const id = 'num-executors';

/** The plugin reads it with Integer.parseInt: a word there is not a typo the plugin reports. */
export const numExecutors: CascRule = {
  id,
  summary:
    'refuses a numExecutors that is set but not a positive integer: the plugin would not report the typo',
  check: (context) =>
    templatesOf(context).flatMap((t) => {
      const executors = t.get('numExecutors');
      const text = scalarText(executors);
      if (!executors || (text !== undefined && POSITIVE_INTEGER.test(text))) return [];
      return [
        finding(
          id,
          executors.loc,
          `${t.path}.numExecutors`,
          `numExecutors must be a positive integer (expected a positive integer, got ${got(text)})`,
        ),
      ];
    }),
};
