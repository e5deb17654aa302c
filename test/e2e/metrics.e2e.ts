// GET :8100/metrics of a data plane with two proxy workers (ARCHWAY_WORKERS=2) from the build, fed by a
// sync server in the test: one scrape shows the whole data plane (both workers' requests summed, the
// primary's config and sync metrics once), and a killed worker's counts stay in the sums.
import { makeSnapshot } from '@archway/schema';
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
  plane = await startSyncedDataPlane('metrics', { ARCHWAY_WORKERS: '2', ARCHWAY_LOG_LEVEL: 'debug', ARCHWAY_NODE_ID: 'dp-metrics' });
  ({ server, dp, proxy, status } = plane);
  server.publish(makeSnapshot(1, serviceConfig({ name: 'echo', url: `http://127.0.0.1:${upstream.port}` }, [{ name: 'hello', paths: ['/hello'] }])));
  await eventually('the ACK of version 1', async () => server.dataPlanes()[0]?.config_version === 1, 30_000, [dp]);
});

afterAll(async () => {
  await plane?.stop();
  await upstream?.close();
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
