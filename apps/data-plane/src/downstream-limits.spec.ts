// Downstream limits through the real proxy listener, with raw sockets: what a client that sends too
// much, too slowly or garbage gets back, and that the proxy keeps serving afterwards.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { DownstreamLimits } from './downstream-limits';
import { makeRoute, makeService, send, startUpstream, type Upstream } from './testing/fixtures';
import { startProxy, type TestProxy } from './testing/test-proxy';

describe('downstream limits', () => {
  let px: TestProxy | undefined;
  let port: number;
  let upstream: Upstream;

  /** The proxy with `limits`, serving /echo from the upstream. */
  async function start(limits: Partial<DownstreamLimits>) {
    px = await startProxy({ limits });
    ({ port } = px);
    const svc = makeService({ port: upstream.port });
    await px.apply({ services: [svc], routes: [makeRoute(svc, { paths: ['/echo'] })] });
  }

  beforeEach(async () => {
    upstream = await startUpstream();
  });
  afterEach(async () => {
    await px?.close();
    px = undefined;
    await upstream.close();
  });

  /** Opens a raw connection, writes `data`, and collects everything until the server closes it. */
  async function raw(data: string | null, socket?: Socket): Promise<string> {
    const s = socket ?? connect(port, '127.0.0.1');
    if (!socket) await once(s, 'connect');
    let text = '';
    s.on('data', (c: Buffer) => (text += c.toString()));
    s.on('error', () => undefined);
    if (data !== null) s.write(data);
    await once(s, 'close');
    return text;
  }

  it("answers 431 'Request header or cookie too large' when the headers exceed ARCHWAY_MAX_HEADER_SIZE, and keeps serving", async () => {
    await start({ maxHeaderSize: 1024 });
    const reply = await raw(`GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(2000)}\r\n\r\n`);
    expect(reply).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(reply).toMatch(/Connection: close/);
    expect(JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)).message).toBe('Request header or cookie too large');
    expect((await send(port, { path: '/echo', headers: { 'x-small': 'a'.repeat(200) } })).status).toBe(200);
  });

  it("answers 408 'Request timeout' to a client whose headers do not arrive in time (slow-client protection)", async () => {
    await start({ headersTimeoutMs: 300 });
    const s = connect(port, '127.0.0.1');
    await once(s, 'connect');
    s.write('GET /echo HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n'); // and nothing more
    const reply = await raw(null, s);
    expect(reply).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    const body = JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)) as { message: string; request_id: string };
    expect(body.message).toBe('Request timeout');
    expect(reply).toContain(`X-Archway-Request-Id: ${body.request_id}\r\n`);
    expect(upstream.seen).toHaveLength(0);
  });

  it("answers 408 'Request timeout' in the client's Accept format, with its request id, when the body stalls past ARCHWAY_REQUEST_TIMEOUT", async () => {
    await start({ requestTimeoutMs: 400, headersTimeoutMs: 400 });
    for (const [accept, type, pattern] of [
      ['text/html', 'text/html', /<p>Request timeout\.<\/p>\n {4}<p>request_id: ([0-9a-f]{32})<\/p>/],
      ['text/plain', 'text/plain', /^Request timeout\nrequest_id: ([0-9a-f]{32})\n$/],
      ['application/json', 'application/json', /^\{\n {2}"message":"Request timeout",\n {2}"request_id":"([0-9a-f]{32})"\n\}$/],
    ] as const) {
      const s = connect(port, '127.0.0.1');
      await once(s, 'connect');
      s.write(`POST /echo HTTP/1.1\r\nHost: x\r\nAccept: ${accept}\r\nContent-Length: 100\r\n\r\nonly-a-little`);
      const reply = await raw(null, s); // resolves: the proxy answered and closed the connection
      expect(reply).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(reply).toMatch(/\r\nConnection: close\r\n/i);
      expect(reply).toContain(`Content-Type: ${type}; charset=utf-8`);
      const id = pattern.exec(reply.slice(reply.indexOf('\r\n\r\n') + 4))?.[1];
      expect(id).toBeDefined();
      expect(reply).toContain(`X-Archway-Request-Id: ${id}\r\n`);
    }
    // the upstream never got a whole request, and the proxy keeps serving
    expect(upstream.seen).toHaveLength(0);
    expect((await send(port, { path: '/echo' })).status).toBe(200);
  });

  it('answers 400 to malformed requests and never crashes', async () => {
    await start({});
    for (const garbage of ['NOT HTTP AT ALL\r\n\r\n', 'GET /echo HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n', 'GET /echo HTTP/9.9\r\n\r\n', '\x00\x01\x02\r\n\r\n']) {
      const reply = await raw(garbage);
      expect(reply).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)).message).toBe('Bad request');
    }
    expect((await send(port, { path: '/echo' })).status).toBe(200);
  });

  it('closes an idle keep-alive connection after ARCHWAY_KEEPALIVE_TIMEOUT', async () => {
    await start({ keepAliveTimeoutMs: 200 });
    const s = connect(port, '127.0.0.1');
    await once(s, 'connect');
    const reply = await raw('GET /echo HTTP/1.1\r\nHost: x\r\n\r\n', s); // resolves once the server closes it
    expect(reply).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
  });
});
