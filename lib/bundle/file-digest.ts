import { createHash } from 'crypto';

/**
 * Digest of a set of files, keyed by relative path (`/` separators). Same algorithm as `bundle_digest` in
 * assets/controller/lib.sh (see docs/architecture.md): the sha256 of the lines
 * `<sha256 of the file>  <path>\n`, paths sorted in byte order.
 */
export function digestOfFiles(files: ReadonlyMap<string, Buffer | string>): string {
  const paths = [...files.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const all = createHash('sha256');
  for (const p of paths) {
    const fileHash = createHash('sha256').update(files.get(p)!).digest('hex');
    all.update(`${fileHash}  ${p}\n`);
  }
  return all.digest('hex');
}
