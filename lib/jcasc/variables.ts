/**
 * JCasC variable references in YAML values, as the configuration-as-code plugin reads them: `${NAME}` or
 * `${NAME:-default}`, with `^${…}` the escape for a literal `${`. The one spelling of each pattern for the
 * casc checks, the schema check and the bundle.
 */

/** One `${…}` reference, not the escaped `^${…}`; group 1 is what is between the braces. Not global. */
const VARIABLE_REFERENCE = /(?<!\^)\$\{([^}]*)\}/;

/** A value that is one `${VAR}` and nothing else (JCasC resolves it before converting the value). */
export const WHOLE_VARIABLE = /^\$\{[^}]+\}$/;

/** What is between the braces of each reference in `text`, in order (`NAME`, `NAME:-default`). */
export function variableReferences(text: string): string[] {
  // A fresh global regex per call: no lastIndex is shared between callers.
  return [...text.matchAll(new RegExp(VARIABLE_REFERENCE, 'g'))].map((m) => m[1]);
}

/** `text` with every reference replaced by `replace` of what is between its braces. */
export function replaceVariableReferences(text: string, replace: (inner: string) => string): string {
  return text.replace(new RegExp(VARIABLE_REFERENCE, 'g'), (_all, inner: string) => replace(inner));
}
