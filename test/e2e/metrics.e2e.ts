// GET :8100/metrics of a data plane with two proxy workers (ARCHWAY_WORKERS=2) from the build, fed by a
// sync server in the test: one scrape shows the whole data plane (both workers' requests summed, the
// primary's config and sync metrics once), and a killed worker's counts stay in the sums.
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

const get = (path: string) => fetch(proxy + path, { headers: { connection: 'close' } }).then((r) => r.status);
const scrape = async () => {
  const res = await fetch(status + '/metrics');
  expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  return res.text();
};
/** one sample of the exposition, written as it appears (`name{labels}`), or null */
const sample = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? null : Number(line.slice(series.length + 1));
};
const workerPids = () => dp.log.filter((l) => l.includes('"worker listening"')).map((l) => JSON.parse(l).pid as number);
const REQUESTS = 'archway_http_requests_total{service="echo",route="hello",code="200"}';

beforeAll(async () => {
  upstream = await startEchoUpstream();
  server = new SyncServer({ logger: silentLogger, softwareVersion: 'test' });
  const clusterPort = await server.listen('127.0.0.1', 0);
  const [proxyPort, statusPort] = [await freePort(), await freePort()];
  proxy = `http://127.0.0.1:${proxyPort}`;
  status = `http://127.0.0.1:${statusPort}`;
  prefix = mkdtempSync(join(tmpdir(), 'archway-e2e-metrics-'));
  dp = role('dp', 'data-plane', {
    ARCHWAY_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
    ARCHWAY_PROXY_SSL_LISTEN: 'off',
    ARCHWAY_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
    ARCHWAY_CLUSTER_CONTROL_PLANE: `127.0.0.1:${clusterPort}`,
    ARCHWAY_PREFIX: prefix,
    ARCHWAY_NODE_ID: 'dp-metrics',
    ARCHWAY_WORKERS: '2',
    ARCHWAY_LOG_LEVEL: 'debug',
  }).start();
  const service = validateEntity<Service>(serviceSchema, { name: 'echo', url: `http://127.0.0.1:${upstream.port}` }, 'create');
  const route = validateEntity<Route>(routeSchema, { name: 'hello', paths: ['/hello'], service: { id: service.id } }, 'create');
  server.publish(makeSnapshot(1, { ...emptyConfig(), services: [service], routes: [route] }));
  await eventually('the ACK of version 1', async () => server.dataPlanes()[0]?.config_version === 1, 30_000, [dp]);
});

afterAll(async () => {
  await dp?.stop();
  await server?.close();
  await upstream?.close();
  rmSync(prefix, { recursive: true, force: true });
});

it("sums both workers' requests in one scrape and shows the primary's config and sync metrics once", async () => {
  expect(workerPids()).toHaveLength(2);
  // one connection per request: node:cluster hands connections to the workers in turn
  for (let i = 0; i < 20; i++) expect(await get('/hello')).toBe(200);
  const text = await eventually('20 requests counted', async () => {
    const t = await scrape();
    return sample(t, REQUESTS) === 20 ? t : null;
  }, 10_000, [dp]);
  expect(sample(text, 'archway_request_latency_ms_count{service="echo",route="hello"}')).toBe(20);
  expect(sample(text, 'archway_upstream_latency_ms_count{service="echo",route="hello"}')).toBe(20);
  expect(sample(text, 'archway_data_plane_config_version')).toBe(1);
  expect(sample(text, 'archway_config_applies_total{result="ack"}')).toBe(1);
  expect(sample(text, 'archway_sync_connected')).toBe(1);
  expect(text.match(/^# TYPE archway_http_requests_total counter$/gm)).toHaveLength(1);
  expect(text.match(/^archway_node_info\{/gm)).toHaveLength(1);
});

it('keeps a killed worker’s requests in the sums once it is replaced, and counts the replacement’s', async () => {
  expect(sample(await scrape(), REQUESTS)).toBe(20); // the scrape the dead worker's counts are kept from
  const [victim] = workerPids();
  process.kill(victim, 'SIGKILL');
  await eventually('the worker to be replaced', async () => workerPids().length === 3, 15_000, [dp]);
  expect(sample(await scrape(), REQUESTS)).toBe(20);
  for (let i = 0; i < 10; i++) expect(await get('/hello')).toBe(200);
  await eventually('30 requests counted', async () => sample(await scrape(), REQUESTS) === 30, 10_000, [dp]);
});
