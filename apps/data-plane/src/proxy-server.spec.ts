import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import type { Route, Service } from '@archway/schema';
import type { ProxyServer } from './proxy-server';
import { closedPort, makeRoute, makeService, send, startUpstream, type Upstream } from './testing/fixtures';
import { startProxy, type TestProxy } from './testing/test-proxy';

describe('proxy server', () => {
  let px: TestProxy;
  let proxy: ProxyServer;
  let port: number;
  let upstream: Upstream;
  let logger: TestProxy['logger'];
  const apply = (services: Service[], routes: Route[]) => px.apply({ services, routes });

  beforeEach(async () => {
    px = await startProxy();
    ({ proxy, port, logger } = px);
    upstream = await startUpstream();
  });
  afterEach(async () => {
    await px.close();
    await upstream.close();
  });

  /** One service at the echo upstream with one route; extra fields go to the service and route. */
  async function route(routeFields: Record<string, unknown> = {}, serviceFields: Record<string, unknown> = {}) {
    const svc = makeService({ port: upstream.port, ...serviceFields });
    await apply([svc], [makeRoute(svc, { paths: ['/echo'], ...routeFields })]);
    return svc;
  }

  it('proxies a GET and returns the upstream response with Via, latency and request id headers', async () => {
    await route();
    const res = await send(port, { path: '/echo/items?b=2&a=%20x' });
    expect(res.status).toBe(200);
    expect(res.headers['x-upstream']).toBe('yes');
    expect(res.headers.via).toMatch(/^1\.1 archway\/\S+$/);
    expect(Number(res.headers['x-archway-upstream-latency'])).toBeGreaterThanOrEqual(0);
    expect(Number(res.headers['x-archway-proxy-latency'])).toBeGreaterThanOrEqual(0);
    expect(res.headers['x-archway-request-id']).toMatch(/^[0-9a-f]{32}$/);
    const seen = JSON.parse(res.body);
    expect(seen.method).toBe('GET');
    expect(seen.url).toBe('/items?b=2&a=%20x'); // strip_path (default true), query untouched
  });

  it('sets X-Real-IP, appends X-Forwarded-For, overwrites X-Forwarded-Proto/Host/Port and sends the service Host', async () => {
    await route();
    await send(port, {
      path: '/echo',
      headers: {
        host: 'Gateway.Example.com:8000',
        'x-forwarded-for': '203.0.113.9',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'evil.test',
        'x-forwarded-port': '1',
        via: '1.0 edge',
      },
    });
    const h = upstream.seen[0].headers;
    expect(h.host).toBe(`127.0.0.1:${upstream.port}`);
    expect(h['x-real-ip']).toBe('127.0.0.1');
    expect(h['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
    expect(h['x-forwarded-proto']).toBe('http');
    expect(h['x-forwarded-host']).toBe('gateway.example.com');
    expect(h['x-forwarded-port']).toBe(String(port));
    expect(h.via).toMatch(/^1\.0 edge, 1\.1 archway\//);
    expect(h['x-archway-request-id']).toMatch(/^[0-9a-f]{32}$/);
  });

  it('removes hop-by-hop headers, including those the Connection header names, both ways', async () => {
    await route();
    const res = await send(port, {
      path: '/echo',
      headers: { connection: 'keep-alive, x-secret', 'x-secret': 's', 'keep-alive': 'timeout=5', te: 'trailers', 'proxy-authorization': 'p', 'x-kept': 'k' },
    });
    const h = upstream.seen[0].headers;
    expect(h['x-kept']).toBe('k');
    for (const name of ['x-secret', 'keep-alive', 'te', 'proxy-authorization']) expect(h[name]).toBeUndefined();
    expect(res.headers['x-hop']).toBeUndefined(); // named by the upstream's Connection header
  });

  it('keeps the path with strip_path off, joins the service path, and preserves the client Host when asked', async () => {
    await route({ strip_path: false, preserve_host: true }, { path: '/base' });
    await send(port, { path: '/echo/x?q=1', headers: { host: 'client.example:9999' } });
    expect(upstream.seen[0].url).toBe('/base/echo/x?q=1');
    expect(upstream.seen[0].headers.host).toBe('client.example:9999');
  });

  it('streams request and response bodies without buffering them', async () => {
    await upstream.close();
    upstream = await startUpstream((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      req.on('data', (c: Buffer) => res.write(`echo:${c.toString()}`));
      req.on('end', () => res.end());
    });
    await route();
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/echo', agent: false });
    req.flushHeaders();
    req.write('first');
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    const received: string[] = [];
    res.on('data', (c: Buffer) => received.push(c.toString()));
    // the echo of the first chunk arrives while the request body is still open
    while (!received.join('').includes('echo:first')) await new Promise((r) => setTimeout(r, 5));
    req.end('second');
    await once(res, 'end');
    expect(received.join('')).toBe('echo:firstecho:second');
  });

  it('passes a POST body with a Content-Length through intact', async () => {
    await route();
    const body = JSON.stringify({ hello: 'world'.repeat(5000) });
    const res = await send(port, { method: 'POST', path: '/echo', body, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
    expect(upstream.seen[0].body).toBe(body);
    expect(upstream.seen[0].headers['content-length']).toBe(String(Buffer.byteLength(body)));
  });

  it("404 'no Route matched with those values' with the request id, when nothing matches", async () => {
    await route();
    const res = await send(port, { path: '/nowhere' });
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers.server).toMatch(/^archway\//);
    expect(res.headers['x-archway-response-latency']).toMatch(/^\d+$/);
    expect(JSON.parse(res.body)).toEqual({ message: 'no Route matched with those values', request_id: res.headers['x-archway-request-id'] });
  });

  it('404 for every request while no configuration is loaded', async () => {
    const res = await send(port, { path: '/echo' });
    expect(res.status).toBe(404);
  });

  it('answers in text/plain or HTML when Accept asks for it', async () => {
    const text = await send(port, { path: '/x', headers: { accept: 'text/plain' } });
    expect(text.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(text.body).toBe(`no Route matched with those values\nrequest_id: ${text.headers['x-archway-request-id']}\n`);
    const html = await send(port, { path: '/x', headers: { accept: 'application/json;q=0.5, text/html' } });
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(html.body).toContain('<p>no Route matched with those values.</p>');
  });

  it("502 'An invalid response was received from the upstream server' when the upstream refuses connections", async () => {
    const dead = makeService({ port: await closedPort(), retries: 2 });
    await apply([dead], [makeRoute(dead, { paths: ['/dead'] })]);
    const res = await send(port, { path: '/dead' });
    expect(res.status).toBe(502);
    expect(JSON.parse(res.body).message).toBe('An invalid response was received from the upstream server');
    // the first try plus service.retries more, all refused before any byte was sent
    expect(logger.lines.find((l) => l.msg === 'upstream request failed')?.tries).toBe(3);
  });

  describe('a keep-alive connection the upstream closes as the next request arrives', () => {
    // a raw upstream: the first request on a connection is answered (kept alive), the next one on the
    // same connection finds it closed, unanswered ("other side closed"), as when the upstream's
    // keepalive_timeout ends just as the proxy reuses the connection
    let stale: { port: number; connections: number; close(): Promise<void> };
    beforeEach(async () => {
      const sockets = new Set<Socket>();
      const server = createServer((socket) => {
        stale.connections++;
        sockets.add(socket);
        let seen = 0;
        socket.on('data', (chunk) => {
          seen += chunk.toString('latin1').split('HTTP/1.1\r\n').length - 1;
          if (seen === 1) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok');
          else socket.destroy();
        });
        socket.on('error', () => undefined);
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const close = () =>
        new Promise<void>((r) => {
          for (const socket of sockets) socket.destroy(); // the proxy keeps its connections alive
          server.close(() => r());
        });
      stale = { port: (server.address() as AddressInfo).port, connections: 0, close };
    });
    afterEach(() => stale.close());

    async function staleRoute(retries: number) {
      const svc = makeService({ port: stale.port, retries });
      await apply([svc], [makeRoute(svc, { paths: ['/stale'] })]);
    }

    it('sends a GET again on a new connection (nginx: proxy_next_upstream error): the client gets 200', async () => {
      await staleRoute(5);
      expect((await send(port, { path: '/stale' })).status).toBe(200);
      const res = await send(port, { path: '/stale' });
      expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: 'ok' });
      expect(stale.connections).toBe(2);
      expect(logger.lines.some((l) => l.msg === 'upstream request failed')).toBe(false);
    });

    it('does not send a POST again (non-idempotent, as nginx): 502', async () => {
      await staleRoute(5);
      expect((await send(port, { method: 'POST', path: '/stale', body: 'a=1' })).status).toBe(200);
      expect((await send(port, { method: 'POST', path: '/stale', body: 'a=2' })).status).toBe(502);
      expect(stale.connections).toBe(1);
      expect(logger.lines.find((l) => l.msg === 'upstream request failed')?.tries).toBe(1);
    });

    it('does not send a GET again with retries = 0: 502', async () => {
      await staleRoute(0);
      expect((await send(port, { path: '/stale' })).status).toBe(200);
      expect((await send(port, { path: '/stale' })).status).toBe(502);
    });
  });

  it("504 'The upstream server is timing out' when the upstream is slower than read_timeout", async () => {
    await upstream.close();
    upstream = await startUpstream(() => undefined); // never answers
    await route({}, { read_timeout: 150 });
    const res = await send(port, { path: '/echo' });
    expect(res.status).toBe(504);
    expect(JSON.parse(res.body).message).toBe('The upstream server is timing out');
  });

  it('aborts the upstream request when the client goes away mid-response', async () => {
    await upstream.close();
    let upstreamClosed!: () => void;
    const closed = new Promise<void>((r) => (upstreamClosed = r));
    upstream = await startUpstream((_req, res) => {
      res.writeHead(200);
      res.write('partial');
      res.on('close', () => upstreamClosed());
    });
    await route();
    const req = httpRequest({ host: '127.0.0.1', port, path: '/echo', agent: false });
    req.on('error', () => undefined);
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    await once(res, 'data');
    req.destroy();
    await closed; // the upstream saw its connection closed: the test would time out otherwise
  });

  it('answers a malformed request with 400 and keeps serving', async () => {
    await route();
    const socket = connect(port, '127.0.0.1');
    socket.end('GET /echo HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    await once(socket, 'close');
    expect(Buffer.concat(chunks).toString()).toMatch(/^HTTP\/1\.1 400 Bad Request/);
    expect((await send(port, { path: '/echo' })).status).toBe(200);
  });

  it('finishes a request in flight on the old config while a new one is applied', async () => {
    await upstream.close();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    upstream = await startUpstream((_req, res) => void gate.then(() => res.end('old config')));
    const svc = await route();
    const pending = send(port, { path: '/echo' });
    await new Promise((r) => setTimeout(r, 50));
    await apply([{ ...svc }], [makeRoute(svc, { paths: ['/other'] })]);
    release();
    expect((await pending).body).toBe('old config');
    expect((await send(port, { path: '/echo' })).status).toBe(404);
  });

  it('close() stops accepting but lets a request in flight finish', async () => {
    await upstream.close();
    upstream = await startUpstream((_req, res) => void setTimeout(() => res.end('finished'), 100));
    await route();
    const pending = send(port, { path: '/echo' });
    await new Promise((r) => setTimeout(r, 30));
    const closing = proxy.close(5_000);
    expect((await pending).body).toBe('finished');
    await closing;
    await expect(send(port, { path: '/echo' })).rejects.toThrow(/ECONNREFUSED/);
  });

  it('counts requests and active connections', async () => {
    await route();
    await send(port, { path: '/echo' });
    await send(port, { path: '/nope' });
    expect(proxy.stats().total_requests).toBe(2);
  });
});
