// canary through the real proxy: two real upstreams, the share changed by applying new snapshots.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pluginSchema } from '@archway/plugins';
import { emptyConfig, makeSnapshot, validatePlugin, type ConfigSet, type Plugin, type Route, type Service } from '@archway/schema';
import { ConfigStore } from './config-store';
import { ProxyServer } from './proxy-server';
import { makeRoute, makeService, memoryLogger, send, startUpstream, type Upstream } from './testing/fixtures';

describe('canary through the proxy', () => {
  let prefix: string;
  let store: ConfigStore;
  let proxy: ProxyServer;
  let port: number;
  let stable: Upstream;
  let canary: Upstream;
  let version = 0;
  let svc: Service;
  let canarySvc: Service;
  let route: Route;

  beforeEach(async () => {
    prefix = await mkdtemp(join(tmpdir(), 'archway-canary-'));
    const logger = memoryLogger();
    store = new ConfigStore({ prefix, logger });
    proxy = new ProxyServer({ host: '127.0.0.1', port: 0, store, logger });
    port = await proxy.listen();
    stable = await startUpstream();
    canary = await startUpstream();
    svc = makeService({ port: stable.port, path: '/v1' });
    canarySvc = makeService({ port: canary.port, path: '/v2' });
    route = makeRoute(svc, { paths: ['/api'] });
  });
  afterEach(async () => {
    await proxy.close(0);
    await store.close(0);
    await stable.close();
    await canary.close();
    await rm(prefix, { recursive: true, force: true });
  });

  async function applyCanary(config: Record<string, unknown>) {
    const plugin = validatePlugin({ name: 'canary', route: { id: route.id }, config }, 'create', pluginSchema) as Plugin;
    const set = { ...emptyConfig(), services: [svc, canarySvc], routes: [route], plugins: [plugin] } as ConfigSet;
    await store.apply(makeSnapshot(++version, set));
  }

  it('sends every request to the canary host and port at 100%, with its Host header, then none at 0% after a config change', async () => {
    await applyCanary({ percentage: 100, upstream_host: '127.0.0.1', upstream_port: canary.port });
    for (let i = 0; i < 3; i++) expect((await send(port, { path: '/api/users?x=1' })).status).toBe(200);
    expect(canary.seen.map((s) => s.url)).toEqual(['/v1/users?x=1', '/v1/users?x=1', '/v1/users?x=1']);
    expect(canary.seen[0].headers.host).toBe(`127.0.0.1:${canary.port}`);
    expect(stable.seen).toHaveLength(0);

    await applyCanary({ percentage: 0, upstream_host: '127.0.0.1', upstream_port: canary.port });
    await send(port, { path: '/api/users' });
    expect(stable.seen.map((s) => s.url)).toEqual(['/v1/users']);
    expect(canary.seen).toHaveLength(3);
  });

  it('splits by a header value, keeping each value on one upstream', async () => {
    await applyCanary({ percentage: 50, hash: 'header', hash_header: 'x-user', upstream_port: canary.port });
    const sideOf = async (user: string) => {
      const res = await send(port, { path: '/api', headers: { 'x-user': user } });
      return (JSON.parse(res.body) as { headers: { host: string } }).headers.host.endsWith(`:${canary.port}`);
    };
    const first: boolean[] = [];
    for (let i = 0; i < 40; i++) first.push(await sideOf(`user-${i}`));
    expect(first).toContain(true);
    expect(first).toContain(false);
    for (let i = 0; i < 40; i++) expect(await sideOf(`user-${i}`)).toBe(first[i]);
  });

  it('lets the canary_by_header_name header force "always" and "never"', async () => {
    await applyCanary({ percentage: 0, upstream_port: canary.port, canary_by_header_name: 'x-canary' });
    await send(port, { path: '/api', headers: { 'x-canary': 'always' } });
    expect(canary.seen).toHaveLength(1);
    await applyCanary({ percentage: 100, upstream_port: canary.port, canary_by_header_name: 'x-canary' });
    await send(port, { path: '/api', headers: { 'x-canary': 'never' } });
    expect(stable.seen).toHaveLength(1);
  });

  it('replaces the upstream path with upstream_uri, keeping the query', async () => {
    await applyCanary({ percentage: 100, upstream_uri: '/canary/landing' });
    await send(port, { path: '/api/users?page=2' });
    expect(stable.seen[0].url).toBe('/canary/landing?page=2');
  });

  it("sends to target_service's upstream with the path moved onto that service's path", async () => {
    await applyCanary({ percentage: 100, target_service: { id: canarySvc.id } });
    const res = await send(port, { path: '/api/users/7' });
    expect(res.status).toBe(200);
    expect(canary.seen[0].url).toBe('/v2/users/7');
    expect(canary.seen[0].headers.host).toBe(`127.0.0.1:${canary.port}`);
    expect(stable.seen).toHaveLength(0);
  });

  it('answers 503 when target_service names a service this data plane does not have', async () => {
    await applyCanary({ percentage: 100, target_service: { id: '6f1b9f0e-3f7e-4b8e-9a0a-3c1f4e2b7d10' } });
    const res = await send(port, { path: '/api' });
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body)).toMatchObject({ message: 'The upstream server is currently unavailable' });
    expect(stable.seen).toHaveLength(0);
  });
});
