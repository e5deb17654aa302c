// Downstream limits on the TLS listener, HTTP/1.1 and HTTP/2, through the real proxy: the same header
// size, slow-client and keep-alive limits as the plain listener (downstream-limits.spec.ts).
import { once } from 'node:events';
import { connect as h2connect, type ClientHttp2Session, type IncomingHttpHeaders as H2Headers } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import type { DownstreamLimits } from './downstream-limits';
import { makeRoute, makeService, startUpstream, type Upstream } from './testing/fixtures';
import { startProxy, type TestProxy } from './testing/test-proxy';

describe('downstream limits on the TLS listener', () => {
  let px: TestProxy | undefined;
  let tlsPort: number;
  let upstream: Upstream;
  const sessions: ClientHttp2Session[] = [];

  /** The proxy with its TLS listener and `limits`, serving /echo from the upstream. */
  async function start(limits: Partial<DownstreamLimits>) {
    px = await startProxy({ tls: true, limits });
    ({ tlsPort } = px);
    const svc = makeService({ port: upstream.port });
    await px.apply({ services: [svc], routes: [makeRoute(svc, { paths: ['/echo'] })] });
  }

  beforeEach(async () => {
    upstream = await startUpstream();
  });
  afterEach(async () => {
    for (const s of sessions.splice(0)) s.destroy();
    await px?.close();
    px = undefined;
    await upstream.close();
  });

  /** An HTTP/1.1-over-TLS connection. */
  async function tls1(): Promise<TLSSocket> {
    const s = tlsConnect({ host: '127.0.0.1', port: tlsPort, servername: 'api.test', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    await once(s, 'secureConnect');
    return s;
  }

  /** Writes `data` (if any) and collects everything until the server closes the connection. */
  async function untilClosed(s: TLSSocket, data: string | null): Promise<string> {
    let text = '';
    s.on('data', (c: Buffer) => (text += c.toString()));
    s.on('error', () => undefined);
    if (data !== null) s.write(data);
    await once(s, 'close');
    return text;
  }

  function h2(): ClientHttp2Session {
    const session = h2connect(`https://127.0.0.1:${tlsPort}`, { rejectUnauthorized: false, servername: 'api.test' });
    session.on('error', () => undefined);
    sessions.push(session);
    return session;
  }

  /** One HTTP/2 request; `body` parts are written in turn and the stream ended unless `stall`. */
  function h2Request(session: ClientHttp2Session, headers: Record<string, string>, body: string | null = null, stall = false) {
    return new Promise<{ headers: H2Headers; body: string }>((resolve, reject) => {
      const stream = session.request({ ':path': '/echo', ...headers }, { endStream: body === null });
      let text = '';
      let head: H2Headers = {};
      stream.on('response', (h) => (head = h));
      stream.on('data', (c: Buffer) => (text += c.toString()));
      stream.on('close', () => resolve({ headers: head, body: text }));
      stream.on('error', reject);
      if (body !== null) {
        if (stall) stream.write(body);
        else stream.end(body);
      }
    });
  }

  describe('HTTP/1.1', () => {
    it("answers 431 'Request header or cookie too large' beyond ARCHWAY_MAX_HEADER_SIZE, and keeps serving", async () => {
      await start({ maxHeaderSize: 1024 });
      const reply = await untilClosed(await tls1(), `GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(2000)}\r\n\r\n`);
      expect(reply).toMatch(/^HTTP\/1\.1 431 /);
      expect(JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)).message).toBe('Request header or cookie too large');
      const ok = await untilClosed(await tls1(), `GET /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Small: ${'a'.repeat(200)}\r\n\r\n`);
      expect(ok).toMatch(/^HTTP\/1\.1 200 /);
    });

    it("answers 408 'Request timeout' to a client whose headers do not arrive in time", async () => {
      await start({ headersTimeoutMs: 300 });
      const reply = await untilClosed(await tls1(), 'GET /echo HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n');
      expect(reply).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4)).message).toBe('Request timeout');
      expect(upstream.seen).toHaveLength(0);
    });

    it('answers 408 in the Accept format when the body stalls past ARCHWAY_REQUEST_TIMEOUT', async () => {
      await start({ requestTimeoutMs: 400, headersTimeoutMs: 400 });
      const reply = await untilClosed(await tls1(), 'POST /echo HTTP/1.1\r\nHost: x\r\nAccept: text/plain\r\nContent-Length: 100\r\n\r\nonly-a-little');
      expect(reply).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(reply.slice(reply.indexOf('\r\n\r\n') + 4)).toMatch(/^Request timeout\nrequest_id: [0-9a-f]{32}\n$/);
      expect(upstream.seen).toHaveLength(0);
    });

    it('closes an idle keep-alive connection after ARCHWAY_KEEPALIVE_TIMEOUT', async () => {
      await start({ keepAliveTimeoutMs: 200 });
      const reply = await untilClosed(await tls1(), 'GET /echo HTTP/1.1\r\nHost: x\r\n\r\n'); // resolves once the server closes it
      expect(reply).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    });

    it('drops a connection that does not complete its TLS handshake within the headers timeout', async () => {
      await start({ headersTimeoutMs: 300 });
      const s = netConnect(tlsPort, '127.0.0.1');
      s.on('error', () => undefined);
      await once(s, 'connect');
      const closed = once(s, 'close');
      const timer = setTimeout(() => s.destroy(new Error('still open after 5 s')), 5_000);
      await closed;
      clearTimeout(timer);
      expect(s.errored).toBeNull();
    });
  });

  describe('HTTP/2', () => {
    it("answers 431 'Request header or cookie too large' beyond ARCHWAY_MAX_HEADER_SIZE on the stream, and serves the next one", async () => {
      await start({ maxHeaderSize: 1024 });
      const session = h2();
      const big = await h2Request(session, { 'x-big': 'a'.repeat(2000) });
      expect(big.headers[':status']).toBe(431);
      expect(JSON.parse(big.body).message).toBe('Request header or cookie too large');
      expect(upstream.seen).toHaveLength(0);
      expect((await h2Request(session, { 'x-small': 'a'.repeat(200) })).headers[':status']).toBe(200);
    });

    it('answers 408 in the Accept format to a stream whose body stalls past ARCHWAY_REQUEST_TIMEOUT', async () => {
      await start({ requestTimeoutMs: 400 });
      const reply = await h2Request(h2(), { ':method': 'POST', accept: 'text/plain' }, 'only-a-little', true);
      expect(reply.headers[':status']).toBe(408);
      expect(reply.body).toMatch(/^Request timeout\nrequest_id: ([0-9a-f]{32})\n$/);
      expect(reply.headers['x-archway-request-id']).toBe(/request_id: ([0-9a-f]{32})/.exec(reply.body)?.[1]);
      expect(upstream.seen).toHaveLength(0);
    });

    it('closes a session idle for ARCHWAY_KEEPALIVE_TIMEOUT after its last request', async () => {
      await start({ keepAliveTimeoutMs: 200 });
      const session = h2();
      const closed = once(session, 'close');
      expect((await h2Request(session, {})).headers[':status']).toBe(200);
      await closed; // the server sent GOAWAY and closed it
      expect(session.destroyed).toBe(true);
    });

    it('closes a session that sends no request within the headers timeout', async () => {
      await start({ headersTimeoutMs: 300 });
      const session = h2();
      await once(session, 'connect');
      await once(session, 'close');
      expect(session.destroyed).toBe(true);
    });
  });
});
