/**
 * Loads the CDK app's TypeScript with esbuild's transform (type-stripping only; `tsc --noEmit` is the type
 * gate): about three times faster to start than ts-node, which matters for every `cdk synth` (see
 * `npm run bench`). Used by cdk.json with `node --enable-source-maps -r ./bin/register-ts.cjs`.
 */
'use strict';
const fs = require('fs');
const { transformSync } = require('esbuild');

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    loader: 'ts',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    sourcefile: filename,
  });
  module._compile(code, filename);
};
