// Incremental snapshot builds (the rows written since the last build, from the config history) publish
// exactly what a full build gives: same entities in the same order, same hash, whatever the Admin API
// wrote, however the writes interleave, and whichever control plane took them.
import { loadSettings } from '@archway/config';
import { pluginSchema } from '@archway/plugins';
import { CONFIG_COLLECTIONS, ENTITY_SCHEMAS, EntityDigests, configHash, diffConfigs, validateConfig, type Snapshot, type SnapshotChanges } from '@archway/schema';
import { createConfigSyncClient, snapshotFromProto, type SyncResponse__Output } from '@archway/sync';
import { silentLogger } from '@archway/telemetry';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane } from '../main';
import { openDatabase, type Database } from '../store/database';
import { EntityStore } from '../store/entity-store';
import { tableSpec } from '../store/table-spec';
import { useAdminHarness } from '../testing/admin-harness';
import { selfSigned } from '../testing/self-signed';
import { SnapshotBuilder, buildSnapshot, type BuiltSnapshot } from './build-snapshot';

jest.setTimeout(180_000);

const { call, harness } = useAdminHarness();

/** A second view of the control plane's database, as another control-plane process has it. */
let db: Database;
let store: EntityStore;

beforeAll(async () => {
  db = await openDatabase({ databaseUrl: harness().dbUrl, prefix: tmpdir() }, silentLogger, { migrate: false });
  store = new EntityStore(db.ds, new Map(ENTITY_SCHEMAS.map((s) => [s.name, tableSpec(s)])));
});
afterAll(() => db?.close());

/** The last snapshot expectSameAsFull saw each builder build. */
const lastSeen = new WeakMap<SnapshotBuilder, BuiltSnapshot>();

/**
 * `builder`'s next build, which must be incremental and equal a full build of the same database; when
 * it was built from the build seen before, its changes must be what comparing the two configs gives
 * (the sync server sends them as the delta).
 */
async function expectSameAsFull(builder: SnapshotBuilder): Promise<BuiltSnapshot> {
  const inc = await builder.build();
  const full = await buildSnapshot(store);
  expect(builder.lastBuild.mode).not.toBe('full');
  expect(inc.version).toBe(full.version);
  expect(inc.config).toEqual(full.config);
  expect(inc.hash).toBe(full.hash);
  const prev = lastSeen.get(builder);
  if (prev && inc.changes && inc.changes.from.version === prev.version) {
    expect(inc.changes.from.hash).toBe(prev.hash);
    const diff = diffConfigs(prev.config, inc.config, new EntityDigests());
    expect(idsOf(inc.changes)).toEqual(idsOf({ ...diff, from: inc.changes.from }));
  }
  lastSeen.set(builder, inc);
  return inc;
}

/** The ids changes upsert and remove, by collection (sorted; collections without any left out). */
function idsOf(changes: SnapshotChanges): { upserted: Record<string, string[]>; removed: Record<string, string[]> } {
  const out = { upserted: {} as Record<string, string[]>, removed: {} as Record<string, string[]> };
  for (const kind of CONFIG_COLLECTIONS) {
    const up = changes.upserted[kind].map((e) => e.id).sort();
    if (up.length) out.upserted[kind] = up;
    const gone = [...changes.removed[kind]].sort();
    if (gone.length) out.removed[kind] = gone;
  }
  return out;
}

/** Deterministic pseudo-random numbers (mulberry32), so a failing sequence can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Kind = 'services' | 'routes' | 'consumers' | 'key-auths' | 'basic-auths' | 'jwts' | 'acls' | 'plugins' | 'upstreams' | 'targets' | 'certificates' | 'snis' | 'ca_certificates';
const KINDS: Kind[] = ['services', 'routes', 'consumers', 'key-auths', 'basic-auths', 'jwts', 'acls', 'plugins', 'upstreams', 'targets', 'certificates', 'snis', 'ca_certificates'];

/** Random Admin API writes of every kind of entity: creates, updates and deletes (some refused: that is fine). */
function writer(seed: number) {
  const rnd = random(seed);
  const ids = new Map<Kind, string[]>(KINDS.map((k) => [k, []]));
  const pick = (k: Kind): string | undefined => {
    const list = ids.get(k) as string[];
    return list.length ? list[Math.floor(rnd() * list.length)] : undefined;
  };
  const leaf = selfSigned(false);
  const cas = [selfSigned(true, 'ca-1.test'), selfSigned(true, 'ca-2.test')];
  let n = 0;
  const ref = (k: Kind) => {
    const id = pick(k);
    return id ? { id } : undefined;
  };

  function createBody(kind: Kind): [string, object] | null {
    const i = ++n;
    switch (kind) {
      case 'services':
        return ['/services', { name: `s${i}`, url: `http://h${i}.internal`, ...(rnd() < 0.3 && pick('ca_certificates') ? { ca_certificates: [pick('ca_certificates')] } : {}) }];
      case 'routes':
        return ['/routes', { name: `r${i}`, paths: [`/p${i}`], service: ref('services') ?? null }];
      case 'consumers':
        return ['/consumers', { username: `u${i}` }];
      case 'key-auths':
      case 'basic-auths':
      case 'jwts':
      case 'acls': {
        const c = pick('consumers');
        if (!c) return null;
        const segment = { 'key-auths': 'key-auth', 'basic-auths': 'basic-auth', jwts: 'jwt', acls: 'acls' }[kind];
        const body = { 'key-auths': { key: `k${i % 40}` }, 'basic-auths': { username: `b${i}`, password: 'pw' }, jwts: { key: `j${i}` }, acls: { group: `g${i % 3}` } }[kind];
        return [`/consumers/${c}/${segment}`, body];
      }
      case 'plugins': {
        const scope = Math.floor(rnd() * 4);
        const on = scope === 1 ? { route: ref('routes') } : scope === 2 ? { service: ref('services') } : scope === 3 ? { consumer: ref('consumers') } : {};
        const name = ['rate-limiting', 'key-auth', 'acl'][Math.floor(rnd() * 3)];
        const config = name === 'rate-limiting' ? { minute: i } : name === 'acl' ? { allow: [`g${i % 3}`] } : {};
        return ['/plugins', { name, config, ...on }];
      }
      case 'upstreams':
        return ['/upstreams', { name: `up${i}.internal` }];
      case 'targets': {
        const u = pick('upstreams');
        return u ? [`/upstreams/${u}/targets`, { target: `10.0.${i % 3}.1:80`, weight: i % 100 }] : null;
      }
      case 'certificates':
        return ['/certificates', { cert: leaf.cert, key: leaf.key }];
      case 'snis': {
        const c = pick('certificates');
        return c ? ['/snis', { name: `n${i % 30}.example.test`, certificate: { id: c } }] : null;
      }
      case 'ca_certificates':
        return ['/ca_certificates', { cert: cas[i % 2].cert }];
    }
  }

  function patchBody(kind: Kind): object {
    const i = ++n;
    switch (kind) {
      case 'services':
        return rnd() < 0.5 ? { retries: i % 10 } : { ca_certificates: pick('ca_certificates') ? [pick('ca_certificates')] : null };
      case 'routes':
        return rnd() < 0.5 ? { paths: [`/q${i}`] } : { service: ref('services') ?? null };
      case 'consumers':
        return { custom_id: `c${i % 20}` };
      case 'key-auths':
        return { key: `k${i % 40}` };
      case 'acls':
        return { group: `g${i % 3}` };
      case 'plugins':
        return { enabled: rnd() < 0.5 };
      case 'upstreams':
        return { slots: 100 + i };
      case 'targets':
        return { weight: i % 100 };
      case 'snis':
        return { name: `n${i % 30}.example.test` };
      default:
        return { tags: [`t${i}`] };
    }
  }

  return async function step(): Promise<string> {
    const kind = KINDS[Math.floor(rnd() * KINDS.length)];
    const op = rnd();
    const id = pick(kind);
    if (op < 0.45 || !id) {
      const req = createBody(kind);
      if (!req) return `skip ${kind}`;
      const res = await call('POST', req[0], req[1]);
      if (res.status === 201) (ids.get(kind) as string[]).push(res.body.id);
      return `POST ${req[0]} ${res.status}`;
    }
    if (op < 0.8) {
      const res = await call('PATCH', `/${kind}/${id}`, patchBody(kind));
      return `PATCH ${kind} ${res.status}`;
    }
    const res = await call('DELETE', `/${kind}/${id}`);
    if (res.status === 204) ids.set(kind, (ids.get(kind) as string[]).filter((x) => x !== id));
    return `DELETE ${kind} ${res.status}`;
  };
}

describe('incremental snapshot builds', () => {
  it('equal a full build after each of a random sequence of writes of every kind of entity', async () => {
    const builder = new SnapshotBuilder(store);
    await builder.build();
    const step = writer(6);
    const statuses = new Map<string, number>();
    for (let i = 0; i < 400; i++) {
      const what = await step();
      statuses.set(what, (statuses.get(what) ?? 0) + 1);
      await expectSameAsFull(builder);
    }
    if (process.env.DEBUG_SPEC) console.log(statuses);
    // the sequence did create, update and delete every kind
    for (const kind of KINDS) {
      expect([kind, [...statuses.keys()].some((s) => s === `PATCH ${kind} 200`)]).toEqual([kind, true]);
      expect([kind, [...statuses.keys()].some((s) => s === `DELETE ${kind} 204`)]).toEqual([kind, true]);
    }
  });

  it('equal a full build after a rollback, which changes many entities in one version', async () => {
    const builder = new SnapshotBuilder(store);
    const from = (await builder.build()).version;
    const step = writer(7);
    for (let i = 0; i < 20; i++) await step();
    const res = await call('POST', `/config/rollback/${from}`);
    expect(res.status).toBe(201);
    const s = await expectSameAsFull(builder);
    expect(s.changes?.from.version).toBe(from);
  });

  it('equal a full build when writes run concurrently with each other and with builds', async () => {
    const builder = new SnapshotBuilder(store);
    await builder.build();
    const steps = [writer(11), writer(12), writer(13)];
    let writing = true;
    const built: Snapshot[] = [];
    const building = (async () => {
      while (writing) built.push(await builder.build());
    })();
    await Promise.all(steps.map(async (step) => {
      for (let i = 0; i < 40; i++) await step();
    }));
    writing = false;
    await building;
    await expectSameAsFull(builder);
    // every snapshot built on the way is a whole config with its own hash
    for (const s of built.slice(-20)) {
      expect(validateConfig(s.config, pluginSchema)).toEqual(s.config);
      expect(configHash(s.config)).toBe(s.hash);
    }
  });

  it('tells which entities changed since the build before', async () => {
    const builder = new SnapshotBuilder(store);
    const before = await builder.build();
    const svc = (await call('POST', '/services', { name: 'changes-svc', url: 'http://c.internal' })).body;
    const route = (await call('POST', '/services/changes-svc/routes', { paths: ['/changes'] })).body;
    const s1 = await expectSameAsFull(builder);
    expect(s1.changes?.from).toEqual({ version: before.version, hash: before.hash });
    expect(idsOf(s1.changes as SnapshotChanges)).toEqual({ upserted: { services: [svc.id], routes: [route.id] }, removed: {} });
    await call('DELETE', `/routes/${route.id}`);
    const s2 = await expectSameAsFull(builder);
    expect(s2.changes?.from).toEqual({ version: s1.version, hash: s1.hash });
    expect(idsOf(s2.changes as SnapshotChanges)).toEqual({ upserted: {}, removed: { routes: [route.id] } });
    // collections no change touched are the previous snapshot's own arrays
    expect(s2.config.consumers).toBe(s1.config.consumers);
  });

  it('builds from every row when the history no longer holds the changes since the last build', async () => {
    const builder = new SnapshotBuilder(store);
    await builder.build();
    await call('POST', '/consumers', { username: 'pruned-1' });
    // as history pruning with a retention of 0 leaves it
    await db.ds.query('DELETE FROM config_changes');
    await db.ds.query('UPDATE config_version SET history_from = version');
    await call('POST', '/consumers', { username: 'pruned-2' });
    const s = await builder.build();
    expect(builder.lastBuild).toMatchObject({ mode: 'full', reason: expect.stringMatching(/history/) });
    expect(s.hash).toBe((await buildSnapshot(store)).hash);
    expect(s.config.consumers.map((c) => c.username)).toEqual(expect.arrayContaining(['pruned-1', 'pruned-2']));
    await expectSameAsFull(builder);
  });

  it('fails as a full build fails, naming the problem, when a change leaves a reference dangling', async () => {
    const builder = new SnapshotBuilder(store);
    await builder.build();
    const route = (await call('POST', '/routes', { name: 'dangling', paths: ['/dangling'] })).body;
    await expectSameAsFull(builder);
    // a write around the Admin API's checks, recorded as a version like any other
    const ghost = '00000000-0000-4000-8000-0000000000aa';
    await db.ds.transaction(async (em) => {
      await em.query(`UPDATE routes SET data = jsonb_set(data, '{service}', $2::jsonb) WHERE id = $1`, [route.id, JSON.stringify({ id: ghost })]);
      const [[{ version }]] = (await em.query('UPDATE config_version SET version = version + 1 WHERE id = 1 RETURNING version')) as [{ version: string }[], number];
      await em.query(`INSERT INTO config_changes (version, entity, entity_id, op) VALUES ($1, 'routes', $2, 'update')`, [version, route.id]);
    });
    const message = new RegExp(`routes ${route.id}: service ${ghost} does not exist`);
    await expect(buildSnapshot(store)).rejects.toThrow(message);
    await expect(builder.build()).rejects.toThrow(message);
    await call('DELETE', `/routes/${route.id}`);
    expect((await builder.build()).config.routes.some((r) => r.id === route.id)).toBe(false);
    expect(builder.lastBuild.mode).toBe('full');
  });
});

/** Connects as a data plane and ACKs every snapshot until one satisfies `done`. */
async function receiveUntil(port: number, done: (s: Snapshot) => boolean): Promise<Snapshot> {
  const client = createConfigSyncClient(`127.0.0.1:${port}`);
  const stream = client.StreamConfig();
  try {
    return await new Promise<Snapshot>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no such snapshot within 20 s')), 20_000);
      stream.on('error', reject);
      stream.on('data', (r: SyncResponse__Output) => {
        const s = snapshotFromProto(r.snapshot as NonNullable<typeof r.snapshot>);
        stream.write({ version_info: r.version_info, response_nonce: r.nonce, config_hash: s.hash });
        if (!done(s)) return;
        clearTimeout(timer);
        resolve(s);
      });
      stream.write({ node: { id: 'dp-incremental', hostname: 'spec', zone: 'a', software_version: '0.1.0' }, version_info: '', config_hash: '' });
    });
  } finally {
    stream.cancel();
    client.close();
  }
}

describe('two control planes on one database', () => {
  it('each publishes the writes the other took, as a full build would build them', async () => {
    const prefix = mkdtempSync(join(tmpdir(), 'archway-cp2-'));
    const other = await startControlPlane(
      loadSettings('control-plane', {
        ARCHWAY_DATABASE_URL: harness().dbUrl,
        ARCHWAY_ADMIN_LISTEN: '127.0.0.1:0',
        ARCHWAY_CLUSTER_LISTEN: '127.0.0.1:0',
        ARCHWAY_PREFIX: prefix,
      }),
      silentLogger,
    );
    try {
      const step = writer(21);
      for (let i = 0; i < 15; i++) await step();
      const svc = (await call('POST', '/services', { name: 'seen-by-the-other', url: 'http://o.internal' })).body;
      const s = await receiveUntil(other.clusterPort, (snap) => snap.config.services.some((x) => x.id === svc.id));
      const full = await buildSnapshot(store);
      expect(s.version).toBe(full.version);
      expect(s.hash).toBe(full.hash);
    } finally {
      await other.close();
      rmSync(prefix, { recursive: true, force: true });
    }
  });
});
