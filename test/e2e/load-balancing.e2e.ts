// Load balancing with real processes from the build: a control plane, a data plane, two live upstream
// servers and a dead port. Traffic is spread over the live targets, the dead one is retried around and
// marked unhealthy, and both the data plane's status port and the Admin API show that health.
import { adminClient, type AdminCall } from '../../apps/control-plane/src/testing/admin-client';
import { createTestDatabase, type TestDatabase } from '../../apps/control-plane/src/testing/test-database';
import { eventually, freePort, role, scratchDirs, type RoleProcess } from '../support/processes';
import { startEchoUpstream, type Upstream } from '../support/upstream';

jest.setTimeout(180_000);

let db: TestDatabase;
let cp: RoleProcess;
let dp: RoleProcess;
let admin: string;
let proxy: string;
let status: string;
let deadPort: number;
const upstreams: Upstream[] = [];
const scratch = scratchDirs();
const tmp = scratch.make;
let adminCall: AdminCall;

/** target -> health, keys sorted so two answers compare as strings */
const healthByTarget = (rows: { target: string; health: string }[]) =>
  Object.fromEntries(rows.map((t) => [t.target, t.health]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

beforeAll(async () => {
  db = await createTestDatabase();
  upstreams.push(await startEchoUpstream('one'), await startEchoUpstream('two'));
  deadPort = await freePort(); // bound, then released: nothing listens there
  const [adminPort, clusterPort, proxyPort, statusPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  admin = `http://127.0.0.1:${adminPort}`;
  adminCall = adminClient(admin);
  proxy = `http://127.0.0.1:${proxyPort}`;
  status = `http://127.0.0.1:${statusPort}`;
  cp = role('control-plane', 'control-plane', {
    ARCHWAY_DATABASE_URL: db.url,
    ARCHWAY_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
    ARCHWAY_CLUSTER_LISTEN: `127.0.0.1:${clusterPort}`,
    ARCHWAY_PREFIX: tmp('cp'),
  }).start();
  await eventually('the Admin API', async () => (await fetch(admin + '/')).ok, 60_000, [cp]);
  dp = role('data-plane', 'data-plane', {
    ARCHWAY_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
    ARCHWAY_PROXY_SSL_LISTEN: '127.0.0.1:0',
    ARCHWAY_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
    ARCHWAY_CLUSTER_CONTROL_PLANE: `127.0.0.1:${clusterPort}`,
    ARCHWAY_PREFIX: tmp('dp'),
  }).start();
  await eventually('the data plane', async () => (await fetch(status + '/status')).ok, 30_000, [cp, dp]);
});

afterAll(async () => {
  await Promise.all([cp, dp].map((p) => p?.stop()));
  await Promise.all(upstreams.map((u) => u.close()));
  await db?.drop();
  scratch.removeAll();
});

describe('an upstream with targets behind a service', () => {
  it('balances over the live targets, retries around the dead one and reports it unhealthy to the control plane', async () => {
    expect((await adminCall('POST', '/upstreams', { name: 'orders', healthchecks: { passive: { unhealthy: { tcp_failures: 1 } } } })).status).toBe(201);
    for (const port of [deadPort, ...upstreams.map((u) => u.port)])
      expect((await adminCall('POST', '/upstreams/orders/targets', { target: `127.0.0.1:${port}` })).status).toBe(201);
    expect((await adminCall('POST', '/services', { name: 'orders', host: 'orders' })).status).toBe(201);
    expect((await adminCall('POST', '/services/orders/routes', { paths: ['/orders'] })).status).toBe(201);

    await eventually('the route on the data plane', async () => (await fetch(proxy + '/orders')).status === 200, 30_000, [cp, dp]);
    const names = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const res = await fetch(proxy + '/orders');
      expect(res.status).toBe(200);
      names.add(((await res.json()) as { name: string }).name);
    }
    expect(names).toEqual(new Set(['one', 'two']));

    const expected = healthByTarget([
      { target: `127.0.0.1:${deadPort}`, health: 'UNHEALTHY' },
      ...upstreams.map((u) => ({ target: `127.0.0.1:${u.port}`, health: 'HEALTHY' })),
    ]);
    const own = (await (await fetch(status + '/upstreams/orders/health')).json()) as { data: { target: string; health: string }[] };
    expect(healthByTarget(own.data)).toEqual(expected);
    await eventually(
      'the control plane to show the data plane report',
      async () => JSON.stringify(healthByTarget((await adminCall('GET', '/upstreams/orders/health')).body.data)) === JSON.stringify(expected),
      15_000,
      [cp, dp],
    );
  });
});
