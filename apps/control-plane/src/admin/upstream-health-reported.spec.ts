// GET /upstreams/{u}/health on the Admin API shows what a real data plane measured: a control plane on
// a fresh database, a data plane (in this process) synced from it, real upstream servers, real traffic.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings } from '@archway/config';
import { silentLogger } from '@archway/telemetry';
// Test only: the real data plane, so both planes are checked together. Production code never crosses apps.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { startDataPlane, type DataPlane } from '../../../data-plane/src/main';
import { useAdminHarness } from '../testing/admin-harness';

jest.setTimeout(60_000);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

describe('GET /upstreams/{u}/health with a data plane reporting', () => {
  const { call, harness } = useAdminHarness();
  let dp: DataPlane;
  let prefix: string;
  const live = createServer((req, res) => res.end('live'));
  const dead = createServer();
  let livePort: number;
  let deadPort: number;

  beforeAll(async () => {
    livePort = await listen(live);
    deadPort = await listen(dead);
    await new Promise((r) => dead.close(r)); // a port nothing listens on
    prefix = mkdtempSync(join(tmpdir(), 'archway-dp-health-'));
    const settings = loadSettings('data-plane', {
      ARCHWAY_PREFIX: prefix,
      ARCHWAY_PROXY_LISTEN: '127.0.0.1:0',
      ARCHWAY_PROXY_SSL_LISTEN: 'off',
      ARCHWAY_STATUS_LISTEN: '127.0.0.1:0',
      ARCHWAY_CLUSTER_CONTROL_PLANE: `127.0.0.1:${harness().cp.clusterPort}`,
    });
    dp = await startDataPlane(settings, silentLogger);
  });
  afterAll(async () => {
    await dp?.close();
    live.closeAllConnections();
    await new Promise((r) => live.close(r));
    rmSync(prefix, { recursive: true, force: true });
  });

  it('shows the target the data plane found dead as UNHEALTHY and the live one as HEALTHY', async () => {
    const body = { name: 'u', healthchecks: { passive: { unhealthy: { tcp_failures: 1 } } } };
    expect((await call('POST', '/upstreams', body)).status).toBe(201);
    expect((await call('POST', '/upstreams/u/targets', { target: `127.0.0.1:${deadPort}` })).status).toBe(201);
    expect((await call('POST', '/upstreams/u/targets', { target: `127.0.0.1:${livePort}` })).status).toBe(201);
    expect((await call('POST', '/services', { name: 's', host: 'u' })).status).toBe(201);
    expect((await call('POST', '/services/s/routes', { paths: ['/lb'] })).status).toBe(201);

    // before any traffic the data plane reports both as healthy (Kong's checker starts them healthy)
    const proxy = `http://127.0.0.1:${dp.proxyPort}/lb`;
    await eventually(async () => (await fetch(proxy)).status === 200, 'the route on the data plane');
    for (let i = 0; i < 3; i++) expect(await (await fetch(proxy)).text()).toBe('live');

    const byTarget = async () => {
      const res = await call('GET', '/upstreams/u/health');
      return Object.fromEntries((res.body.data as { target: string; health: string }[]).map((t) => [t.target, t.health]));
    };
    await eventually(async () => (await byTarget())[`127.0.0.1:${deadPort}`] === 'UNHEALTHY', 'the report of the dead target');
    expect(await byTarget()).toEqual({ [`127.0.0.1:${deadPort}`]: 'UNHEALTHY', [`127.0.0.1:${livePort}`]: 'HEALTHY' });
    const dead = (await call('GET', '/upstreams/u/health')).body.data.find((t: { target: string }) => t.target.endsWith(`:${deadPort}`));
    expect(dead.data.addresses).toEqual([{ ip: '127.0.0.1', port: deadPort, weight: 100, health: 'UNHEALTHY' }]);

    const balancer = await call('GET', '/upstreams/u/health?balancer_health=1');
    expect(balancer.body.data).toMatchObject({ health: 'HEALTHY', balancer_health: 'HEALTHY', details: { weight: { total: 200, available: 100, unavailable: 100 } } });

    // the data plane's own status port answers the same
    const own = await fetch(`http://127.0.0.1:${dp.statusPort}/upstreams/u/health`);
    const ownRows = ((await own.json()) as { data: { target: string; health: string }[] }).data;
    expect(Object.fromEntries(ownRows.map((t) => [t.target, t.health]))).toEqual(await byTarget());
  });
});
