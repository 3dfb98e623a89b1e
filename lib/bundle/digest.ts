import * as fs from 'fs';
import * as path from 'path';

import { digestOfFiles } from './file-digest';

/**
 * The digest of a config bundle directory (the algorithm is `digestOfFiles`, the same as `bundle_digest` in
 * assets/controller/lib.sh). Symbolic links and other non-regular files are ignored, like `find -type f`.
 */
export function bundleDigest(dir: string): string {
  const files = new Map<string, Buffer>();
  for (const rel of listRegularFiles(dir, '')) files.set(rel, fs.readFileSync(path.join(dir, rel)));
  return digestOfFiles(files);
}

function listRegularFiles(root: string, rel: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const child = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) {
      out.push(...listRegularFiles(root, child));
    } else if (entry.isFile()) {
      out.push(child);
    }
  }
  return out;
}
