// canary through the real proxy: two real upstreams, the share changed by applying new snapshots.
import type { Service } from '@archway/schema';
import { makeService, send, startUpstream, type Upstream } from './testing/fixtures';
import { startPluginProxy, type PluginProxy } from './testing/plugin-proxy';

describe('canary through the proxy', () => {
  let px: PluginProxy;
  let stable: Upstream;
  let canary: Upstream;
  let canarySvc: Service;

  beforeEach(async () => {
    px = await startPluginProxy({ service: { path: '/v1' }, route: { paths: ['/api'] } });
    stable = px.upstream;
    canary = await startUpstream();
    canarySvc = makeService({ port: canary.port, path: '/v2' });
  });
  afterEach(async () => {
    await px.close();
    await canary.close();
  });

  const applyCanary = (config: Record<string, unknown>) => px.apply([{ name: 'canary', config }], { services: [canarySvc] });

  it('sends every request to the canary host and port at 100%, with its Host header, then none at 0% after a config change', async () => {
    await applyCanary({ percentage: 100, upstream_host: '127.0.0.1', upstream_port: canary.port });
    for (let i = 0; i < 3; i++) expect((await send(px.port, { path: '/api/users?x=1' })).status).toBe(200);
    expect(canary.seen.map((s) => s.url)).toEqual(['/v1/users?x=1', '/v1/users?x=1', '/v1/users?x=1']);
    expect(canary.seen[0].headers.host).toBe(`127.0.0.1:${canary.port}`);
    expect(stable.seen).toHaveLength(0);

    await applyCanary({ percentage: 0, upstream_host: '127.0.0.1', upstream_port: canary.port });
    await send(px.port, { path: '/api/users' });
    expect(stable.seen.map((s) => s.url)).toEqual(['/v1/users']);
    expect(canary.seen).toHaveLength(3);
  });

  it('splits by a header value, keeping each value on one upstream', async () => {
    await applyCanary({ percentage: 50, hash: 'header', hash_header: 'x-user', upstream_port: canary.port });
    const sideOf = async (user: string) => {
      const res = await send(px.port, { path: '/api', headers: { 'x-user': user } });
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
    await send(px.port, { path: '/api', headers: { 'x-canary': 'always' } });
    expect(canary.seen).toHaveLength(1);
    await applyCanary({ percentage: 100, upstream_port: canary.port, canary_by_header_name: 'x-canary' });
    await send(px.port, { path: '/api', headers: { 'x-canary': 'never' } });
    expect(stable.seen).toHaveLength(1);
  });

  it('replaces the upstream path with upstream_uri, keeping the query', async () => {
    await applyCanary({ percentage: 100, upstream_uri: '/canary/landing' });
    await send(px.port, { path: '/api/users?page=2' });
    expect(stable.seen[0].url).toBe('/canary/landing?page=2');
  });

  it("sends to target_service's upstream with the path moved onto that service's path", async () => {
    await applyCanary({ percentage: 100, target_service: { id: canarySvc.id } });
    const res = await send(px.port, { path: '/api/users/7' });
    expect(res.status).toBe(200);
    expect(canary.seen[0].url).toBe('/v2/users/7');
    expect(canary.seen[0].headers.host).toBe(`127.0.0.1:${canary.port}`);
    expect(stable.seen).toHaveLength(0);
  });

  it('answers 503 when target_service names a service this data plane does not have', async () => {
    await applyCanary({ percentage: 100, target_service: { id: '6f1b9f0e-3f7e-4b8e-9a0a-3c1f4e2b7d10' } });
    const res = await send(px.port, { path: '/api' });
    expect(res.status).toBe(503);
    expect(JSON.parse(res.body)).toMatchObject({ message: 'The upstream server is currently unavailable' });
    expect(stable.seen).toHaveLength(0);
  });
});
