/**
 * Jenkins' version order. The expectations come from jenkinsci/lib-version-number
 * `src/test/java/hudson/util/VersionNumberTest.java` (the class core's plugin manager and the plugin
 * installation manager use) and from the real versions of the locked closure (casc/plugins.lock).
 */
import * as fs from 'fs';
import * as path from 'path';

import { parseLock } from '../../lib/plugins/lock-file';
import { compareVersions, satisfies } from '../../lib/plugins/version';

const REPO = path.resolve(__dirname, '../..');
/** As VersionNumber.isNewerThan; the library's `*` is not antisymmetric (1.0 vs 1.* is 0), so one way only. */
const newer = (a: string, b: string) => compareVersions(a, b) > 0;

describe('compareVersions (hudson.util.VersionNumber order)', () => {
  it.each([
    ['2.0.*', '2.0'],
    ['2.1-SNAPSHOT', '2.0.*'],
    ['2.1', '2.1-SNAPSHOT'],
    ['2.0.*', '2.0.1'],
    ['2.0.1', '2.0.1-SNAPSHOT'],
    ['2.0.1-SNAPSHOT', '2.0.0.99'],
    ['2.0.0.99', '2.0.0'],
    ['2.0.0', '2.0.ea'],
    ['2.0', '2.0.ea'],
    ['2.0', '2.0-alpha-1'],
    ['2.0-alpha-1', '2.0-alpha-1-rc9999.abc123def456'],
    ['2.0.ea2', '2.0.ea1'],
    ['2.0.ea1', '2.0.ea'],
    ['1.12', '1.12-SNAPSHOT (private-08/24/2008 12:13-hudson)'],
    ['1.12-SNAPSHOT (private-08/24/2008 12:13-hudson)', '1.11'],
    ['1.11.*', '1.11.9'],
    ['2.0.3-20170207.105042-1', '2.0.2'],
    ['2.0.3', '2.0.3-20170207.105042-1'],
    ['2.0.3-20170207.105043-2', '2.0.3-20170207.105042-1'],
    ['2.0.3-20170207.105042-13', '2.0.3-20170207.105042-2'],
    ['1.9', '1.8'],
    ['2', '1.8'],
  ])('%s is newer than %s', (a, b) => {
    expect(newer(a, b)).toBe(true);
  });

  it.each([
    ['2.0.0', '2.0'],
    ['2.0.ea', '2.0.ea0'],
    ['1.12-SNAPSHOT (private-08/24/2008 12:13-hudson)', '1.12-SNAPSHOT'],
    ['2.0.3-20170207.105042-1', '2.0.3-SNAPSHOT'],
    ['1.30', '1.30.0'],
  ])('%s equals %s', (a, b) => {
    expect(compareVersions(a, b)).toBe(0);
  });

  it('orders JEP-229 versions as Maven does (VersionNumberTest.backportJep229)', () => {
    const ordered = ['99.v1234deadbeef', '99.5.vabcd1234abcd', '99.10.vabcd1234abcd', '100.vdead9876beef'];
    expect([...ordered].reverse().sort(compareVersions)).toEqual(ordered);
  });

  it('keeps the order the library has, not the one its own test wishes for: 1.12-SNAPSHOT < 1.12-rc9999', () => {
    // VersionNumberTest.snapshots marks the reverse as an open wish: the library sorts the snapshot first.
    expect(compareVersions('1.12-SNAPSHOT', '1.12-rc9999.abc123def456')).toBeLessThan(0);
  });

  it.each([
    // Family minimums EC2 and git-client ask for, against the BOM's family version.
    ['2.19.0-192.v2b_a_7b_2c1dc71', '2.14.0-143.v2b_362fc39576'],
    ['2.19.0-192.v2b_a_7b_2c1dc71', '2.16.0-167.va_269f38cc024'],
    ['2.42.33-70.vd69c0763fa_60', '2.33.4-62.vc1a_8df64b_4c9'],
    // Incrementals-style versions: the build number decides before the hash.
    ['1511.v2e3cb_0008ef0', '1415.v831096eb_5534'],
    ['6.1106.v3a_d9a_6d2465e', '6.1100.ve9eed61d16c4'],
    ['1590.v49101d088542', '1571.1580.v18e46842c125'],
    ['2.30.1.84-291.v9f17b_21896e2', '2.30.1.83-289.v8426fcd19371'],
    ['20260814-226.v20f9685d642c', '20251224-185.v0cc18490c62c'],
    ['0.3.0.1-29.v67e9a_1c969b_b_', '0.3.0-4.v84c6f0f4969e'],
    ['5.10.1', '5.9.0'],
    ['2.580.1', '2.556'],
  ])('real closure: %s is newer than %s', (a, b) => {
    expect(newer(a, b)).toBe(true);
    expect(compareVersions(b, a)).toBeLessThan(0);
  });

  it('every dependency minimum in the shipped lock is met by the locked version', () => {
    const file = path.join(REPO, 'casc/plugins.lock');
    const lock = parseLock(fs.readFileSync(file, 'utf8'), file).value;
    const locked = new Map(lock.map((e) => [e.id, e.version]));
    const pairs = lock.flatMap((e) =>
      e.dependencies.filter((d) => locked.has(d.id)).map((d) => [locked.get(d.id)!, d.minimum]),
    );
    expect(pairs.length).toBeGreaterThan(250);
    for (const [version, minimum] of pairs)
      expect(`${version} >= ${minimum}: ${satisfies(version, minimum)}`).toMatch(/true$/);
  });
});
