// A control plane on Postgres and a data plane, real processes over loopback: after the first whole
// snapshot, each Admin API write reaches the data plane as a delta (counted on its /metrics by kind and
// bytes), which it serves; restarted from its disk cache with the control plane gone, it serves the
// config of the last delta it applied, and once the control plane is back the next write comes as a
// delta against that cached config.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { adminClient, type AdminCall } from '../../apps/control-plane/src/testing/admin-client';
import { createTestDatabase, type TestDatabase } from '../../apps/control-plane/src/testing/test-database';
import { eventually, freePort, role, scratchDirs, type RoleProcess } from '../support/processes';
import { startEchoUpstream, type Upstream } from '../support/upstream';

jest.setTimeout(180_000);

let db: TestDatabase;
let upstream: Upstream;
let cp: RoleProcess;
let dp: RoleProcess;
let wholeDp: RoleProcess | undefined;
let cpEnv: Record<string, string>;
let dpEnv: Record<string, string>;
let admin: string;
let proxy: string;
let status: string;
let adminCall: AdminCall;
const scratch = scratchDirs();
const all = () => [cp, dp, ...(wholeDp ? [wholeDp] : [])];

const statusOf = async (path: string) => (await fetch(proxy + path, { headers: { connection: 'close' } })).status;
const serves = (path: string, code = 200) => eventually(`the data plane to answer ${path} with ${code}`, async () => (await statusOf(path)) === code, 20_000, all());

/** archway_sync_messages_total / archway_sync_received_bytes_total / archway_config_apply_ms_count by kind, and the NACKs, from a data plane's /metrics. */
async function received(statusUrl = status): Promise<{ snapshot: number; delta: number; snapshotBytes: number; deltaBytes: number; deltaApplies: number; nacks: number }> {
  const text = await (await fetch(statusUrl + '/metrics')).text();
  const value = (name: string, kind: string) => Number(new RegExp(`^${name}\\{kind="${kind}"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  return {
    snapshot: value('archway_sync_messages_total', 'snapshot'),
    delta: value('archway_sync_messages_total', 'delta'),
    snapshotBytes: value('archway_sync_received_bytes_total', 'snapshot'),
    deltaBytes: value('archway_sync_received_bytes_total', 'delta'),
    deltaApplies: value('archway_config_apply_ms_count', 'delta'),
    nacks: Number(/^archway_config_applies_total\{result="nack"\} (\S+)$/m.exec(text)?.[1] ?? NaN),
  };
}

beforeAll(async () => {
  db = await createTestDatabase();
  upstream = await startEchoUpstream();
  const [adminPort, clusterPort, proxyPort, statusPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  admin = `http://127.0.0.1:${adminPort}`;
  adminCall = adminClient(admin);
  cpEnv = {
    ARCHWAY_DATABASE_URL: db.url,
    ARCHWAY_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
    ARCHWAY_CLUSTER_LISTEN: `127.0.0.1:${clusterPort}`,
    ARCHWAY_PREFIX: scratch.make('cp'),
  };
  cp = role('control-plane', 'control-plane', cpEnv).start();
  await eventually('the Admin API', async () => (await fetch(`${admin}/`)).ok, 60_000, [cp]);
  dpEnv = {
    ARCHWAY_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
    ARCHWAY_PROXY_SSL_LISTEN: '127.0.0.1:0',
    ARCHWAY_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
    ARCHWAY_CLUSTER_CONTROL_PLANE: `127.0.0.1:${clusterPort}`,
    ARCHWAY_PREFIX: scratch.make('dp'),
  };
  proxy = `http://127.0.0.1:${proxyPort}`;
  status = `http://127.0.0.1:${statusPort}`;
  dp = role('dp', 'data-plane', dpEnv).start();
  await eventually('the data plane ready', async () => (await fetch(status + '/status/ready')).status === 200, 30_000, all());
});

afterAll(async () => {
  await Promise.all(all().map((p) => p?.stop()));
  await upstream?.close();
  await db?.drop();
  scratch.removeAll();
});

describe('deltas from a control plane on Postgres', () => {
  it('sends the first config whole, then each one-route write as a delta that the data plane serves', async () => {
    expect((await adminCall('POST', '/services', `name=echo&url=http://127.0.0.1:${upstream.port}`)).status).toBe(201);
    for (let i = 0; i < 30; i++) expect((await adminCall('POST', '/services/echo/routes', `name=base-${i}&paths[]=/base-${i}/`)).status).toBe(201);
    // (a trailing slash: Kong's prefix match would let /base-2 answer /base-29 before base-29 arrived)
    await serves('/base-29/');
    const before = await received();
    expect(before.snapshot).toBeGreaterThanOrEqual(1);
    expect((await adminCall('POST', '/services/echo/routes', 'name=one&paths[]=/one')).status).toBe(201);
    await serves('/one');
    // counted when it arrives, its apply time observed once ACKed: every delta received was applied
    const after = await eventually('the delta counted and applied', async () => {
      const r = await received();
      return r.delta > before.delta && r.deltaApplies === r.delta ? r : null;
    }, 10_000, all());
    expect(after.snapshot).toBe(before.snapshot);
    // one route and the response's own fields: a few hundred bytes, where the whole config (a service and 31 routes) is over 6 KB
    expect(after.deltaBytes - before.deltaBytes).toBeLessThan(1000);
    expect((await adminCall('PATCH', '/routes/one', 'paths[]=/one-moved')).status).toBe(200);
    await serves('/one-moved');
    await serves('/one', 404);
    expect((await adminCall('DELETE', '/routes/base-0')).status).toBe(204);
    await serves('/base-0/', 404);
    expect((await received()).snapshot).toBe(before.snapshot);
    expect(await statusOf('/base-1/')).toBe(200);
  });

  it('authenticates with key-auth after consumer and key writes, applied as deltas: a new key, a rotated one, a deleted consumer, an acl group given and taken', async () => {
    /** the status, and the consumer the upstream was told of, for a request to /keyed with `key` */
    const asKey = async (key: string) => {
      const res = await fetch(proxy + '/keyed', { headers: { connection: 'close', apikey: key } });
      const body = res.status === 200 ? ((await res.json()) as { headers: Record<string, string> }) : null;
      return `${res.status} ${body?.headers['x-consumer-username'] ?? ''}`.trim();
    };
    const answers = (key: string, expected: string) =>
      eventually(`key ${key} to get ${expected}`, async () => (await asKey(key)) === expected, 20_000, all());
    const before = await received();
    expect((await adminCall('POST', '/services/echo/routes', 'name=keyed&paths[]=/keyed')).status).toBe(201);
    expect((await adminCall('POST', '/routes/keyed/plugins', 'name=key-auth')).status).toBe(201);
    for (let i = 0; i < 20; i++) {
      expect((await adminCall('POST', '/consumers', `username=user-${i}`)).status).toBe(201);
      expect((await adminCall('POST', `/consumers/user-${i}/key-auth`, `key=key-${i}`)).status).toBe(201);
    }
    await answers('key-19', '200 user-19');
    expect(await asKey('key-3')).toBe('200 user-3');
    expect(await asKey('nobody')).toBe('401');
    const key3 = (await adminCall('GET', '/consumers/user-3/key-auth')).body as { data: { id: string }[] };
    expect((await adminCall('PATCH', `/consumers/user-3/key-auth/${key3.data[0].id}`, 'key=rotated')).status).toBe(200);
    await answers('rotated', '200 user-3');
    expect(await asKey('key-3')).toBe('401');
    expect((await adminCall('PATCH', '/consumers/user-4', 'username=renamed')).status).toBe(200);
    await answers('key-4', '200 renamed');
    // a deleted consumer's credentials go with it (Kong's cascade)
    expect((await adminCall('DELETE', '/consumers/user-5')).status).toBe(204);
    await answers('key-5', '401');
    expect(await asKey('key-6')).toBe('200 user-6');
    // acl groups given and taken by deltas: a route for group gold only
    expect((await adminCall('POST', '/services/echo/routes', 'name=gold&paths[]=/gold')).status).toBe(201);
    expect((await adminCall('POST', '/routes/gold/plugins', 'name=key-auth')).status).toBe(201);
    expect((await adminCall('POST', '/routes/gold/plugins', 'name=acl&config.allow[]=gold')).status).toBe(201);
    const gold = async (key: string) => (await fetch(proxy + '/gold', { headers: { connection: 'close', apikey: key } })).status;
    await eventually('the gold route', async () => (await gold('key-6')) === 403, 20_000, all());
    const acl = await adminCall('POST', '/consumers/user-6/acls', 'group=gold');
    expect(acl.status).toBe(201);
    await eventually('user-6 in group gold', async () => (await gold('key-6')) === 200, 20_000, all());
    expect(await gold('key-8')).toBe(403);
    expect((await adminCall('DELETE', `/consumers/user-6/acls/${(acl.body as { id: string }).id}`)).status).toBe(204);
    await eventually('user-6 out of group gold', async () => (await gold('key-6')) === 403, 20_000, all());
    // deltas all along, none refused (a whole snapshot may come when the data plane was still applying
    // the write before: the control plane then sends only the newest config, not a delta from a version
    // the data plane does not serve)
    const after = await received();
    expect(after.delta).toBeGreaterThan(before.delta + 10);
    expect(after.nacks).toBe(0);
    expect(dp.log.filter((l) => l.includes('configuration rejected'))).toEqual([]);
  });

  it('sends every change whole to a data plane with ARCHWAY_CLUSTER_INCREMENTAL_SYNC=off, which serves it', async () => {
    const [proxyPort, statusPort] = [await freePort(), await freePort()];
    const wholeProxy = `http://127.0.0.1:${proxyPort}`;
    const wholeStatus = `http://127.0.0.1:${statusPort}`;
    wholeDp = role('dp-whole', 'data-plane', {
      ...dpEnv,
      ARCHWAY_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
      ARCHWAY_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
      ARCHWAY_PREFIX: scratch.make('dp-whole'),
      ARCHWAY_CLUSTER_INCREMENTAL_SYNC: 'off',
    }).start();
    const answers = (path: string, code: number) =>
      eventually(`the whole-snapshot data plane to answer ${path} with ${code}`, async () => (await fetch(wholeProxy + path, { headers: { connection: 'close' } })).status === code, 20_000, all());
    await answers('/base-1/', 200);
    const before = await received(wholeStatus);
    expect((await adminCall('POST', '/services/echo/routes', 'name=whole&paths[]=/whole')).status).toBe(201);
    await answers('/whole', 200);
    const after = await eventually('the snapshot counted', async () => {
      const r = await received(wholeStatus);
      return r.snapshot > before.snapshot ? r : null;
    }, 10_000, all());
    expect(after.delta).toBe(0);
    // the whole config again (a service and 31 routes: over 4 KB), where a delta is a few hundred bytes
    expect(after.snapshotBytes - before.snapshotBytes).toBeGreaterThan(4000);
    // the other data plane got the same write as a delta
    expect((await received()).delta).toBeGreaterThan(0);
    await wholeDp.stop();
    wholeDp = undefined;
  });

  it('restarted from its disk cache with the control plane gone, serves the config of the last delta', async () => {
    const cacheDir = join(dpEnv.ARCHWAY_PREFIX, 'dp-cache');
    // the cache holds the config so far (written a second after an apply, coalesced) before the last write
    await eventually('the disk cache', async () => (await readdir(cacheDir).catch((): string[] => [])).includes('snapshot.json'), 20_000, all());
    expect((await adminCall('POST', '/services/echo/routes', 'name=last&paths[]=/last')).status).toBe(201);
    await serves('/last');
    await cp.stop();
    await dp.stop();
    // the deltas were cached as lines of changes beside the whole snapshot, not as whole snapshots
    const journal = await readFile(join(cacheDir, 'snapshot.json.deltas'), 'utf8');
    expect(journal.split('\n').filter(Boolean).length).toBeGreaterThan(0);
    dp = role('dp', 'data-plane', dpEnv).start();
    await serves('/last');
    await serves('/one-moved');
    await serves('/base-0/', 404);
    const dpStatus = (await (await fetch(status + '/status')).json()) as { control_plane: { state: string } };
    expect(dpStatus.control_plane.state).not.toBe('connected');
  });

  it('gets the first write once the control plane is back as a delta against the config from its disk cache', async () => {
    cp = role('control-plane', 'control-plane', cpEnv).start();
    await eventually('the Admin API', async () => (await fetch(`${admin}/`)).ok, 60_000, all());
    // the control plane's config is the cached one (same version and hash): nothing is sent on connecting
    await eventually('the data plane back on the control plane', async () => {
      const dpStatus = (await (await fetch(status + '/status')).json()) as { control_plane: { state: string } };
      return dpStatus.control_plane.state === 'connected';
    }, 30_000, all());
    expect((await adminCall('POST', '/services/echo/routes', 'name=back&paths[]=/back')).status).toBe(201);
    await serves('/back');
    const after = await eventually('the delta counted', async () => {
      const r = await received();
      return r.delta > 0 ? r : null;
    }, 10_000, all());
    expect(after).toMatchObject({ snapshot: 0, delta: 1, nacks: 0 });
    await serves('/last');
  });
});
