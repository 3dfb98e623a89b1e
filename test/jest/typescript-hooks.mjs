/**
 * Module hooks (node:module register) for test/jest/typescript.mjs: an imported .ts file is CommonJS, with
 * no source. Node.js then loads it through the CommonJS loader and its require.extensions, so through
 * bin/register-ts.cjs (Node.js 20 and 22 docs, "Customization hooks", the caveat of the asynchronous load
 * hook: a nullish source for 'commonjs' goes to the CommonJS module loader; the docs call this temporary).
 */
export async function load(url, context, nextLoad) {
  const file = url.split('?')[0];
  if (file.startsWith('file:') && file.endsWith('.ts')) return { format: 'commonjs', shortCircuit: true };
  return nextLoad(url, context);
}
