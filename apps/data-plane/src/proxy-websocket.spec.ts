// WebSocket upgrades through the real proxy, plain and TLS: handshake relayed, frames piped both
// ways, plugins' access phase first, an upstream refusal relayed, non-websocket upgrades served plainly.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pluginSchema } from '@archway/plugins';
import { emptyConfig, makeSnapshot, validatePlugin, type ConfigSet, type Plugin, type Route, type Service } from '@archway/schema';
import { ConfigStore } from './config-store';
import { ProxyServer } from './proxy-server';
import { makeRoute, makeService, memoryLogger, send, startUpstream, type Upstream } from './testing/fixtures';
import { openWebSocket, startEchoServer, type EchoServer } from './testing/websocket-fixtures';

const consumer = { id: '11111111-1111-4111-8111-111111111111', created_at: 1, updated_at: 1, username: 'alice', custom_id: null, tags: null };
const credential = { id: '33333333-3333-4333-8333-333333333333', created_at: 1, updated_at: 1, consumer: { id: consumer.id }, key: 'k-alice', ttl: null, tags: null };

describe('WebSocket proxying', () => {
  let prefix: string;
  let store: ConfigStore;
  let proxy: ProxyServer;
  let port: number;
  let tlsPort: number;
  let echo: EchoServer;
  let version = 0;
  let svc: Service;
  let route: Route;

  beforeEach(async () => {
    prefix = await mkdtemp(join(tmpdir(), 'archway-ws-'));
    const logger = memoryLogger();
    store = new ConfigStore({ prefix, logger });
    proxy = new ProxyServer({ host: '127.0.0.1', port: 0, tls: { host: '127.0.0.1', port: 0 }, store, logger });
    port = await proxy.listen();
    tlsPort = await proxy.listenTls();
    echo = await startEchoServer();
    svc = makeService({ port: echo.port });
    route = makeRoute(svc, { paths: ['/ws'] });
  });
  afterEach(async () => {
    await proxy.close(0);
    await store.close(0);
    await echo.close();
    await rm(prefix, { recursive: true, force: true });
  });

  async function apply(plugins: Record<string, unknown>[] = [], services: Service[] = [svc], routes: Route[] = [route]) {
    const config = {
      ...emptyConfig(),
      services,
      routes,
      consumers: [consumer],
      keyauth_credentials: [credential],
      plugins: plugins.map((p) => validatePlugin({ route: { id: route.id }, ...p }, 'create', pluginSchema)) as Plugin[],
    } as ConfigSet;
    await store.apply(makeSnapshot(++version, config));
  }

  it('relays the handshake and echoes frames both ways over the plain listener', async () => {
    await apply();
    const ws = await openWebSocket(port, '/ws/chat');
    expect(ws.status).toBe(101);
    expect(ws.headers.upgrade).toBe('websocket');
    expect(ws.headers['sec-websocket-accept']).toBeDefined();
    ws.send('hello');
    expect(await ws.next()).toBe('echo: hello');
    ws.send('again');
    expect(await ws.next()).toBe('echo: again');
    ws.close();
    const seen = echo.handshakes[0];
    expect(seen.upgrade).toBe('websocket');
    expect(seen['sec-websocket-version']).toBe('13');
    expect(seen['x-forwarded-proto']).toBe('http');
  });

  it('proxies wss: a websocket over the TLS listener, upstream told X-Forwarded-Proto https', async () => {
    await apply();
    const ws = await openWebSocket(tlsPort, '/ws', { tls: 'ws.test' });
    expect(ws.status).toBe(101);
    ws.send('secure');
    expect(await ws.next()).toBe('echo: secure');
    ws.close();
    expect(echo.handshakes[0]['x-forwarded-proto']).toBe('https');
  });

  it("runs the route's plugins first: key-auth answers 401 without a key and upgrades with one", async () => {
    await apply([{ name: 'key-auth' }]);
    const denied = await openWebSocket(port, '/ws');
    expect(denied.status).toBe(401);
    expect(JSON.parse(denied.body).message).toBe('No API key found in request');
    expect(echo.handshakes).toHaveLength(0);
    const ws = await openWebSocket(port, '/ws', { headers: { apikey: 'k-alice' } });
    expect(ws.status).toBe(101);
    ws.send('authed');
    expect(await ws.next()).toBe('echo: authed');
    ws.close();
    expect(echo.handshakes[0]['x-consumer-username']).toBe('alice');
  });

  it("relays the upstream's answer when it refuses the upgrade", async () => {
    await apply();
    const ws = await openWebSocket(port, '/ws', { headers: { 'x-refuse': 'yes' } });
    expect(ws.status).toBe(403);
    expect(ws.body).toBe('refused');
  });

  it('answers 404 for a websocket request no route matches', async () => {
    await apply();
    const ws = await openWebSocket(port, '/nowhere');
    expect(ws.status).toBe(404);
    expect(JSON.parse(ws.body).message).toBe('no Route matched with those values');
  });

  it('shutting the proxy down cuts websockets still open after the grace period', async () => {
    await apply();
    const ws = await openWebSocket(port, '/ws');
    ws.send('ping');
    expect(await ws.next()).toBe('echo: ping');
    await proxy.close(50); // resolves: the upgraded connection does not hold the listener open
  });

  describe('other upgrades', () => {
    let plain: Upstream;
    beforeEach(async () => (plain = await startUpstream()));
    afterEach(() => plain.close());

    it('serves a non-websocket upgrade (h2c) as a plain HTTP/1.1 request', async () => {
      const s = makeService({ port: plain.port });
      await apply([], [svc, s], [route, makeRoute(s, { paths: ['/plain'] })]);
      const res = await send(port, { path: '/plain', headers: { connection: 'Upgrade, HTTP2-Settings', upgrade: 'h2c', 'http2-settings': 'AAMAAABkAAQAAP__' } });
      expect(res.status).toBe(200);
      expect(plain.seen[0].headers.upgrade).toBeUndefined();
    });
  });
});
