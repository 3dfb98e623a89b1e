/**
 * resolveClosure on small made-up update-center documents (the format of plugin-versions.json), for the
 * rules that the real fixtures do not reach.
 */
import { resolveClosure } from '../../lib/plugins/resolve';
import { parseUpdateCenter, UpdateCenterIndex } from '../../lib/plugins/update-center';

const SHA = Buffer.alloc(32, 7).toString('base64');

function release(name: string, version: string, requiredCore: string, dependencies: object[] = []) {
  return { name, version, requiredCore, sha256: SHA, dependencies };
}

function index(plugins: Record<string, Record<string, object>>): UpdateCenterIndex {
  return new UpdateCenterIndex([
    parseUpdateCenter(JSON.stringify({ updateCenterVersion: '1', plugins }), 'plugin-versions.json'),
  ]);
}

const intent = (id: string, version: string) => [{ id, version, line: 1 }];

describe('resolveClosure', () => {
  it('with plugin-versions.json alone, takes the newest release the pinned core can run', () => {
    const uc = index({
      app: { '1.0': release('app', '1.0', '2.479.1', [{ name: 'lib', version: '1.0', optional: false }]) },
      lib: {
        '1.0': release('lib', '1.0', '2.479.1'),
        '3.0': release('lib', '3.0', '2.600.1'),
        '2.0': release('lib', '2.0', '2.550.1'),
      },
    });

    const { plugins } = resolveClosure({
      intent: intent('app', '1.0'),
      coreVersion: '2.580.1',
      updateCenter: uc,
    });

    expect(plugins.map((p) => `${p.id}:${p.version} ${p.source}`)).toEqual([
      'app:1.0 intent',
      'lib:2.0 update-center',
    ]);
    expect(plugins[0].sha256).toBe('07'.repeat(32));
  });

  it('does not install optional dependencies, and names a plugin no data has', () => {
    const uc = index({
      app: {
        '1.0': release('app', '1.0', '2.479.1', [
          { name: 'extra', version: '1.0', optional: true },
          { name: 'gone', version: '1.0', optional: false },
        ]),
      },
    });

    expect(() =>
      resolveClosure({ intent: intent('app', '1.0'), coreVersion: '2.580.1', updateCenter: uc }),
    ).toThrow(
      'the plugin closure cannot be locked:\n  gone (needed by app) is in no BOM and no update-center data given',
    );
  });

  it('refuses an entry whose sha256 is not a 32-byte digest, naming the document and entry', () => {
    const uc = index({ app: { '1.0': { ...release('app', '1.0', '2.479.1'), sha256: 'abc' } } });

    expect(() =>
      resolveClosure({ intent: intent('app', '1.0'), coreVersion: '2.580.1', updateCenter: uc }),
    ).toThrow('plugin-versions.json: plugins.app 1.0: sha256 "abc" is not the base64 of a 32-byte digest');
  });
});
