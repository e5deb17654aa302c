// A data plane with two proxy workers (ARCHWAY_WORKERS=2) from the build, fed by a sync server in the
// test: one sync connection serves both workers, a snapshot is ACKed once both applied it, a killed
// worker is replaced and serves the current config, a small change reaches the workers as a delta
// (key-auth's keys too: both workers update their lookups from it).
// (Rejections by some workers: workers.spec.ts.)
import { pluginSchema } from '@archway/plugins';
import { consumerSchema, keyAuthSchema, makeSnapshot, routeSchema, validateEntity, validatePlugin, type Consumer, type KeyAuthCredential, type Route } from '@archway/schema';
import type { SyncServer } from '../../apps/control-plane/src/clustering/sync-server';
import { eventually, type RoleProcess } from '../support/processes';
import { serviceConfig, startSyncedDataPlane, type SyncedDataPlane } from '../support/synced-data-plane';
import { startEchoUpstream, type Upstream } from '../support/upstream';

jest.setTimeout(120_000);

let plane: SyncedDataPlane;
let server: SyncServer;
let upstream: Upstream;
let dp: RoleProcess;
let proxy: string;
let status: string;

const config = (paths: string[]) => serviceConfig({ name: 'echo', url: `http://127.0.0.1:${upstream.port}` }, paths.map((p) => ({ paths: [p] })));

const get = (path: string) => fetch(proxy + path, { headers: { connection: 'close' } }).then((r) => r.status);
const record = () => server.dataPlanes()[0];
/** pids of the workers that logged they listen */
const workerPids = () => dp.log.filter((l) => l.includes('"worker listening"')).map((l) => JSON.parse(l).pid as number);

beforeAll(async () => {
  upstream = await startEchoUpstream();
  plane = await startSyncedDataPlane('workers', { ARCHWAY_WORKERS: '2', ARCHWAY_LOG_LEVEL: 'debug' });
  ({ server, dp, proxy, status } = plane);
});

afterAll(async () => {
  await plane?.stop();
  await upstream?.close();
});

it('applies a snapshot in both workers over one sync connection and ACKs it', async () => {
  server.publish(makeSnapshot(1, config(['/one'])));
  await eventually('the ACK of version 1', async () => record()?.config_version === 1, 30_000, [dp]);
  expect(server.dataPlanes()).toHaveLength(1);
  expect(workerPids()).toHaveLength(2);
  for (let i = 0; i < 10; i++) expect(await get('/one')).toBe(200);
  const body = (await (await fetch(status + '/status')).json()) as { config_version: number; server: { total_requests: number } };
  expect(body.config_version).toBe(1);
  expect(body.server.total_requests).toBeGreaterThanOrEqual(10);
  expect((await fetch(status + '/status/ready')).status).toBe(200);
});

it('replaces a killed worker, which serves the current config, and ACKs the next snapshot from both', async () => {
  server.publish(makeSnapshot(3, config(['/three'])));
  await eventually('the ACK of version 3', async () => record()?.config_version === 3, 15_000, [dp]);
  const [victim] = workerPids();
  process.kill(victim, 'SIGKILL');
  await eventually('the worker to be replaced', async () => workerPids().length === 3, 15_000, [dp]);
  expect(dp.log.some((l) => l.includes('worker exited; replacing it') && l.includes(String(victim)))).toBe(true);
  for (let i = 0; i < 10; i++) expect(await get('/three')).toBe(200);
  server.publish(makeSnapshot(4, config(['/four'])));
  await eventually('the ACK of version 4', async () => record()?.config_version === 4, 15_000, [dp]);
  for (let i = 0; i < 10; i++) expect(await get('/four')).toBe(200);
  expect((await fetch(status + '/upstreams/none/health')).status).toBe(404);
});

it('passes a one-route change to both workers as a delta, and both serve it', async () => {
  const base = config(Array.from({ length: 30 }, (_, i) => `/many-${i}`));
  server.publish(makeSnapshot(10, base));
  await eventually('the ACK of version 10', async () => record()?.config_version === 10, 15_000, [dp]);
  const added = validateEntity<Route>(routeSchema, { paths: ['/added'], service: { id: base.services[0].id } }, 'create');
  server.publish(makeSnapshot(11, { ...base, routes: [...base.routes, added] }));
  await eventually('the ACK of version 11', async () => record()?.config_version === 11, 15_000, [dp]);
  for (let i = 0; i < 10; i++) expect(await get('/added')).toBe(200);
  expect(await get('/many-29')).toBe(200);
  const received = dp.log.filter((l) => l.includes('configuration received from the primary') && l.includes('"config_version":11')).map((l) => JSON.parse(l));
  expect(received.length).toBeGreaterThanOrEqual(2);
  for (const r of received) expect(r).toMatchObject({ delta: true, entities: 1 });
});

it('passes a rotated key-auth key to both workers as a delta: each refuses the old key and takes the new one', async () => {
  const people = Array.from({ length: 20 }, (_, i) => validateEntity<Consumer>(consumerSchema, { username: `user-${i}` }, 'create'));
  const keys = people.map((c, i) => validateEntity<KeyAuthCredential>(keyAuthSchema, { key: `key-${i}`, consumer: { id: c.id } }, 'create'));
  const base = { ...config(['/keyed']), plugins: [validatePlugin({ name: 'key-auth' }, 'create', pluginSchema)], consumers: people, keyauth_credentials: keys };
  server.publish(makeSnapshot(20, base));
  await eventually('the ACK of version 20', async () => record()?.config_version === 20, 15_000, [dp]);
  const withKey = (key: string) => fetch(proxy + '/keyed', { headers: { connection: 'close', apikey: key } }).then((r) => r.status);
  for (let i = 0; i < 10; i++) expect(await withKey('key-7')).toBe(200);
  server.publish(makeSnapshot(21, { ...base, keyauth_credentials: keys.map((k, i) => (i === 7 ? { ...k, key: 'rotated' } : k)) }));
  await eventually('the ACK of version 21', async () => record()?.config_version === 21, 15_000, [dp]);
  // connections closed after each request: they are spread over both workers
  for (let i = 0; i < 10; i++) expect([await withKey('key-7'), await withKey('rotated'), await withKey('key-8')]).toEqual([401, 200, 200]);
  const received = dp.log.filter((l) => l.includes('configuration received from the primary') && l.includes('"config_version":21')).map((l) => JSON.parse(l));
  expect(received.length).toBeGreaterThanOrEqual(2);
  for (const r of received) expect(r).toMatchObject({ delta: true, entities: 1 });
});
