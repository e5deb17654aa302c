// Plugins through the real proxy: authentication answers or identifies the consumer before the
// upstream is reached, response plugins change what the client gets, a failing plugin is isolated.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pluginSchema } from '@archway/plugins';
import { emptyConfig, makeSnapshot, validatePlugin, type ConfigSet, type Plugin, type Route, type Service } from '@archway/schema';
import { ConfigStore } from './config-store';
import { ProxyServer } from './proxy-server';
import { makeRoute, makeService, memoryLogger, send, startUpstream, type Upstream } from './testing/fixtures';

const consumer = { id: '11111111-1111-4111-8111-111111111111', created_at: 1, updated_at: 1, username: 'alice', custom_id: null, tags: null };
const credential = { id: '33333333-3333-4333-8333-333333333333', created_at: 1, updated_at: 1, consumer: { id: consumer.id }, key: 'k-alice', ttl: null, tags: null };

describe('proxy with plugins', () => {
  let prefix: string;
  let store: ConfigStore;
  let proxy: ProxyServer;
  let port: number;
  let upstream: Upstream;
  let version = 0;
  let svc: Service;
  let route: Route;

  beforeEach(async () => {
    prefix = await mkdtemp(join(tmpdir(), 'archway-plugins-'));
    const logger = memoryLogger();
    store = new ConfigStore({ prefix, logger });
    proxy = new ProxyServer({ host: '127.0.0.1', port: 0, store, logger });
    port = await proxy.listen();
    upstream = await startUpstream();
    svc = makeService({ port: upstream.port });
    route = makeRoute(svc, { paths: ['/p'] });
  });
  afterEach(async () => {
    await proxy.close(0);
    await store.close(0);
    await upstream.close();
    await rm(prefix, { recursive: true, force: true });
  });

  async function apply(plugins: Record<string, unknown>[]) {
    const config = {
      ...emptyConfig(),
      services: [svc],
      routes: [route],
      consumers: [consumer],
      keyauth_credentials: [credential],
      plugins: plugins.map((p) => validatePlugin({ route: { id: route.id }, ...p }, 'create', pluginSchema)) as Plugin[],
    } as ConfigSet;
    await store.apply(makeSnapshot(++version, config));
  }

  it("answers key-auth's 401 without reaching the upstream when no key is sent", async () => {
    await apply([{ name: 'key-auth' }]);
    const res = await send(port, { path: '/p' });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body)).toMatchObject({ message: 'No API key found in request', request_id: res.headers['x-archway-request-id'] });
    expect(res.headers['www-authenticate']).toBe('Key realm="kong"');
    expect(upstream.seen).toHaveLength(0);
  });

  it('proxies with the consumer headers once key-auth identifies the consumer, hiding the key when asked', async () => {
    await apply([{ name: 'key-auth', config: { hide_credentials: true } }]);
    const res = await send(port, { path: '/p?apikey=k-alice&x=1' });
    expect(res.status).toBe(200);
    const seen = upstream.seen[0];
    expect(seen.url).toBe('/?x=1');
    expect(seen.headers['x-consumer-username']).toBe('alice');
    expect(seen.headers['x-credential-identifier']).toBe(credential.id);
  });

  it('applies response-side plugins: response-transformer adds a header the client sees', async () => {
    await apply([{ name: 'response-transformer', config: { add: { headers: ['x-added:yes'] } } }]);
    const res = await send(port, { path: '/p' });
    expect(res.status).toBe(200);
    expect(res.headers['x-added']).toBe('yes');
  });

  it('rewrites a JSON response body when a body filter asks for it, with a correct Content-Length', async () => {
    await apply([{ name: 'response-transformer', config: { add: { json: ['added:yes'] } } }]);
    const res = await send(port, { path: '/p' });
    expect(res.status).toBe(200);
    const body = JSON.parse(res.body);
    expect(body.added).toBe('yes');
    expect(body.url).toBe('/');
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.body));
  });

  it('rewrites the request body when a plugin buffers it (request-transformer on a JSON body)', async () => {
    await apply([{ name: 'request-transformer', config: { add: { body: ['added:1'] } } }]);
    const res = await send(port, { path: '/p', method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":"b"}' });
    expect(res.status).toBe(200);
    expect(JSON.parse(upstream.seen[0].body)).toEqual({ a: 'b', added: '1' });
  });

  it('answers request-termination\'s configured response', async () => {
    await apply([{ name: 'request-termination', config: { status_code: 503, message: 'down for maintenance' } }]);
    const res = await send(port, { path: '/p' });
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body)).toEqual({ message: 'down for maintenance' });
    expect(upstream.seen).toHaveLength(0);
  });

  it('NACKs (rejects) a snapshot whose plugin this data plane cannot run, and keeps serving the old one', async () => {
    await apply([]);
    const bad = validatePlugin({ name: 'key-auth', route: { id: route.id } }, 'create', pluginSchema);
    const config = { ...emptyConfig(), services: [svc], routes: [route], plugins: [{ ...bad, name: 'no-such-plugin', config: {} }] } as unknown as ConfigSet;
    await expect(store.apply(makeSnapshot(++version, config))).rejects.toThrow();
    expect((await send(port, { path: '/p' })).status).toBe(200);
  });
});
