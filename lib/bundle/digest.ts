import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/**
 * The digest of a config bundle directory, as defined in docs/architecture.md and computed identically by
 * `bundle_digest` in assets/controller/lib.sh: for every regular file, sorted by relative path in byte order,
 * the line `<sha256 hex of the file>  <relative path>\n`; the digest is the sha256 hex of all lines.
 * Symbolic links and other non-regular files are ignored, like `find -type f` does.
 */
export function bundleDigest(dir: string): string {
  const files = listRegularFiles(dir, '');
  files.sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
  const digest = createHash('sha256');
  for (const rel of files) {
    const fileHash = createHash('sha256')
      .update(fs.readFileSync(path.join(dir, rel)))
      .digest('hex');
    digest.update(`${fileHash}  ${rel}\n`, 'utf8');
  }
  return digest.digest('hex');
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
