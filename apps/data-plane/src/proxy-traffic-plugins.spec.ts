// Traffic plugins through the real proxy: ip-restriction, cors (preflight answered by the gateway,
// headers on actual responses), correlation-id (upstream header, echo_downstream) and
// request-size-limiting (by Content-Length and by the chunked body), with Kong's statuses and messages;
// a body a plugin needs buffered beyond the gateway's 16 MiB buffer is refused with 413.
import { request } from 'node:http';
import { send, type Reply } from './testing/fixtures';
import { startPluginProxy, type PluginProxy } from './testing/plugin-proxy';

let px: PluginProxy;
beforeEach(async () => {
  px = await startPluginProxy();
});
afterEach(async () => {
  await px.close();
});

/** a POST whose body goes out chunked (no Content-Length), in `chunks` */
function sendChunked(port: number, chunks: string[], headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/p', headers: { 'transfer-encoding': 'chunked', ...headers }, agent: false }, (res) => {
      const body: Buffer[] = [];
      res.on('data', (c: Buffer) => body.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(body).toString() }));
    });
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe('ip-restriction', () => {
  it("answers 403 'IP address not allowed: 127.0.0.1' to a denied client, with the request id", async () => {
    await px.apply([{ name: 'ip-restriction', config: { deny: ['127.0.0.1'] } }]);
    const res = await send(px.port, { path: '/p' });
    expect(res.status).toBe(403);
    expect(JSON.parse(res.body)).toEqual({ message: 'IP address not allowed: 127.0.0.1', request_id: res.headers['x-archway-request-id'] });
    expect(px.upstream.seen).toHaveLength(0);
  });

  it('lets only the allowed ranges through', async () => {
    await px.apply([{ name: 'ip-restriction', config: { allow: ['10.0.0.0/8'] } }]);
    expect((await send(px.port, { path: '/p' })).status).toBe(403);
    await px.apply([{ name: 'ip-restriction', config: { allow: ['10.0.0.0/8', '127.0.0.0/8'] } }]);
    expect((await send(px.port, { path: '/p' })).status).toBe(200);
  });

  it('answers with the configured status and message', async () => {
    await px.apply([{ name: 'ip-restriction', config: { deny: ['127.0.0.0/24'], status: 401, message: 'go away' } }]);
    const res = await send(px.port, { path: '/p' });
    expect(res.status).toBe(401);
    expect(JSON.parse(res.body).message).toBe('go away');
  });
});

describe('cors', () => {
  const preflight = { method: 'OPTIONS', path: '/p', headers: { origin: 'https://app.test', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'x-token' } };
  const config = { origins: ['https://app.test'], methods: ['GET', 'PUT'], max_age: 600, credentials: true, exposed_headers: ['x-upstream'] };

  it('answers a preflight itself: 200, no body, the Access-Control-* headers, upstream untouched', async () => {
    await px.apply([{ name: 'cors', config }]);
    const res = await send(px.port, preflight);
    expect(res.status).toBe(200);
    expect(res.body).toBe('');
    expect(res.headers).toMatchObject({
      'access-control-allow-origin': 'https://app.test',
      'access-control-allow-methods': 'GET,PUT',
      'access-control-allow-headers': 'x-token',
      'access-control-max-age': '600',
      'access-control-allow-credentials': 'true',
      vary: 'Origin',
    });
    expect(px.upstream.seen).toHaveLength(0);
  });

  it('adds the origin, credentials and exposed headers to an actual response from the upstream', async () => {
    await px.apply([{ name: 'cors', config }]);
    const res = await send(px.port, { path: '/p', headers: { origin: 'https://app.test' } });
    expect(res.status).toBe(200);
    expect(res.headers).toMatchObject({
      'access-control-allow-origin': 'https://app.test',
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'x-upstream',
      vary: 'Origin',
      'x-upstream': 'yes',
    });
    expect(res.headers['access-control-allow-methods']).toBeUndefined();
    expect(px.upstream.seen).toHaveLength(1);
  });

  it('sends no Access-Control-Allow-Origin to an origin no rule matches', async () => {
    await px.apply([{ name: 'cors', config: { origins: ['https://a.test', 'https://(b|c)\\.test'] } }]);
    const allowed = await send(px.port, { path: '/p', headers: { origin: 'https://c.test' } });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://c.test');
    const refused = await send(px.port, { path: '/p', headers: { origin: 'https://evil.test' } });
    expect(refused.status).toBe(200);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('sends the preflight upstream with preflight_continue', async () => {
    await px.apply([{ name: 'cors', config: { preflight_continue: true } }]);
    const res = await send(px.port, preflight);
    expect(res.status).toBe(200);
    expect(px.upstream.seen.map((s) => s.method)).toEqual(['OPTIONS']);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('correlation-id', () => {
  it('gives the upstream a Kong-Request-ID and echoes the same id to the client with echo_downstream', async () => {
    await px.apply([{ name: 'correlation-id', config: { echo_downstream: true } }]);
    const res = await send(px.port, { path: '/p' });
    const sent = px.upstream.seen[0].headers['kong-request-id'];
    expect(sent).toMatch(/^[0-9a-f-]{36}#\d+$/);
    expect(res.headers['kong-request-id']).toBe(sent);
    const next = await send(px.port, { path: '/p' });
    expect(next.headers['kong-request-id']).not.toBe(sent);
  });

  it("keeps the client's own id, and does not echo without echo_downstream", async () => {
    await px.apply([{ name: 'correlation-id', config: { header_name: 'X-Correlation-ID', generator: 'uuid' } }]);
    const res = await send(px.port, { path: '/p', headers: { 'x-correlation-id': 'client-id-1' } });
    expect(px.upstream.seen[0].headers['x-correlation-id']).toBe('client-id-1');
    expect(res.headers['x-correlation-id']).toBeUndefined();
    await send(px.port, { path: '/p' });
    expect(px.upstream.seen[1].headers['x-correlation-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('request-size-limiting', () => {
  const limit = { name: 'request-size-limiting', config: { allowed_payload_size: 10, size_unit: 'bytes' } };

  it("answers 413 'Request size limit exceeded' from Content-Length, without reaching the upstream", async () => {
    await px.apply([limit]);
    const res = await send(px.port, { method: 'POST', path: '/p', body: 'x'.repeat(11) });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toEqual({ message: 'Request size limit exceeded', request_id: res.headers['x-archway-request-id'] });
    expect(px.upstream.seen).toHaveLength(0);
  });

  it('proxies a body within the limit unchanged', async () => {
    await px.apply([limit]);
    const res = await send(px.port, { method: 'POST', path: '/p', body: 'x'.repeat(10) });
    expect(res.status).toBe(200);
    expect(px.upstream.seen[0].body).toBe('x'.repeat(10));
  });

  it('measures a chunked body: 413 over the limit, proxied within it', async () => {
    await px.apply([limit]);
    const over = await sendChunked(px.port, ['123456', '789012']);
    expect(over.status).toBe(413);
    expect(JSON.parse(over.body).message).toBe('Request size limit exceeded');
    const within = await sendChunked(px.port, ['12345', '678']);
    expect(within.status).toBe(200);
    expect(px.upstream.seen.map((s) => s.body)).toEqual(['12345678']);
  });

  it("answers 411 'A valid Content-Length header is required' to a chunked body with require_content_length", async () => {
    await px.apply([{ ...limit, config: { ...limit.config, require_content_length: true } }]);
    const res = await sendChunked(px.port, ['12']);
    expect(res.status).toBe(411);
    expect(JSON.parse(res.body).message).toBe('A valid Content-Length header is required');
    expect((await send(px.port, { method: 'POST', path: '/p', body: '12' })).status).toBe(200);
  });

  it('answers 417 instead of 413 to a client waiting on Expect: 100-continue', async () => {
    await px.apply([limit]);
    const res = await send(px.port, { method: 'POST', path: '/p', headers: { expect: '100-continue', 'content-length': '11' }, body: 'x'.repeat(11) });
    expect(res.status).toBe(417);
    expect(JSON.parse(res.body).message).toBe('Request size limit exceeded');
  });

  it('refuses from Content-Length alone, before the client sent the body', async () => {
    await px.apply([limit]);
    // the body never comes: Kong answers from the header, as the whole upload would be wasted
    const res = await new Promise<Reply>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: px.port, method: 'POST', path: '/p', headers: { 'content-length': '1000000' }, agent: false }, (r) => {
        const body: Buffer[] = [];
        r.on('data', (c: Buffer) => body.push(c));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers, body: Buffer.concat(body).toString() }));
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(res.status).toBe(413);
  });
});

describe('a request body a plugin needs, beyond the 16 MiB the gateway buffers', () => {
  const MiB = 1024 * 1024;

  /**
   * POSTs `sent` MiB of a body chunked, or announced as `length` MiB, and ends it only when `end`: an
   * unended upload waits for the answer, so no byte is in flight when the proxy closes the connection.
   */
  function upload(port: number, sent: number, opts: { length?: number; end: boolean }): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = opts.length === undefined ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(opts.length * MiB) };
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/p', headers, agent: false }, (res) => {
        const body: Buffer[] = [];
        res.on('data', (c: Buffer) => body.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(body).toString() }));
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(MiB, 120);
      let n = 0;
      const pump = () => {
        while (n < sent) {
          n++;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        if (opts.end) req.end();
      };
      pump();
    });
  }

  it("answers 413 'Request size limit exceeded' to a chunked body over the buffer, and the upstream sees nothing", async () => {
    // the default allowed_payload_size (128 MB) admits it; the gateway cannot buffer it
    await px.apply([{ name: 'request-size-limiting' }]);
    const res = await upload(px.port, 17, { end: false });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body)).toEqual({ message: 'Request size limit exceeded', request_id: res.headers['x-archway-request-id'] });
    expect(px.upstream.seen).toHaveLength(0);
    // the proxy serves on, and a body within the buffer still goes through whole
    const within = await upload(px.port, 2, { end: true });
    expect(within.status).toBe(200);
    expect(px.upstream.seen.map((s) => s.body.length)).toEqual([2 * MiB]);
  });

  it('refuses a Content-Length over the buffer before reading the body, when a plugin would read it', async () => {
    await px.apply([{ name: 'request-transformer', config: { add: { body: ['extra:1'] } } }]);
    // 1 MiB of the announced 17 is sent: the answer does not wait for the rest
    const res = await upload(px.port, 1, { length: 17, end: false });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).message).toBe('Request size limit exceeded');
    expect(px.upstream.seen).toHaveLength(0);
  });
});
