import { runPlugin } from '../testing/spec-kit';
import { corsHandler } from './handler';

const preflight = (origin: string, extra: Record<string, string> = {}) => ({
  method: 'OPTIONS',
  headers: { origin, 'access-control-request-method': 'POST', ...extra },
});
const run = (config: Record<string, unknown>, req: { method?: string; headers?: Record<string, string> }, res?: { headers?: Record<string, string> }) =>
  runPlugin(corsHandler, config, req, { res: res ?? { status: 200, headers: {} } });

describe('cors', () => {
  it('answers a preflight with 200 and Kong’s default headers (any origin, all methods, echoed request headers)', async () => {
    const { ctx } = await run({}, preflight('http://a.test', { 'access-control-request-headers': 'X-Foo' }));
    expect(ctx.exitResponse).toEqual({
      status: 200,
      body: null,
      error: false,
      headers: {
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Allow-Headers': 'X-Foo',
        'Access-Control-Allow-Methods': 'GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT',
      },
    });
    // header_filter adds nothing more to an answered preflight
    expect(ctx.responseHeaders['vary']).toBeUndefined();
  });

  it('answers a preflight with the configured headers, methods, max age, credentials and private network', async () => {
    const config = { origins: ['http://a.test'], headers: ['X-A', 'X-B'], methods: ['GET', 'POST'], max_age: 3600, credentials: true, private_network: true };
    const { ctx } = await run(config, preflight('http://a.test', { 'access-control-request-private-network': 'true' }));
    expect(ctx.exitResponse?.headers).toEqual({
      'Access-Control-Allow-Origin': 'http://a.test',
      'Access-Control-Allow-Credentials': 'true',
      'Access-Control-Allow-Headers': 'X-A,X-B',
      'Access-Control-Allow-Methods': 'GET,POST',
      'Access-Control-Max-Age': '3600',
      'Access-Control-Allow-Private-Network': 'true',
      Vary: 'Origin',
    });
  });

  it('lets the preflight reach the upstream untouched when preflight_continue is on', async () => {
    const { ctx } = await run({ preflight_continue: true }, preflight('http://a.test'), { headers: { 'x-up': '1' } });
    expect(ctx.exitResponse).toBeNull();
    expect(ctx.responseHeaders['access-control-allow-origin']).toBeUndefined();
  });

  it('adds Access-Control-Allow-Origin: * and Expose-Headers to actual responses', async () => {
    const { ctx } = await run({ exposed_headers: ['X-Total'] }, { headers: { origin: 'http://a.test' } });
    expect(ctx.responseHeaders).toMatchObject({ 'access-control-allow-origin': '*', 'access-control-expose-headers': 'X-Total' });
  });

  it('echoes a matching origin (exact, normalized or regex) with Vary: Origin, and sends no ACAO to others', async () => {
    const config = { origins: ['https://a.test', '(.*)\\.b\\.test'] };
    const ok = await run(config, { headers: { origin: 'https://a.test:443' } }, { headers: { vary: 'Accept-Encoding' } });
    expect(ok.ctx.responseHeaders).toMatchObject({ 'access-control-allow-origin': 'https://a.test:443', vary: 'Accept-Encoding, Origin' });
    expect((await run(config, { headers: { origin: 'http://x.b.test' } })).ctx.responseHeaders['access-control-allow-origin']).toBe('http://x.b.test');
    const no = await run(config, { headers: { origin: 'http://evil.test' } });
    expect(no.ctx.responseHeaders['access-control-allow-origin']).toBeUndefined();
    expect(no.ctx.responseHeaders.vary).toBe('Origin');
  });

  it('always sends a single plain origin as configured', async () => {
    const { ctx } = await run({ origins: ['http://a.test'] }, { headers: { origin: 'http://other.test' } });
    expect(ctx.responseHeaders['access-control-allow-origin']).toBe('http://a.test');
  });

  it('echoes the origin instead of * when credentials are allowed', async () => {
    const { ctx } = await run({ credentials: true }, { headers: { origin: 'http://a.test' } });
    expect(ctx.responseHeaders).toMatchObject({ 'access-control-allow-origin': 'http://a.test', 'access-control-allow-credentials': 'true', vary: 'Origin' });
  });

  it('adds no headers to requests without Origin when allow_origin_absent is off', async () => {
    expect((await run({ allow_origin_absent: false }, {})).ctx.responseHeaders['access-control-allow-origin']).toBeUndefined();
    expect((await run({}, {})).ctx.responseHeaders['access-control-allow-origin']).toBe('*');
  });
});
