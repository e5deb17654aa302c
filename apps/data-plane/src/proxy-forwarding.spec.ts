// ARCHWAY_TRUSTED_IPS and ARCHWAY_HEADERS through the real proxy: which X-Forwarded-* headers reach the
// upstream for trusted and untrusted peers, and which informational headers reach the client.
import { ALL_RESPONSE_HEADERS, parseCidr, type Cidr, type ResponseHeaderFlags } from '@archway/config';
import { configureResponseHeaders } from './response-headers-setting';
import { makeRoute, makeService, send, startUpstream, type Upstream } from './testing/fixtures';
import { startProxy, type TestProxy } from './testing/test-proxy';
import { configureTrustedIps } from './trusted-ips';

const CLIENT_FORWARDED = {
  'x-forwarded-proto': 'https',
  'x-forwarded-host': 'public.example.com',
  'x-forwarded-port': '443',
  'x-forwarded-path': '/outer/echo/x',
  'x-forwarded-prefix': '/outer',
  'x-forwarded-for': '203.0.113.9',
};

describe('forwarded and informational headers', () => {
  let px: TestProxy;
  let port: number;
  let upstream: Upstream;

  beforeEach(async () => {
    px = await startProxy();
    ({ port } = px);
    upstream = await startUpstream();
    const svc = makeService({ port: upstream.port });
    await px.apply({ services: [svc], routes: [makeRoute(svc, { paths: ['/echo'] })] });
  });
  afterEach(async () => {
    configureTrustedIps([]);
    configureResponseHeaders(ALL_RESPONSE_HEADERS);
    await px.close();
    await upstream.close();
  });

  const trust = (...list: string[]) => configureTrustedIps(list.map((t) => parseCidr(t) as Cidr));
  const seenHeaders = async () => {
    const res = await send(port, { path: '/echo/x', headers: { host: 'inner.test:8000', ...CLIENT_FORWARDED } });
    expect(res.status).toBe(200);
    return JSON.parse(res.body).headers as Record<string, string>;
  };

  it('overwrites X-Forwarded-Proto/Host/Port/Path and drops X-Forwarded-Prefix from an untrusted peer (Kong default)', async () => {
    const h = await seenHeaders();
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h['x-forwarded-host']).toBe('inner.test');
    expect(h['x-forwarded-port']).toBe(String(port));
    expect(h['x-forwarded-path']).toBe('/echo/x');
    expect(h['x-forwarded-prefix']).toBeUndefined();
    expect(h['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
  });

  it('forwards X-Forwarded-Proto/Host/Port/Path/Prefix as sent by a peer in ARCHWAY_TRUSTED_IPS, X-Forwarded-For appended', async () => {
    trust('10.0.0.0/8', '127.0.0.0/8');
    const h = await seenHeaders();
    expect(h).toMatchObject({ ...CLIENT_FORWARDED, 'x-forwarded-for': '203.0.113.9, 127.0.0.1', 'x-real-ip': '127.0.0.1' });
  });

  it('fills in what a trusted peer did not send', async () => {
    trust('0.0.0.0/0', '::/0');
    const res = await send(port, { path: '/echo/y', headers: { host: 'inner.test', 'x-forwarded-proto': 'https' } });
    const h = JSON.parse(res.body).headers as Record<string, string>;
    expect(h).toMatchObject({ 'x-forwarded-proto': 'https', 'x-forwarded-host': 'inner.test', 'x-forwarded-port': String(port), 'x-forwarded-path': '/echo/y' });
    expect(h['x-forwarded-prefix']).toBeUndefined();
  });

  it('does not trust a peer outside the listed blocks', async () => {
    trust('10.0.0.0/8', '::1');
    expect((await seenHeaders())['x-forwarded-proto']).toBe('http');
  });

  const flags = (on: Partial<ResponseHeaderFlags>): ResponseHeaderFlags => ({
    server: false, via: false, proxyLatency: false, upstreamLatency: false, responseLatency: false, requestId: false, ...on,
  });

  it('sends Via, latency and request id headers by default, and none of them with ARCHWAY_HEADERS=off', async () => {
    const on = await send(port, { path: '/echo' });
    expect(on.headers).toMatchObject({ via: expect.stringMatching(/archway/), 'x-archway-request-id': expect.any(String) });
    expect(on.headers['x-archway-upstream-latency']).toMatch(/^\d+$/);
    configureResponseHeaders(flags({}));
    const proxied = await send(port, { path: '/echo' });
    expect(proxied.status).toBe(200);
    for (const name of ['via', 'x-archway-upstream-latency', 'x-archway-proxy-latency', 'x-archway-request-id']) expect(proxied.headers[name]).toBeUndefined();
    const generated = await send(port, { path: '/nowhere' });
    expect(generated.status).toBe(404);
    for (const name of ['server', 'x-archway-response-latency', 'x-archway-request-id']) expect(generated.headers[name]).toBeUndefined();
    expect(JSON.parse(generated.body).request_id).toMatch(/^[0-9a-f]{32}$/); // the body keeps it
  });

  it('sends only Via and Server with server_tokens, only the latencies with latency_tokens', async () => {
    configureResponseHeaders(flags({ server: true, via: true }));
    const proxied = await send(port, { path: '/echo' });
    expect(proxied.headers.via).toMatch(/archway/);
    expect(proxied.headers['x-archway-proxy-latency']).toBeUndefined();
    expect((await send(port, { path: '/nowhere' })).headers.server).toMatch(/^archway\//);
    configureResponseHeaders(flags({ proxyLatency: true, upstreamLatency: true, responseLatency: true }));
    const timed = await send(port, { path: '/echo' });
    expect(timed.headers.via).toBeUndefined();
    expect(Number(timed.headers['x-archway-proxy-latency'])).toBeGreaterThanOrEqual(0);
    const generated = await send(port, { path: '/nowhere' });
    expect(generated.headers['x-archway-response-latency']).toMatch(/^\d+$/);
    expect(generated.headers.server).toBeUndefined();
  });
});
