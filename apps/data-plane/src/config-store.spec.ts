import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheFilePath, ConfigStore } from './config-store';
import { makeRoute, makeService, memoryLogger, snapshotOf } from './testing/fixtures';

describe('ConfigStore', () => {
  let prefix: string;
  const stores: ConfigStore[] = [];
  const newStore = (logger = memoryLogger()) => {
    const s = new ConfigStore({ prefix, logger });
    stores.push(s);
    return s;
  };
  beforeEach(async () => {
    prefix = await mkdtemp(join(tmpdir(), 'archway-dp-'));
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close(0)));
    await rm(prefix, { recursive: true, force: true });
  });

  const svc = makeService({ port: 9100 });
  const v1 = snapshotOf(1, [svc], [makeRoute(svc, { paths: ['/one'] })]);
  const v2 = snapshotOf(2, [svc], [makeRoute(svc, { paths: ['/two'] })]);
  const match = (s: ConfigStore, path: string) => s.runtime?.router.match({ method: 'GET', host: undefined, path, headers: {} }) ?? null;

  it('reports no configuration until one is applied, then its version and hash', async () => {
    const store = newStore();
    expect(store.current()).toBeNull();
    await store.apply(v1);
    expect(store.current()).toEqual({ version: 1, hash: v1.hash });
    expect(match(store, '/one')).not.toBeNull();
  });

  it('rejects a bad snapshot and keeps serving the previous one', async () => {
    const store = newStore();
    await store.apply(v1);
    const bad = snapshotOf(2, [{ ...svc, host: 'not a host!' }], []);
    await expect(store.apply(bad)).rejects.toThrow(/host/);
    expect(store.current()).toEqual({ version: 1, hash: v1.hash });
    expect(match(store, '/one')).not.toBeNull();
    expect(JSON.parse(await readFile(cacheFilePath(prefix), 'utf8')).version).toBe(1);
  });

  it('writes the cache atomically: the applied snapshot, no temporary file left behind', async () => {
    const store = newStore();
    await store.apply(v1);
    await store.apply(v2);
    expect(JSON.parse(await readFile(cacheFilePath(prefix), 'utf8'))).toEqual(JSON.parse(JSON.stringify(v2)));
    expect(await readdir(join(prefix, 'dp-cache'))).toEqual(['snapshot.json']);
  });

  it('serves the cached snapshot after a restart', async () => {
    await newStore().apply(v2);
    const restarted = newStore();
    expect(await restarted.loadCache()).toBe(true);
    expect(restarted.current()).toEqual({ version: 2, hash: v2.hash });
    expect(match(restarted, '/two')).not.toBeNull();
  });

  it('starts without a cache when there is none', async () => {
    const store = newStore();
    expect(await store.loadCache()).toBe(false);
    expect(store.current()).toBeNull();
  });

  it('ignores a corrupt cache, logs why, and still accepts the next snapshot', async () => {
    await mkdir(join(prefix, 'dp-cache'), { recursive: true });
    await writeFile(cacheFilePath(prefix), '{"version":3,"hash":"ab', 'utf8');
    const logger = memoryLogger();
    const store = newStore(logger);
    expect(await store.loadCache()).toBe(false);
    expect(store.current()).toBeNull();
    expect(logger.lines.some((l) => l.level === 'warn' && String(l.msg).includes('corrupt'))).toBe(true);
    await store.apply(v1);
    expect(store.current()?.version).toBe(1);
  });

  it('ignores a cache whose content no longer matches its hash', async () => {
    await mkdir(join(prefix, 'dp-cache'), { recursive: true });
    await writeFile(cacheFilePath(prefix), JSON.stringify({ ...v1, version: 1, hash: v2.hash }), 'utf8');
    const store = newStore();
    expect(await store.loadCache()).toBe(false);
  });

  it('ignores a cache whose hash is right but which holds an invalid entity: the cache is validated, not trusted', async () => {
    await mkdir(join(prefix, 'dp-cache'), { recursive: true });
    const invalid = snapshotOf(7, [{ ...svc, port: 70000 }], []);
    await writeFile(cacheFilePath(prefix), JSON.stringify(invalid), 'utf8');
    const logger = memoryLogger();
    const store = newStore(logger);
    expect(await store.loadCache()).toBe(false);
    expect(store.current()).toBeNull();
    expect(JSON.stringify(logger.lines.find((l) => l.level === 'warn'))).toContain(`services ${svc.id}`);
  });

  it('closes the pool of an origin no longer referenced, and keeps the one still in use', async () => {
    const other = makeService({ port: 9200 });
    const store = newStore();
    await store.apply(snapshotOf(1, [svc, other], []));
    const kept = store.runtime?.upstreams.get(svc.id)?.pool;
    const dropped = store.runtime?.upstreams.get(other.id)?.pool;
    await store.apply(snapshotOf(2, [svc], []));
    expect(store.runtime?.upstreams.get(svc.id)?.pool).toBe(kept);
    expect(dropped?.closed).toBe(true);
    expect(kept?.closed).toBe(false);
  });
});
