// The primary's disk cache (ARCHWAY_WORKERS > 1): what it reads at start-up is checked like any
// snapshot (hash and validation), since the workers will trust it.
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheFilePath } from './config-store';
import { SnapshotCache } from './snapshot-cache';
import { makeRoute, makeService, memoryLogger, snapshotOf } from './testing/fixtures';

describe('SnapshotCache', () => {
  let prefix: string;
  beforeEach(async () => {
    prefix = await mkdtemp(join(tmpdir(), 'archway-cache-'));
    await mkdir(join(prefix, 'dp-cache'), { recursive: true });
  });
  afterEach(() => rm(prefix, { recursive: true, force: true }));

  const svc = makeService({ port: 9300 });
  const good = snapshotOf(3, [svc], [makeRoute(svc, { paths: ['/a'] })]);

  it('reads back what it wrote, byte for byte the JSON of the snapshot', async () => {
    const cache = new SnapshotCache(prefix, memoryLogger());
    await cache.write(good);
    expect(await readFile(cacheFilePath(prefix), 'utf8')).toBe(JSON.stringify(good));
    expect(await cache.read()).toEqual(good);
  });

  it.each([
    ['corrupt JSON', () => '{"version":3,"hash":"ab'],
    ['a hash that does not match', () => JSON.stringify({ ...good, hash: 'f'.repeat(64) })],
    ['an invalid entity under a matching hash', () => JSON.stringify(snapshotOf(4, [{ ...svc, port: 70000 }], []))],
  ])('ignores a cache with %s, and says so', async (_what, content) => {
    await writeFile(cacheFilePath(prefix), content(), 'utf8');
    const logger = memoryLogger();
    expect(await new SnapshotCache(prefix, logger).read()).toBeNull();
    expect(logger.lines.some((l) => l.level === 'warn' && String(l.msg).includes('ignoring a corrupt or invalid configuration cache'))).toBe(true);
  });
});
