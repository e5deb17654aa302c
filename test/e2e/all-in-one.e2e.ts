// `archway start` exactly as a newcomer runs it (via `npm start`): embedded Postgres, one control
// plane, one data plane; then the Kong tutorial with form bodies, as `curl --data` sends them.
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, eventually, freePort, type RoleProcess } from '../support/processes';
import { startEchoUpstream, type Upstream } from '../support/upstream';

jest.setTimeout(180_000);

let gateway: RoleProcess;
let upstream: Upstream;
let prefix: string;
let admin: string;
let proxy: string;
let status: string;

beforeAll(async () => {
  upstream = await startEchoUpstream('hello-upstream');
  prefix = mkdtempSync(join(tmpdir(), 'archway-e2e-aio-'));
  chmodSync(prefix, 0o755); // as root, the embedded Postgres runs unprivileged and must reach the prefix
  const ports = { admin: await freePort(), proxy: await freePort(), cluster: await freePort(), status: await freePort() };
  admin = `http://127.0.0.1:${ports.admin}`;
  proxy = `http://127.0.0.1:${ports.proxy}`;
  status = `http://127.0.0.1:${ports.status}`;
  // no ARCHWAY_DATABASE_URL: the embedded default, whatever the environment says
  gateway = cli('archway start', ['start'], {
    ARCHWAY_PREFIX: prefix,
    ARCHWAY_ADMIN_LISTEN: `127.0.0.1:${ports.admin}`,
    ARCHWAY_PROXY_LISTEN: `127.0.0.1:${ports.proxy}`,
    ARCHWAY_PROXY_SSL_LISTEN: '127.0.0.1:0',
    ARCHWAY_CLUSTER_LISTEN: `127.0.0.1:${ports.cluster}`,
    ARCHWAY_STATUS_LISTEN: `127.0.0.1:${ports.status}`,
  }).start();
  await eventually('the Admin API', async () => (await fetch(admin + '/status')).ok, 120_000, [gateway]);
  await eventually('the data plane to be ready', async () => (await fetch(status + '/status/ready')).ok, 30_000, [gateway]);
});

afterAll(async () => {
  await gateway?.stop();
  await upstream?.close();
  rmSync(prefix, { recursive: true, force: true });
});

const form = (path: string, body: string) =>
  fetch(admin + path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });

describe('archway start (all-in-one, embedded Postgres)', () => {
  it('keeps its database under the prefix and reports it reachable', async () => {
    const body = (await (await fetch(admin + '/status')).json()) as { database: { reachable: boolean } };
    expect(body.database.reachable).toBe(true);
    expect(existsSync(join(prefix, 'postgres'))).toBe(true);
  });

  it('proxies the route created in the Kong tutorial', async () => {
    expect((await form('/services', `name=hello-service&url=http://127.0.0.1:${upstream.port}`)).status).toBe(201);
    expect((await form('/services/hello-service/routes', 'paths[]=/hello&strip_path=false')).status).toBe(201);
    const answer = await eventually('the proxy to serve /hello', async () => {
      const res = await fetch(proxy + '/hello');
      return res.status === 200 ? res.json() : null;
    }, 10_000, [gateway]);
    expect(answer).toMatchObject({ name: 'hello-upstream', url: '/hello' });
  });

  it('answers Kong\'s 404 body on the proxy for a path no route matches', async () => {
    const res = await fetch(proxy + '/nothing-here');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { message: string }).message).toBe('no Route matched with those values');
  });

  it('stops both planes and the embedded database on SIGTERM', async () => {
    await gateway.stop('SIGTERM');
    await expect(fetch(admin + '/')).rejects.toThrow();
    await expect(fetch(proxy + '/hello')).rejects.toThrow();
    expect(existsSync(join(prefix, 'postgres', 'postmaster.pid'))).toBe(false);
  });
});
