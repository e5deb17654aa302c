// A control plane and two data planes (zones a and b) as real processes over loopback: config
// written on the Admin API reaches both proxies; the data planes survive the control plane going away.
import { adminClient, type AdminCall } from '../../apps/control-plane/src/testing/admin-client';
import { createTestDatabase, type TestDatabase } from '../../apps/control-plane/src/testing/test-database';
import { eventually, freePort, role, scratchDirs, type RoleProcess } from '../support/processes';
import { startEchoUpstream, type Upstream } from '../support/upstream';

jest.setTimeout(180_000);

interface DpStatus {
  control_plane: { state: string };
}

interface DataPlane {
  proc: RoleProcess;
  proxy: string;
  status: string;
  env: Record<string, string>;
}

let db: TestDatabase;
let upstream: Upstream;
let cp: RoleProcess;
let cpEnv: Record<string, string>;
let admin: string;
const dps: DataPlane[] = [];
const scratch = scratchDirs();
const tmp = scratch.make;
let adminCall: AdminCall;
const all = () => [cp, ...dps.map((d) => d.proc)];

async function proxied(dp: DataPlane, path: string) {
  const res = await fetch(dp.proxy + path);
  const text = await res.text();
  return { status: res.status, body: text, json: () => JSON.parse(text) };
}

/** Waits until every data plane answers `path` with `status`. */
async function allServe(path: string, status: number) {
  for (const dp of dps)
    await eventually(`${dp.proc.name} to answer ${path} with ${status}`, async () => (await proxied(dp, path)).status === status, 15_000, all());
}

function startDataPlane(name: string, zone: string, clusterPort: number): Promise<DataPlane> {
  return (async () => {
    const [proxyPort, statusPort] = [await freePort(), await freePort()];
    const env = {
      ARCHWAY_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
      ARCHWAY_PROXY_SSL_LISTEN: '127.0.0.1:0',
      ARCHWAY_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
      ARCHWAY_CLUSTER_CONTROL_PLANE: `127.0.0.1:${clusterPort}`,
      ARCHWAY_ZONE: zone,
      ARCHWAY_PREFIX: tmp(name),
      ARCHWAY_LOG_LEVEL: 'debug',
    };
    return { proc: role(name, 'data-plane', env).start(), proxy: `http://127.0.0.1:${proxyPort}`, status: `http://127.0.0.1:${statusPort}`, env };
  })();
}

async function startControlPlane() {
  cp = role('control-plane', 'control-plane', cpEnv).start();
  await eventually('the Admin API', async () => (await fetch(admin + '/')).ok, 60_000, [cp]);
}

beforeAll(async () => {
  db = await createTestDatabase();
  upstream = await startEchoUpstream();
  const [adminPort, clusterPort] = [await freePort(), await freePort()];
  admin = `http://127.0.0.1:${adminPort}`;
  adminCall = adminClient(admin);
  cpEnv = {
    ARCHWAY_DATABASE_URL: db.url,
    ARCHWAY_ADMIN_LISTEN: `127.0.0.1:${adminPort}`,
    ARCHWAY_CLUSTER_LISTEN: `127.0.0.1:${clusterPort}`,
    ARCHWAY_PREFIX: tmp('cp'),
    ARCHWAY_LOG_LEVEL: 'debug',
  };
  await startControlPlane();
  dps.push(await startDataPlane('dp-a', 'a', clusterPort), await startDataPlane('dp-b', 'b', clusterPort));
  for (const dp of dps)
    await eventually(`${dp.proc.name} ready`, async () => (await fetch(dp.status + '/status/ready')).status === 200, 30_000, all());
});

afterAll(async () => {
  await Promise.all(all().map((p) => p?.stop()));
  await upstream?.close();
  await db?.drop();
  scratch.removeAll();
});

describe('control plane -> data planes in two zones', () => {
  it(`serves a new route on both data planes (database: ${process.env.ARCHWAY_DATABASE_URL ? 'server' : 'embedded'})`, async () => {
    expect((await adminCall('POST', '/services', `name=echo&url=http://127.0.0.1:${upstream.port}`)).status).toBe(201);
    expect((await adminCall('POST', '/services/echo/routes', 'name=r1&paths[]=/hello&strip_path=false')).status).toBe(201);
    await allServe('/hello/world?x=1', 200);
    for (const dp of dps) {
      const seen = (await proxied(dp, '/hello/world?x=1')).json();
      expect(seen.url).toBe('/hello/world?x=1');
      expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(seen.headers.via).toMatch(/archway/);
    }
  });

  it('serves an updated route and stops serving its old path', async () => {
    expect((await adminCall('PATCH', '/routes/r1', 'paths[]=/v2&strip_path=true')).status).toBe(200);
    await allServe('/v2/items', 200);
    for (const dp of dps) {
      expect((await proxied(dp, '/v2/items')).json().url).toBe('/items');
      const gone = await proxied(dp, '/hello');
      expect(gone.status).toBe(404);
      expect(JSON.parse(gone.body).message).toBe('no Route matched with those values');
    }
  });

  it('answers 404 once the route is deleted', async () => {
    expect((await adminCall('DELETE', '/routes/r1')).status).toBe(204);
    await allServe('/v2/items', 404);
  });

  it('lists both data planes with their zones and the version they ACKed', async () => {
    await adminCall('POST', '/services/echo/routes', 'name=r2&paths[]=/r2');
    await allServe('/r2', 200);
    const cpVersion = (await adminCall('GET', '/status')).body.configuration_version;
    const list = await eventually('both data planes to ACK the newest version', async () => {
      const { body } = await adminCall('GET', '/clustering/data-planes');
      const acked = body.data.filter((d: { config_version: unknown }) => Number(d.config_version) === cpVersion);
      return acked.length === 2 ? body.data : null;
    }, 15_000, all());
    expect(list.map((d: { zone: string }) => d.zone).sort()).toEqual(['a', 'b']);
  });

  it('keeps serving, across a data-plane restart, from the disk cache while the control plane is down', async () => {
    await cp.stop();
    const [a] = dps;
    await a.proc.stop();
    a.proc = role('dp-a', 'data-plane', a.env).start();
    await eventually('dp-a to serve /r2 from its cache', async () => (await proxied(a, '/r2')).status === 200, 30_000, all());
    const status = (await (await fetch(a.status + '/status')).json()) as DpStatus;
    expect(status.control_plane.state).not.toBe('connected');
    expect((await proxied(dps[1], '/r2')).status).toBe(200);
  });

  it('converges after the control plane restarts: both data planes reconnect and serve a new route', async () => {
    await startControlPlane();
    expect((await adminCall('POST', '/services/echo/routes', 'name=r3&paths[]=/r3')).status).toBe(201);
    await allServe('/r3', 200);
    for (const dp of dps)
      await eventually(`${dp.proc.name} connected`, async () => ((await (await fetch(dp.status + '/status')).json()) as DpStatus).control_plane.state === 'connected', 15_000, all());
  });
});
