// Deltas over real gRPC on 127.0.0.1: the control plane's SyncServer and the data plane's SyncClient
// applying into a real ConfigStore (router and all). A one-route change after an ACK travels as a delta
// and is served; a delta that does not hold (its hash, a reference, its base) is NACKed, the old config
// keeps serving, and the whole snapshot follows; a data plane that does not announce the capability gets
// whole snapshots only.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emptyConfig, makeSnapshot, validatePlugin, type ConfigSet, type Route, type Service, type Snapshot } from '@archway/schema';
import { pluginSchema } from '@archway/plugins';
import { silentLogger } from '@archway/telemetry';
// Test only: the real server end of the protocol, so both planes are checked together.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { DELTA_BASES } from '../../../control-plane/src/clustering/delta-bases';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { SyncServer } from '../../../control-plane/src/clustering/sync-server';
import { ConfigStore } from '../config-store';
import { makeRoute, makeService, memoryLogger, send, waitUntil } from '../testing/fixtures';
import { keyAuth, makeConsumer, startPluginProxy } from '../testing/plugin-proxy';
import { SyncClient, type SyncClientOptions } from './sync-client';

const svc = makeService({ name: 'svc', port: 9400 });
const routes = Array.from({ length: 20 }, (_, i) => makeRoute(svc, { name: `r${i}`, paths: [`/r${i}`] }));
const configWith = (extra: Route[] = [], services: Service[] = [svc]): ConfigSet => ({ ...emptyConfig(), services, routes: [...routes, ...extra] });

describe('SyncClient deltas with SyncServer', () => {
  let prefix: string;
  let server: SyncServer;
  let port: number;
  const clients: SyncClient[] = [];
  const stores: ConfigStore[] = [];

  beforeEach(async () => {
    prefix = await mkdtemp(join(tmpdir(), 'archway-delta-'));
    server = new SyncServer({ logger: silentLogger, softwareVersion: '0.1.0' });
    port = await server.listen('127.0.0.1', 0);
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.stop();
    for (const s of stores.splice(0)) await s.close(0);
    await server.close();
    await rm(prefix, { recursive: true, force: true });
  });

  function start(extra: Partial<Omit<SyncClientOptions, 'apply'>> & { apply?: (s: Snapshot, store: ConfigStore) => Promise<void>; store?: ConfigStore } = {}) {
    const { apply, store: given, ...rest } = extra;
    const store = given ?? new ConfigStore({ prefix, logger: silentLogger });
    if (!given) stores.push(store);
    const client = new SyncClient({
      controlPlanes: [`127.0.0.1:${port}`],
      node: { id: 'dp-1', hostname: 'dp-1.local', zone: 'a', version: '0.1.0', labels: {} },
      logger: silentLogger,
      current: () => store.current(),
      apply: (s) => (apply ? apply(s, store) : store.apply(s)),
      backoff: { initialMs: 20, maxMs: 200 },
      checker: store.checker, // as main.ts wires it: the checker that passed what the store serves
      ...rest,
    });
    clients.push(client);
    client.start();
    return { store, client };
  }

  const record = () => server.dataPlanes()[0];
  const serves = (store: ConfigStore, path: string) => store.runtime?.router.match({ method: 'GET', host: undefined, path, headers: {} }) != null;
  const acked = (version: number) => waitUntil(() => record()?.config_version === version && record()?.sync_status === 'normal', `the ACK of ${version}`);

  it('sends a one-route change as a delta, far smaller than the snapshot, and the data plane serves the new route', async () => {
    server.publish(makeSnapshot(1, configWith()));
    const { store, client } = start();
    await acked(1);
    const added = makeRoute(svc, { name: 'new', paths: ['/new'] });
    server.publish(makeSnapshot(2, configWith([added])));
    await acked(2);
    expect(serves(store, '/new')).toBe(true);
    expect(serves(store, '/r3')).toBe(true);
    const received = client.received;
    expect(received).toMatchObject({ snapshots: 1, deltas: 1 });
    expect(received.deltaBytes * 5).toBeLessThan(received.snapshotBytes);
    expect(server.sent()).toMatchObject({ snapshots: 1, deltas: 1 });
    // a change and a removal next, on top of the delta
    const changed = { ...routes[0], paths: ['/r0-moved'] };
    server.publish(makeSnapshot(3, { ...emptyConfig(), services: [svc], routes: [changed, ...routes.slice(2), added] }));
    await acked(3);
    expect(client.received.deltas).toBe(2);
    expect(serves(store, '/r0-moved')).toBe(true);
    expect(serves(store, '/r0')).toBe(false); // the changed route's old path is gone with its old version
    expect(serves(store, '/r1')).toBe(false);
    expect(store.current()?.hash).toBe(server.latest()?.hash);
  });

  it('authenticates with key-auth through the real proxy as deltas add and remove credentials (the key index is updated from the delta only when credentials change)', async () => {
    const px = await startPluginProxy();
    try {
      const keyAuthPlugin = validatePlugin({ name: 'key-auth' }, 'create', pluginSchema);
      const alice = makeConsumer('alice');
      const bob = makeConsumer('bob');
      const aliceKey = keyAuth(alice, 'alice-key');
      const bobKey = keyAuth(bob, 'bob-key');
      const base = { ...emptyConfig(), services: [px.service], routes: [px.route], plugins: [keyAuthPlugin], consumers: [alice, bob] };
      const status = async (key: string, path = '/p') => (await send(px.port, { path, headers: { apikey: key } })).status;
      server.publish(makeSnapshot(1, { ...base, keyauth_credentials: [aliceKey] }));
      const { client } = start({ store: px.store });
      await acked(1);
      expect(await status('alice-key')).toBe(200);
      expect(await status('bob-key')).toBe(401);
      const indexes = px.store.compileCache.indexes;
      // bob's key arrives in a delta: the key index is updated from it, the consumers' kept; none is built
      const { built, updated } = indexes;
      server.publish(makeSnapshot(2, { ...base, keyauth_credentials: [aliceKey, bobKey] }));
      await acked(2);
      expect([indexes.built, indexes.updated]).toEqual([built, updated + 1]);
      expect(await status('bob-key')).toBe(200);
      expect(await status('alice-key')).toBe(200);
      // a route-only delta reuses both indexes, and the keys still work on the new route
      const extra = makeRoute(px.service, { name: 'extra', paths: ['/extra'] });
      server.publish(makeSnapshot(3, { ...base, routes: [px.route, extra], keyauth_credentials: [aliceKey, bobKey] }));
      await acked(3);
      expect([indexes.built, indexes.updated]).toEqual([built, updated + 1]);
      expect(await status('bob-key', '/extra')).toBe(200);
      expect(await status('nobody', '/extra')).toBe(401);
      // alice's key removed, and a consumer renamed: both indexes updated
      const renamed = { ...bob, username: 'robert' };
      server.publish(makeSnapshot(4, { ...base, routes: [px.route, extra], consumers: [alice, renamed], keyauth_credentials: [bobKey] }));
      await acked(4);
      expect([indexes.built, indexes.updated]).toEqual([built, updated + 3]);
      expect(await status('alice-key')).toBe(401);
      expect(await status('bob-key')).toBe(200);
      expect(px.upstream.seen.at(-1)?.headers['x-consumer-username']).toBe('robert');
      expect(client.received).toMatchObject({ snapshots: 1, deltas: 3 });
    } finally {
      await px.close();
    }
  });

  it('gives a data plane that does not announce the capability whole snapshots only, which it applies by what changed', async () => {
    server.publish(makeSnapshot(1, configWith()));
    const { store, client } = start({ deltas: false });
    await acked(1);
    server.publish(makeSnapshot(2, configWith([makeRoute(svc, { paths: ['/old-style'] })])));
    await acked(2);
    expect(serves(store, '/old-style')).toBe(true);
    // the second whole snapshot is one route from the first: checked and compiled as a delta against it
    expect(client.received).toMatchObject({ snapshots: 2, snapshotsAsDeltas: 1, deltas: 0 });
    expect(server.sent()).toMatchObject({ snapshots: 2, deltas: 0 });
  });

  it('reads the first snapshot after a restart against the config cached on disk, not checked and compiled whole', async () => {
    server.publish(makeSnapshot(1, configWith()));
    const before = start();
    await acked(1);
    await before.client.stop();
    await before.store.close(0); // its disk cache written
    // more changes while it is away than the control plane keeps bases for: the whole snapshot goes
    const last = 2 + DELTA_BASES;
    for (let v = 2; v < last; v++) server.publish(makeSnapshot(v, configWith([makeRoute(svc, { name: 'gone', paths: ['/gone'] })])));
    server.publish(makeSnapshot(last, configWith([makeRoute(svc, { name: 'after', paths: ['/after'] })])));
    // the data plane restarts: a new store serves the disk cache, its checker handed to the sync client
    const store = new ConfigStore({ prefix, logger: silentLogger });
    stores.push(store);
    expect(await store.loadCache()).toBe(true);
    const { client } = start({ store });
    await acked(last);
    expect(serves(store, '/after')).toBe(true);
    expect(serves(store, '/gone')).toBe(false);
    expect(serves(store, '/r7')).toBe(true);
    expect(client.received).toMatchObject({ snapshots: 1, snapshotsAsDeltas: 1, deltas: 0 });
  });

  it('sends the first change after a restart from the disk cache as a delta against the cached config', async () => {
    server.publish(makeSnapshot(1, configWith()));
    const before = start();
    await acked(1);
    await before.client.stop();
    await before.store.close(0);
    const store = new ConfigStore({ prefix, logger: silentLogger });
    stores.push(store);
    expect(await store.loadCache()).toBe(true);
    expect(store.checker.readyForDelta).toBe(false);
    // back with what it serves in its first request: the control plane has nothing newer to send
    const { client } = start({ store });
    await acked(1);
    // what the delta is checked against is built once the sync client starts, not inside the first delta
    await waitUntil(() => store.checker.readyForDelta, 'the lookups for deltas');
    server.publish(makeSnapshot(2, configWith([makeRoute(svc, { name: 'after', paths: ['/after'] })])));
    await acked(2);
    expect(serves(store, '/after')).toBe(true);
    expect(client.received).toMatchObject({ snapshots: 0, deltas: 1 });
    expect(server.sent()).toMatchObject({ snapshots: 1, deltas: 1 }); // the snapshot was the first data plane's
  });

  it('sends the first change after a control plane restart as a delta to the data planes back on it', async () => {
    const v1 = makeSnapshot(1, configWith());
    server.publish(v1);
    const { store, client } = start();
    await acked(1);
    // the control plane restarts on the same address with the same config (its build from the database)
    await server.close();
    server = new SyncServer({ logger: silentLogger, softwareVersion: '0.1.0' });
    await server.listen('127.0.0.1', port);
    server.publish(makeSnapshot(1, configWith()));
    await acked(1);
    server.publish(makeSnapshot(2, configWith([makeRoute(svc, { name: 'after', paths: ['/after'] })])));
    await acked(2);
    expect(serves(store, '/after')).toBe(true);
    expect(client.received).toMatchObject({ snapshots: 1, deltas: 1 });
    expect(server.sent()).toMatchObject({ snapshots: 0, deltas: 1 });
  });

  it('NACKs a delta whose hash does not verify, keeps serving, and the next snapshot fixes it', async () => {
    server.publish(makeSnapshot(1, configWith()));
    const logger = memoryLogger();
    const { store, client } = start({ logger });
    await acked(1);
    server.publish({ ...makeSnapshot(2, configWith([makeRoute(svc, { paths: ['/tampered'] })])), hash: 'f'.repeat(64) });
    // the delta is NACKed, then the whole snapshot of version 2 follows, and is NACKed as well (its check
    // runs in time slices after it is counted as received: wait for both rejections)
    const rejections = () => logger.lines.filter((l) => l.msg === 'configuration rejected; keeping the current one');
    await waitUntil(() => client.received.snapshots === 2 && rejections().length === 2 && record()?.last_error?.config_version === 2, 'the NACKs of 2');
    const rejected = rejections();
    expect(rejected.map((l) => l.kind)).toEqual(['delta', 'snapshot']);
    expect(String(rejected[0].error)).toMatch(/delta 1 -> 2: config hash mismatch after applying it/);
    expect(record()?.last_error?.message).toMatch(/hash mismatch/);
    expect(client.received.deltas).toBe(1);
    expect(store.current()?.version).toBe(1);
    expect(serves(store, '/tampered')).toBe(false);
    expect(serves(store, '/r1')).toBe(true);
    server.publish(makeSnapshot(3, configWith([makeRoute(svc, { paths: ['/fixed'] })])));
    await acked(3);
    expect(serves(store, '/fixed')).toBe(true);
  });

  it('NACKs a delta that breaks a reference, naming it, keeps serving, and the next snapshot fixes it', async () => {
    server.publish(makeSnapshot(1, configWith()));
    const { store, client } = start();
    await acked(1);
    const orphan = makeRoute(makeService({ name: 'gone', port: 9401 }), { paths: ['/orphan'] });
    server.publish(makeSnapshot(2, configWith([orphan])));
    await waitUntil(() => record()?.last_error?.config_version === 2, 'the NACK of 2');
    expect(record()?.last_error?.message).toContain(`routes ${orphan.id}: service ${orphan.service?.id} does not exist`);
    expect(client.received.deltas).toBe(1);
    expect(serves(store, '/orphan')).toBe(false);
    expect(serves(store, '/r2')).toBe(true);
    server.publish(makeSnapshot(3, configWith([makeRoute(svc, { paths: ['/fixed'] })])));
    await acked(3);
    expect(serves(store, '/fixed')).toBe(true);
    // version 3 goes as the delta from 1, the config it still serves (not from 2, which it rejected)
    expect(client.received).toMatchObject({ deltas: 2, snapshots: 2 });
  });

  it('sends a data plane back on a new stream the changes since the config it serves as one delta, and the whole snapshot when that config is no longer kept', async () => {
    server.publish(makeSnapshot(1, configWith()));
    const first = start();
    await acked(1);
    await first.client.stop();
    server.publish(makeSnapshot(2, configWith([makeRoute(svc, { paths: ['/two'] })])));
    // the same data plane (serving version 1, its checker holding it) on a new stream: 2 is one delta from 1
    const second = start({ store: first.store });
    await acked(2);
    expect(second.client.received).toMatchObject({ snapshots: 0, deltas: 1 });
    await second.client.stop();
    // 3 moves r0 and adds /three; 4 puts r0 back and replaces /three with /four
    server.publish(makeSnapshot(3, { ...emptyConfig(), services: [svc], routes: [{ ...routes[0], paths: ['/moved'] }, ...routes.slice(1), makeRoute(svc, { paths: ['/three'] })] }));
    server.publish(makeSnapshot(4, configWith([makeRoute(svc, { paths: ['/four'] })])));
    // two changes behind: one delta from 2 to 4 composed of theirs (/two gone, /four added, r0 as it was)
    const third = start({ store: first.store });
    await acked(4);
    expect(third.client.received).toMatchObject({ snapshots: 0, deltas: 1 });
    expect(serves(first.store, '/four')).toBe(true);
    expect(serves(first.store, '/two')).toBe(false);
    expect(serves(first.store, '/three')).toBe(false);
    expect(serves(first.store, '/r0')).toBe(true);
    expect(serves(first.store, '/moved')).toBe(false);
    await third.client.stop();
    // further behind than the snapshots kept as bases: the whole snapshot, then deltas again
    for (let v = 5; v <= 5 + DELTA_BASES; v++) server.publish(makeSnapshot(v, configWith([makeRoute(svc, { paths: [`/v${v}`] })])));
    const last = 5 + DELTA_BASES;
    const { store, client } = start({ store: first.store });
    await acked(last);
    server.publish(makeSnapshot(last + 1, configWith([makeRoute(svc, { paths: ['/next'] })])));
    await acked(last + 1);
    expect(client.received).toMatchObject({ snapshots: 1, deltas: 1 });
    expect(serves(store, '/next')).toBe(true);
    expect(serves(store, '/four')).toBe(false);
  });

  it('sends a data plane still applying while snapshots are published the changes since the one it applied, never the whole config', async () => {
    server.publish(makeSnapshot(1, configWith()));
    // each apply takes a while: the control plane publishes several snapshots meanwhile
    const { store, client } = start({ apply: async (s, st) => { await new Promise((r) => setTimeout(r, 30)); await st.apply(s); } });
    await acked(1);
    const added: Route[] = [];
    for (let v = 2; v <= 9; v++) {
      added.push(makeRoute(svc, { name: `burst-${v}`, paths: [`/burst-${v}`] }));
      server.publish(makeSnapshot(v, configWith([...added])));
      await new Promise((r) => setTimeout(r, 5));
    }
    await acked(9);
    // fewer messages than snapshots (the newest wins), each a delta from the config the data plane served
    expect(client.received.snapshots).toBe(1);
    expect(client.received.deltas).toBeGreaterThan(0);
    expect(client.received.deltas).toBeLessThan(8);
    for (let v = 2; v <= 9; v++) expect(serves(store, `/burst-${v}`)).toBe(true);
    expect(store.current()?.hash).toBe(server.latest()?.hash);
  });

  it('NACKs a delta whose base is not the config served, and applies the whole snapshot that follows', async () => {
    const v1 = makeSnapshot(1, configWith());
    server.publish(v1);
    const { store, client } = start();
    await acked(1);
    server.publish(makeSnapshot(2, configWith([makeRoute(svc, { paths: ['/two'] })])));
    await acked(2);
    // the data plane's config changes behind the stream's back (the control plane still believes it serves 2)
    const old = makeSnapshot(1, { ...configWith(), routes: routes.slice(0, 5) });
    await store.apply(old);
    server.publish(makeSnapshot(3, configWith([makeRoute(svc, { paths: ['/three'] })])));
    await acked(3);
    expect(record()?.last_error?.message).toMatch(/its base \(version 2, .*\) is not the config this data plane serves: version 1/);
    expect(client.received).toMatchObject({ deltas: 2, snapshots: 2 });
    expect(serves(store, '/three')).toBe(true);
    expect(serves(store, '/r10')).toBe(true);
  });

  it('NACKs a delta apply() rejects after its check, and the whole snapshot of that version follows', async () => {
    server.publish(makeSnapshot(1, configWith()));
    let failOnce = true;
    const { store, client } = start({
      apply: async (s, st) => {
        if (s.version === 2 && failOnce) {
          failOnce = false;
          throw new Error('balancer: no DNS answer');
        }
        await st.apply(s);
      },
    });
    await acked(1);
    server.publish(makeSnapshot(2, configWith([makeRoute(svc, { paths: ['/two'] })])));
    await acked(2);
    expect(record()?.last_error?.message).toBe('balancer: no DNS answer');
    expect(client.received).toMatchObject({ deltas: 1, snapshots: 2 });
    expect(serves(store, '/two')).toBe(true);
  });
});
