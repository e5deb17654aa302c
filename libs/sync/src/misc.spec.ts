import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findProtoRoot } from './proto';
import { newNonce } from './nonce';
import { formatVersionInfo, parseVersionInfo } from './version';

describe('proto discovery', () => {
  it('finds proto/ from the sources directory', () => {
    expect(fs.existsSync(path.join(findProtoRoot(__dirname), 'archway/sync/v1/sync.proto'))).toBe(true);
  });

  it('finds proto/ from a compiled location under dist/', () => {
    const root = findProtoRoot(__dirname);
    const dist = path.join(path.dirname(root), 'dist', 'libs', 'sync', 'src');
    expect(findProtoRoot(dist)).toBe(root);
  });

  it('says what to do when proto/ is not shipped', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'archway-noproto-'));
    try {
      expect(() => findProtoRoot(tmp)).toThrow(/ship the proto\/ directory/);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('nonces and version_info', () => {
  it('nonces are fresh every time', () => {
    const seen = new Set(Array.from({ length: 1000 }, newNonce));
    expect(seen.size).toBe(1000);
  });

  it('version_info is a decimal string, empty for nothing served', () => {
    expect(formatVersionInfo(17)).toBe('17');
    expect(formatVersionInfo(null)).toBe('');
    expect(parseVersionInfo('17')).toBe(17);
    expect(parseVersionInfo('')).toBeNull();
    expect(parseVersionInfo('-1')).toBeNull();
  });
});
