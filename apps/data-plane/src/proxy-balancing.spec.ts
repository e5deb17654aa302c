// Load balancing through the real proxy: a service whose host names an upstream is balanced over its
// targets (several real upstream servers on 127.0.0.1), with Kong's algorithms, retries, passive and
// active health checks, the circuit breaker, zones and DNS; health is visible on the status port.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pluginSchema } from '@archway/plugins';
import { targetSchema, validatePlugin, type ConfigSet, type Plugin, upstreamSchema, validateEntity, type Route, type Service, type Target, type Upstream as UpstreamEntity } from '@archway/schema';
import type { ConfigStore } from './config-store';
import type { ProxyServer } from './proxy-server';
import { StatusServer } from './status-server';
import { closedPort, makeRoute, makeService, send } from './testing/fixtures';
import { startProxy, type TestProxy } from './testing/test-proxy';
import { findBalancer, upstreamHealthBody } from './upstream-health';

/** A named upstream server: answers `status` (200 by default) with its name; records Host headers. */
interface Backend {
  name: string;
  port: number;
  status: number;
  hits: number;
  hosts: string[];
  server: Server;
  close(): Promise<void>;
}

async function backend(name: string): Promise<Backend> {
  const b = { name, port: 0, status: 200, hits: 0, hosts: [] as string[] } as Backend;
  b.server = createServer((req: IncomingMessage, res) => {
    req.resume();
    if (req.url === '/health') {
      res.writeHead(b.status).end();
      return;
    }
    b.hits++;
    b.hosts.push(req.headers.host ?? '');
    res.writeHead(b.status, { 'content-type': 'text/plain' }).end(name);
  });
  b.server.listen(0, '127.0.0.1');
  await once(b.server, 'listening');
  b.port = (b.server.address() as AddressInfo).port;
  b.close = () =>
    new Promise<void>((resolve) => {
      if (!b.server.listening) return resolve();
      b.server.close(() => resolve());
      b.server.closeAllConnections();
    });
  return b;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('load balancing through the proxy', () => {
  let px: TestProxy;
  let logger: TestProxy['logger'];
  let store: ConfigStore;
  let proxy: ProxyServer;
  let status: StatusServer;
  let port: number;
  let statusPort: number;
  let backends: Backend[];
  let upstream: UpstreamEntity;
  let service: Service;
  let route: Route;

  async function start(zone: string | null = null) {
    px = await startProxy({ balancing: { zone } });
    ({ logger, store, proxy, port } = px);
    status = new StatusServer({
      host: '127.0.0.1',
      port: 0,
      logger,
      source: {
        nodeId: 'dp-1',
        zone: zone ?? 'default',
        config: () => store.current(),
        controlPlane: () => ({ state: 'disconnected', address: null }),
        proxy: () => proxy.stats(),
        upstreamHealth: (key, balancerHealth) => {
          const b = findBalancer(store.runtime?.balancers, key);
          return b ? upstreamHealthBody(b, balancerHealth, 'dp-1') : null;
        },
      },
    });
    statusPort = await status.listen();
  }

  beforeEach(() => {
    backends = [];
  });
  afterEach(async () => {
    await px.close();
    await status.close();
    await Promise.all(backends.map((b) => b.close()));
  });

  async function backendsNamed(...names: string[]): Promise<Backend[]> {
    const list = await Promise.all(names.map(backend));
    backends.push(...list);
    return list;
  }

  /** Applies upstream `u` (with `fields`), its targets, and a service `host: u` behind route /lb. */
  async function balance(targets: { target: string; weight?: number; zone?: string }[], fields: Record<string, unknown> = {}, routeFields: Record<string, unknown> = {}) {
    upstream = validateEntity<UpstreamEntity>(upstreamSchema, { name: 'u', ...fields }, 'create');
    const ts = targets.map((t) => validateEntity<Target>(targetSchema, { upstream: { id: upstream.id }, ...t }, 'create'));
    service = makeService({ host: 'u', port: 80 });
    route = makeRoute(service, { paths: ['/lb'], ...routeFields });
    await px.apply({ services: [service], routes: [route], upstreams: [upstream], targets: ts });
  }

  const at = (b: Backend, fields: { weight?: number; zone?: string } = {}) => ({ target: `127.0.0.1:${b.port}`, ...fields });

  async function health(query = '') {
    const res = await send(statusPort, { path: `/upstreams/u/health${query}` });
    return { status: res.status, body: JSON.parse(res.body) };
  }

  it('distributes round-robin by weight across three targets and never sends to a weight-0 target', async () => {
    await start();
    const [a, b, c, off] = await backendsNamed('a', 'b', 'c', 'off');
    await balance([at(a, { weight: 100 }), at(b, { weight: 200 }), at(c, { weight: 100 }), at(off, { weight: 0 })]);
    for (let i = 0; i < 40; i++) expect((await send(port, { path: '/lb' })).status).toBe(200);
    expect([a.hits, b.hits, c.hits, off.hits]).toEqual([10, 20, 10, 0]);
    // Kong's Host for a target: its name and port
    expect(a.hosts[0]).toBe(`127.0.0.1:${a.port}`);
  });

  it("sends the upstream's host_header as Host, and the client's Host when the route preserves it", async () => {
    await start();
    const [a] = await backendsNamed('a');
    await balance([at(a)], { host_header: 'api.internal' });
    await send(port, { path: '/lb', headers: { host: 'client.example' } });
    expect(a.hosts[0]).toBe(`api.internal:${a.port}`);
    await balance([at(a)], {}, { preserve_host: true });
    await send(port, { path: '/lb', headers: { host: 'client.example' } });
    expect(a.hosts[1]).toBe('client.example');
  });

  it('retries a refused connection on the next target: the client gets 200', async () => {
    await start();
    const [live] = await backendsNamed('live');
    await balance([{ target: `127.0.0.1:${await closedPort()}` }, at(live)]);
    for (let i = 0; i < 6; i++) {
      const res = await send(port, { path: '/lb' });
      expect(res.status).toBe(200);
      expect(res.body).toBe('live');
    }
  });

  it("marks failing targets unhealthy from live traffic, then answers 503 'failure to get a peer from the ring-balancer'", async () => {
    await start();
    const [a, b] = await backendsNamed('a', 'b');
    await balance([at(a), at(b)], { healthchecks: { passive: { unhealthy: { tcp_failures: 1 } } } });
    await a.close();
    expect((await send(port, { path: '/lb' })).body).toBe('b');
    expect((await send(port, { path: '/lb' })).body).toBe('b');
    const partly = await health();
    expect(partly.status).toBe(200);
    expect(partly.body.node_id).toBe('dp-1');
    expect(Object.fromEntries(partly.body.data.map((t: { target: string; health: string }) => [t.target, t.health]))).toEqual({
      [`127.0.0.1:${a.port}`]: 'UNHEALTHY',
      [`127.0.0.1:${b.port}`]: 'HEALTHY',
    });
    await b.close();
    const res = await send(port, { path: '/lb', headers: { accept: 'application/json' } });
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body).message).toBe('failure to get a peer from the ring-balancer');
    expect((await send(port, { path: '/lb' })).status).toBe(503);
    const whole = await health('?balancer_health=1');
    expect(whole.body.data).toMatchObject({ health: 'UNHEALTHY', balancer_health: 'UNHEALTHY', id: upstream.id });
    expect(logger.lines.filter((l) => l.msg === 'upstream target address is unhealthy')).toHaveLength(2);
  });

  it('brings an unhealthy target back when active probes succeed again', async () => {
    await start();
    const [a, b] = await backendsNamed('a', 'b');
    await balance([at(a), at(b)], {
      healthchecks: {
        active: { http_path: '/health', healthy: { successes: 1 }, unhealthy: { interval: 0.05 } },
        passive: { unhealthy: { http_failures: 1 } },
      },
    });
    a.status = 500;
    for (let i = 0; i < 2; i++) await send(port, { path: '/lb' }); // one of them reaches a: 500 marks it unhealthy
    a.hits = 0;
    for (let i = 0; i < 4; i++) expect((await send(port, { path: '/lb' })).body).toBe('b');
    expect(a.hits).toBe(0);
    a.status = 200;
    await eventually(async () => (await health()).body.data.every((t: { health: string }) => t.health === 'HEALTHY'), 'a healthy again');
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add((await send(port, { path: '/lb' })).body);
    expect(seen).toEqual(new Set(['a', 'b']));
    expect(logger.lines.some((l) => l.msg === 'upstream target address is healthy' && l.source === 'active')).toBe(true);
  });

  it('opens the circuit after failures, sheds with 503 while open, half-opens after the cool-down and closes on success', async () => {
    await start();
    const [a] = await backendsNamed('a');
    await balance([at(a)], { circuit_breaker: { enabled: true, failure_threshold: 2, failure_ratio: 0.5, window: 10, cool_down: 0.3, half_open_requests: 1 } });
    a.status = 500;
    expect((await send(port, { path: '/lb' })).status).toBe(500);
    expect((await send(port, { path: '/lb' })).status).toBe(500);
    expect((await health()).body.data[0].data.addresses[0].circuit).toBe('open');
    a.hits = 0;
    const shed = await send(port, { path: '/lb', headers: { accept: 'application/json' } });
    expect(shed.status).toBe(503);
    expect(JSON.parse(shed.body).message).toBe('failure to get a peer from the ring-balancer');
    expect(a.hits).toBe(0);
    a.status = 200;
    await sleep(350);
    expect((await send(port, { path: '/lb' })).status).toBe(200); // the half-open trial request
    expect((await health()).body.data[0].data.addresses[0].circuit).toBe('closed');
    expect((await send(port, { path: '/lb' })).status).toBe(200);
    const changes = logger.lines.filter((l) => l.msg === 'upstream target circuit breaker changed state').map((l) => `${l.from}->${l.to}`);
    expect(changes).toEqual(['closed->open', 'open->half_open', 'half_open->closed']);
  });

  it('keeps a header value on one target with consistent hashing (hash_on header)', async () => {
    await start();
    const [a, b, c] = await backendsNamed('a', 'b', 'c');
    await balance([at(a), at(b), at(c)], { algorithm: 'consistent-hashing', hash_on: 'header', hash_on_header: 'x-user' });
    const owners = new Set<string>();
    for (let user = 0; user < 20; user++) {
      const first = (await send(port, { path: '/lb', headers: { 'x-user': `user-${user}` } })).body;
      for (let i = 0; i < 3; i++) expect((await send(port, { path: '/lb', headers: { 'x-user': `user-${user}` } })).body).toBe(first);
      owners.add(first);
    }
    expect(owners.size).toBeGreaterThan(1);
  });

  it('hashes on the consumer key-auth identified (hash_on consumer): each consumer sticks to its target', async () => {
    await start();
    const [a, b, c] = await backendsNamed('a', 'b', 'c');
    await balance([at(a), at(b), at(c)], { algorithm: 'consistent-hashing', hash_on: 'consumer' });
    const consumers = Array.from({ length: 6 }, (_, i) => ({ id: `00000000-0000-4000-8000-00000000000${i}`, created_at: 1, updated_at: 1, username: `c${i}`, custom_id: null, tags: null }));
    const keys = consumers.map((c, i) => ({ id: `00000000-0000-4000-9000-00000000000${i}`, created_at: 1, updated_at: 1, consumer: { id: c.id }, key: `k${i}`, ttl: null, tags: null }));
    const config = {
      ...store.runtime?.config,
      consumers,
      keyauth_credentials: keys,
      plugins: [validatePlugin({ name: 'key-auth', route: { id: route.id } }, 'create', pluginSchema)] as Plugin[],
    } as ConfigSet;
    await px.apply(config);
    const owners = new Set<string>();
    for (let i = 0; i < consumers.length; i++) {
      const first = await send(port, { path: `/lb?apikey=k${i}` });
      expect(first.status).toBe(200);
      for (let n = 0; n < 3; n++) expect((await send(port, { path: `/lb?apikey=k${i}` })).body).toBe(first.body);
      owners.add(first.body);
    }
    expect(owners.size).toBeGreaterThan(1);
  });

  it('sets the hash cookie when a request has none (hash_on cookie) and sticks to a target with it', async () => {
    await start();
    const [a, b] = await backendsNamed('a', 'b');
    await balance([at(a), at(b)], { algorithm: 'consistent-hashing', hash_on: 'cookie', hash_on_cookie: 'lb', hash_on_cookie_path: '/lb' });
    const first = await send(port, { path: '/lb' });
    const cookie = first.headers['set-cookie']?.[0] ?? '';
    expect(cookie).toMatch(/^lb=[0-9a-f-]+; Path=\/lb; Same-Site=Lax; HttpOnly$/);
    const pair = cookie.split(';')[0];
    for (let i = 0; i < 4; i++) {
      const res = await send(port, { path: '/lb', headers: { cookie: pair } });
      expect(res.body).toBe(first.body);
      expect(res.headers['set-cookie']).toBeUndefined();
    }
  });

  it("prefers targets in the data plane's zone and spills over to another zone only while local ones are down", async () => {
    await start('zone-a');
    const [local, remote] = await backendsNamed('local', 'remote');
    await balance([at(local, { zone: 'zone-a' }), at(remote, { zone: 'zone-b' })], {
      healthchecks: { active: { http_path: '/health', healthy: { successes: 1 }, unhealthy: { interval: 0.05 } }, passive: { unhealthy: { http_failures: 1 } } },
    });
    for (let i = 0; i < 4; i++) expect((await send(port, { path: '/lb' })).body).toBe('local');
    expect(remote.hits).toBe(0);
    local.status = 503; // passive: one failure marks it unhealthy
    expect((await send(port, { path: '/lb' })).status).toBe(503);
    for (let i = 0; i < 3; i++) expect((await send(port, { path: '/lb' })).body).toBe('remote');
    local.status = 200; // active probes bring it back, and traffic returns home
    await eventually(async () => (await send(port, { path: '/lb' })).body === 'local', 'traffic back in zone-a');
  });

  it('resolves a target named localhost (hosts file) and sends its name as Host', async () => {
    await start();
    const [a] = await backendsNamed('a');
    await balance([{ target: `localhost:${a.port}` }]);
    const res = await send(port, { path: '/lb' });
    expect(res.status).toBe(200);
    expect(a.hosts[0]).toBe(`localhost:${a.port}`);
    const body = (await health()).body;
    expect(body.data[0]).toMatchObject({ target: `localhost:${a.port}`, health: 'HEALTHCHECKS_OFF', data: { dns: 'A', host: 'localhost' } });
    expect(body.data[0].data.addresses[0]).toMatchObject({ ip: '127.0.0.1', port: a.port });
  });

  it('proxies a service whose host is not an upstream directly, and answers 404 for an unknown upstream on the status port', async () => {
    await start();
    const [a, direct] = await backendsNamed('a', 'direct');
    await balance([at(a)]);
    const other = makeService({ port: direct.port });
    const otherRoute = makeRoute(other, { paths: ['/direct'] });
    const t = validateEntity<Target>(targetSchema, { upstream: { id: upstream.id }, ...at(a) }, 'create');
    await px.apply({ services: [service, other], routes: [route, otherRoute], upstreams: [upstream], targets: [t] });
    expect((await send(port, { path: '/direct' })).body).toBe('direct');
    expect((await send(port, { path: '/lb' })).body).toBe('a');
    expect((await send(statusPort, { path: `/upstreams/${upstream.id}/health` })).status).toBe(200);
    expect((await send(statusPort, { path: '/upstreams/nope/health' })).status).toBe(404);
  });

  it('keeps health across a new configuration for an unchanged target', async () => {
    await start();
    const [a, b] = await backendsNamed('a', 'b');
    await balance([at(a), at(b)], { healthchecks: { passive: { unhealthy: { http_failures: 1 } } } });
    a.status = 500;
    for (let i = 0; i < 2; i++) await send(port, { path: '/lb' });
    const targets = store.runtime?.config.targets ?? [];
    await px.apply({ services: [service], routes: [route, makeRoute(service, { paths: ['/x'] })], upstreams: [upstream], targets });
    const rows = (await health()).body.data as { target: string; health: string }[];
    expect(rows.find((r) => r.target === `127.0.0.1:${a.port}`)?.health).toBe('UNHEALTHY');
  });
});
