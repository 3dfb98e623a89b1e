/** The JCasC variable patterns of lib/jcasc/variables.ts, shared by the casc checks, the schema check and the bundle. */
import { replaceVariableReferences, variableReferences, WHOLE_VARIABLE } from '../../lib/jcasc/variables';

describe('variableReferences', () => {
  it('finds each ${…} in order, with its default, and skips the escaped ^${…}', () => {
    expect(variableReferences('a ${ONE} ^${NOT} ${TWO:-x} ${}')).toEqual(['ONE', 'TWO:-x', '']);
  });

  it('gives the same answer on every call: no regex state is shared between calls', () => {
    const text = '${A} ${B}';
    expect(variableReferences(text)).toEqual(['A', 'B']);
    expect(variableReferences(text)).toEqual(['A', 'B']);
    expect(replaceVariableReferences(text, (name) => name.toLowerCase())).toBe('a b');
    expect(variableReferences(text)).toEqual(['A', 'B']);
  });
});

describe('replaceVariableReferences', () => {
  it('replaces every reference by what is between its braces and leaves escaped ones as written', () => {
    expect(replaceVariableReferences('u=${URL} e=^${HOME} ${N:-1}', (inner) => `<${inner}>`)).toBe(
      'u=<URL> e=^${HOME} <N:-1>',
    );
  });
});

describe('WHOLE_VARIABLE', () => {
  it.each([
    ['${VAR}', true],
    ['${VAR:-x}', true],
    ['${}', false],
    ['x${VAR}', false],
    ['${A}${B}', false],
  ])('%j is one whole variable: %j', (text, whole) => {
    expect(WHOLE_VARIABLE.test(text)).toBe(whole);
  });
});
