// A data plane with two proxy workers (ARCHWAY_WORKERS=2) from the build, fed by a sync server in the
// test: one sync connection serves both workers, a snapshot is ACKed once both applied it, a killed
// worker is replaced and serves the current config. (Rejections by some workers: workers.spec.ts.)
import { emptyConfig, makeSnapshot, routeSchema, serviceSchema, validateEntity, type Route, type Service } from '@archway/schema';
import { silentLogger } from '@archway/telemetry';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SyncServer } from '../../apps/control-plane/src/clustering/sync-server';
import { eventually, freePort, role, type RoleProcess } from '../support/processes';
import { startEchoUpstream, type Upstream } from '../support/upstream';

jest.setTimeout(120_000);

let server: SyncServer;
let upstream: Upstream;
let dp: RoleProcess;
let proxy: string;
let status: string;
let prefix: string;

function config(paths: string[]) {
  const service = validateEntity<Service>(serviceSchema, { name: 'echo', url: `http://127.0.0.1:${upstream.port}` }, 'create');
  const routes = paths.map((p) => validateEntity<Route>(routeSchema, { paths: [p], service: { id: service.id } }, 'create'));
  return { ...emptyConfig(), services: [service], routes };
}

const get = (path: string) => fetch(proxy + path, { headers: { connection: 'close' } }).then((r) => r.status);
const record = () => server.dataPlanes()[0];
/** pids of the workers that logged they listen */
const workerPids = () => dp.log.filter((l) => l.includes('"worker listening"')).map((l) => JSON.parse(l).pid as number);

beforeAll(async () => {
  upstream = await startEchoUpstream();
  server = new SyncServer({ logger: silentLogger, softwareVersion: 'test' });
  const clusterPort = await server.listen('127.0.0.1', 0);
  const [proxyPort, statusPort] = [await freePort(), await freePort()];
  proxy = `http://127.0.0.1:${proxyPort}`;
  status = `http://127.0.0.1:${statusPort}`;
  prefix = mkdtempSync(join(tmpdir(), 'archway-e2e-workers-'));
  dp = role('dp', 'data-plane', {
    ARCHWAY_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
    ARCHWAY_PROXY_SSL_LISTEN: '127.0.0.1:0',
    ARCHWAY_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
    ARCHWAY_CLUSTER_CONTROL_PLANE: `127.0.0.1:${clusterPort}`,
    ARCHWAY_PREFIX: prefix,
    ARCHWAY_WORKERS: '2',
    ARCHWAY_LOG_LEVEL: 'debug',
  }).start();
});

afterAll(async () => {
  await dp?.stop();
  await server?.close();
  await upstream?.close();
  rmSync(prefix, { recursive: true, force: true });
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
