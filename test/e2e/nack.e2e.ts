// A data-plane process fed by a control plane's sync server (run in this test process, so the test can
// publish a snapshot the real control plane would never build): a corrupted snapshot is NACKed, the
// NACK is recorded, and the data plane keeps serving its last good config.
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
let prefix: string;

function config(upstreamPort: number, paths: string[]) {
  const service = validateEntity<Service>(serviceSchema, { name: 'echo', url: `http://127.0.0.1:${upstreamPort}` }, 'create');
  const routes = paths.map((p) => validateEntity<Route>(routeSchema, { paths: [p], service: { id: service.id } }, 'create'));
  return { ...emptyConfig(), services: [service], routes };
}

beforeAll(async () => {
  upstream = await startEchoUpstream();
  server = new SyncServer({ logger: silentLogger, softwareVersion: 'test' });
  const clusterPort = await server.listen('127.0.0.1', 0);
  const proxyPort = await freePort();
  proxy = `http://127.0.0.1:${proxyPort}`;
  prefix = mkdtempSync(join(tmpdir(), 'archway-e2e-nack-'));
  dp = role('dp', 'data-plane', {
    ARCHWAY_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
    ARCHWAY_PROXY_SSL_LISTEN: '127.0.0.1:0',
    ARCHWAY_STATUS_LISTEN: `127.0.0.1:${await freePort()}`,
    ARCHWAY_CLUSTER_CONTROL_PLANE: `127.0.0.1:${clusterPort}`,
    ARCHWAY_PREFIX: prefix,
  }).start();
});

afterAll(async () => {
  await dp?.stop();
  await server?.close();
  await upstream?.close();
  rmSync(prefix, { recursive: true, force: true });
});

const status = (path: string) => fetch(proxy + path).then((r) => r.status);
const record = () => server.dataPlanes()[0];

it('NACKs a snapshot whose hash does not match its content, records why, and keeps serving the old config', async () => {
  server.publish(makeSnapshot(1, config(upstream.port, ['/good'])));
  await eventually('the data plane to serve /good', async () => (await status('/good')) === 200, 30_000, [dp]);
  await eventually('the ACK of version 1', async () => record()?.config_version === 1, 10_000, [dp]);

  const tampered = { ...makeSnapshot(2, config(upstream.port, ['/new'])), hash: 'f'.repeat(64) };
  server.publish(tampered);
  const nacked = await eventually('the NACK of version 2', async () => (record()?.last_error ? record() : null), 10_000, [dp]);
  expect(nacked.last_error?.message).toMatch(/hash mismatch/);
  expect(nacked.last_error?.config_version).toBe(2);
  expect(nacked.config_version).toBe(1);
  expect(nacked.sync_status).toBe('config_nack');
  expect(await status('/good')).toBe(200);
  expect(await status('/new')).toBe(404);

  server.publish(makeSnapshot(3, config(upstream.port, ['/fixed'])));
  await eventually('the data plane to apply version 3', async () => (await status('/fixed')) === 200, 10_000, [dp]);
  await eventually('the ACK of version 3', async () => record()?.config_version === 3 && record()?.sync_status === 'normal', 10_000, [dp]);
});
