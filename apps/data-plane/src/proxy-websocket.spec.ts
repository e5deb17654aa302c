// WebSocket upgrades through the real proxy, plain and TLS: handshake relayed, frames piped both
// ways, plugins' access phase first, an upstream refusal relayed, non-websocket upgrades served plainly.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { targetSchema, upstreamSchema, validateEntity, type ConfigSet, type Target, type Upstream as UpstreamEntity } from '@archway/schema';
import { closedPort, makeRoute, makeService, send, startUpstream, type Upstream } from './testing/fixtures';
import { keyAuth, makeConsumer, startPluginProxy, type PluginProxy } from './testing/plugin-proxy';
import { acceptKey, openWebSocket, startEchoServer, type EchoServer } from './testing/websocket-fixtures';

const consumer = makeConsumer('alice');
const credential = keyAuth(consumer, 'k-alice');

describe('WebSocket proxying', () => {
  let px: PluginProxy<EchoServer>;
  let echo: EchoServer;

  beforeEach(async () => {
    px = await startPluginProxy({ tls: true, upstream: startEchoServer, route: { paths: ['/ws'] } });
    echo = px.upstream;
  });
  afterEach(async () => {
    await px.close();
  });

  const apply = (plugins: Record<string, unknown>[] = [], extra: Partial<ConfigSet> = {}) =>
    px.apply(plugins, { consumers: [consumer], keyauth_credentials: [credential], ...extra });

  it('relays the handshake and echoes frames both ways over the plain listener', async () => {
    await apply();
    const ws = await openWebSocket(px.port, '/ws/chat');
    expect(ws.status).toBe(101);
    expect(ws.headers.upgrade).toBe('websocket');
    expect(ws.headers['sec-websocket-accept']).toBe(acceptKey(ws.key));
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
    const ws = await openWebSocket(px.tlsPort, '/ws', { tls: 'ws.test' });
    expect(ws.status).toBe(101);
    ws.send('secure');
    expect(await ws.next()).toBe('echo: secure');
    ws.close();
    expect(echo.handshakes[0]['x-forwarded-proto']).toBe('https');
  });

  it("runs the route's plugins first: key-auth answers 401 without a key and upgrades with one", async () => {
    await apply([{ name: 'key-auth' }]);
    const denied = await openWebSocket(px.port, '/ws');
    expect(denied.status).toBe(401);
    expect(JSON.parse(denied.body).message).toBe('No API key found in request');
    expect(echo.handshakes).toHaveLength(0);
    const ws = await openWebSocket(px.port, '/ws', { headers: { apikey: 'k-alice' } });
    expect(ws.status).toBe(101);
    ws.send('authed');
    expect(await ws.next()).toBe('echo: authed');
    ws.close();
    expect(echo.handshakes[0]['x-consumer-username']).toBe('alice');
  });

  it('runs the log phase once, when the websocket closes: status 101 and the bytes sent to the client', async () => {
    const file = join(px.prefix, 'ws.log');
    await apply([{ name: 'file-log', config: { path: file } }]);
    const lines = async () => (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);
    const ws = await openWebSocket(px.port, '/ws/logged');
    ws.send('hello');
    expect(await ws.next()).toBe('echo: hello');
    await new Promise((r) => setTimeout(r, 100));
    expect(await lines()).toEqual([]); // nothing while the tunnel is open (nginx logs at the end)
    ws.close();
    for (let i = 0; i < 100 && (await lines()).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const records = (await lines()).map((l) => JSON.parse(l) as { request: { uri: string }; response: { status: number; size: number } });
    expect(records).toHaveLength(1);
    expect(records[0].request.uri).toBe('/ws/logged');
    expect(records[0].response.status).toBe(101);
    // the 101 head and the echoed frame went to the client
    expect(records[0].response.size).toBeGreaterThan('HTTP/1.1 101 Switching Protocols\r\n'.length + 'echo: hello'.length);
  });

  it("relays the upstream's answer when it refuses the upgrade", async () => {
    await apply();
    const ws = await openWebSocket(px.port, '/ws', { headers: { 'x-refuse': 'yes' } });
    expect(ws.status).toBe(403);
    expect(ws.body).toBe('refused');
  });

  it('answers 404 for a websocket request no route matches', async () => {
    await apply();
    const ws = await openWebSocket(px.port, '/nowhere');
    expect(ws.status).toBe(404);
    expect(JSON.parse(ws.body).message).toBe('no Route matched with those values');
  });

  it('closes both sides once the client left, even when the upstream keeps its half open (as nginx does)', async () => {
    await apply();
    const ws = await openWebSocket(px.port, '/ws');
    ws.send('ping');
    expect(await ws.next()).toBe('echo: ping');
    expect(px.proxy.stats().connections_active).toBe(1);
    ws.close(); // the echo server ignores the FIN the proxy passes on: only the proxy can end the tunnel
    for (let i = 0; i < 100 && px.proxy.stats().connections_active > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(px.proxy.stats().connections_active).toBe(0);
  });

  it('shutting the proxy down cuts websockets still open after the grace period', async () => {
    await apply();
    const ws = await openWebSocket(px.port, '/ws');
    ws.send('ping');
    expect(await ws.next()).toBe('echo: ping');
    await px.proxy.close(50); // resolves: the upgraded connection does not hold the listener open
    await ws.closed; // the client sees its websocket cut (the test times out otherwise)
  });

  describe('to a balanced service (host names an upstream)', () => {
    let other: EchoServer;
    beforeEach(async () => (other = await startEchoServer()));
    afterEach(() => other.close());

    async function balance(targets: string[], fields: Record<string, unknown> = {}) {
      const upstream = validateEntity<UpstreamEntity>(upstreamSchema, { name: 'ws-pool', ...fields }, 'create');
      const ts = targets.map((target) => validateEntity<Target>(targetSchema, { upstream: { id: upstream.id }, target }, 'create'));
      const s = makeService({ host: 'ws-pool', port: 80 });
      const r = makeRoute(s, { paths: ['/ws'] });
      await px.applyConfig({ services: [s], routes: [r], upstreams: [upstream], targets: ts });
    }

    const until = async (check: () => boolean, what: string) => {
      for (let i = 0; i < 250 && !check(); i++) await new Promise((r) => setTimeout(r, 20));
      if (!check()) throw new Error(`timed out waiting for ${what}`);
    };

    it('least-connections counts an open websocket on its target until it closes, then forgets it', async () => {
      await balance([`127.0.0.1:${echo.port}`, `127.0.0.1:${other.port}`], { algorithm: 'least-connections' });
      const ws = await openWebSocket(px.port, '/ws');
      expect(ws.status).toBe(101);
      const [busy, idle] = echo.handshakes.length === 1 ? [echo, other] : [other, echo];
      // while it is open, its target has one connection more: plain requests go to the other one
      for (let i = 0; i < 4; i++) expect((await send(px.port, { path: '/ws' })).status).toBe(403);
      expect([busy.plainRequests, idle.plainRequests]).toEqual([0, 4]);
      ws.close();
      await until(() => px.proxy.stats().connections_active === 0, 'the proxy to close the websocket');
      // closed: both targets are idle again, and requests spread over both
      for (let i = 0; i < 4; i++) await send(px.port, { path: '/ws' });
      expect(busy.plainRequests).toBe(2);
      expect(idle.plainRequests).toBe(6);
    });

    it('sends the hash cookie with the 101 (hash_on cookie), and the websocket sticks to a target with it', async () => {
      await balance([`127.0.0.1:${echo.port}`, `127.0.0.1:${other.port}`], { algorithm: 'consistent-hashing', hash_on: 'cookie', hash_on_cookie: 'lb' });
      const first = await openWebSocket(px.port, '/ws');
      expect(first.status).toBe(101);
      first.close();
      const cookie = first.headers['set-cookie'] ?? '';
      expect(cookie).toMatch(/^lb=[0-9a-f-]+; Path=\/; Same-Site=Lax; HttpOnly$/);
      const owner = echo.handshakes.length === 1 ? echo : other;
      for (let i = 0; i < 3; i++) {
        const ws = await openWebSocket(px.port, '/ws', { headers: { cookie: cookie.split(';')[0] } });
        expect(ws.headers['set-cookie']).toBeUndefined();
        ws.close();
      }
      expect(owner.handshakes).toHaveLength(4);
    });

    it("passive health counts a target refusing the websocket's connection; the retry upgrades on the other one", async () => {
      const dead = await closedPort();
      await balance([`127.0.0.1:${dead}`, `127.0.0.1:${echo.port}`], { healthchecks: { passive: { unhealthy: { tcp_failures: 1 } } } });
      for (let i = 0; i < 2; i++) {
        const ws = await openWebSocket(px.port, '/ws');
        expect(ws.status).toBe(101);
        ws.close();
      }
      const health = px.store.runtime?.balancers.values().next().value?.health() ?? [];
      expect(Object.fromEntries(health.map((t) => [t.target, t.health]))).toEqual({
        [`127.0.0.1:${dead}`]: 'UNHEALTHY',
        [`127.0.0.1:${echo.port}`]: 'HEALTHY',
      });
    });
  });

  describe('other upgrades', () => {
    let plain: Upstream;
    beforeEach(async () => (plain = await startUpstream()));
    afterEach(() => plain.close());

    it('serves a non-websocket upgrade (h2c) as a plain HTTP/1.1 request', async () => {
      const s = makeService({ port: plain.port });
      await apply([], { services: [s], routes: [makeRoute(s, { paths: ['/plain'] })] });
      const res = await send(px.port, { path: '/plain', headers: { connection: 'Upgrade, HTTP2-Settings', upgrade: 'h2c', 'http2-settings': 'AAMAAABkAAQAAP__' } });
      expect(res.status).toBe(200);
      expect(plain.seen[0].headers.upgrade).toBeUndefined();
    });
  });
});
