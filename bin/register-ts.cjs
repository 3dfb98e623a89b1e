/**
 * Loads the CDK app's TypeScript with esbuild's transform (type-stripping only; `tsc --noEmit` is the type
 * gate): about three times faster to start than ts-node, which matters for every `cdk synth` (see
 * `npm run bench`). Used by cdk.json with `node --enable-source-maps -r ./bin/register-ts.cjs`.
 *
 * Each output is cached in node_modules/.cache/register-ts under a hash of the esbuild version, the options,
 * the file name and its source, so an unchanged file is never transformed twice and a process whose files
 * are all cached never starts esbuild's service (about a second of every tool run on a busy machine).
 */
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const CACHE_DIR = path.join(__dirname, '..', 'node_modules', '.cache', 'register-ts');
const ESBUILD_VERSION = require('esbuild/package.json').version;

function options(filename) {
  return { loader: 'ts', format: 'cjs', target: 'node20', sourcemap: 'inline', sourcefile: filename };
}

/** esbuild's output for `source`, from the cache when the same input was transformed before. */
function transform(source, filename) {
  const key = crypto
    .createHash('sha256')
    .update(JSON.stringify([ESBUILD_VERSION, options(filename)]))
    .update('\0')
    .update(source)
    .digest('hex');
  const cached = path.join(CACHE_DIR, `${key}.js`);
  try {
    return fs.readFileSync(cached, 'utf8');
  } catch {
    // Not cached yet: transform below.
  }
  const { code } = require('esbuild').transformSync(source, options(filename));
  try {
    // Write then rename, so a process running in parallel never reads a half-written file.
    fs.mkdirSync(CACHE_DIR, { recursive: true });
    const partial = `${cached}.${crypto.randomBytes(6).toString('hex')}.tmp`;
    fs.writeFileSync(partial, code);
    fs.renameSync(partial, cached);
  } catch {
    // A read-only checkout still runs, uncached.
  }
  return code;
}

require.extensions['.ts'] = (module, filename) => {
  module._compile(transform(fs.readFileSync(filename, 'utf8'), filename), filename);
};
