// Bodies through the real proxy: streamed both ways (chunked when the length is unknown), the client's
// `Expect: 100-continue` answered, response trailers relayed. Each streaming spec waits for the other
// side to see the first chunk before sending the rest: a proxy that buffered would never finish.
import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect, createServer as createNetServer, type AddressInfo } from 'node:net';
import { pluginSchema } from '@archway/plugins';
import { validatePlugin, type Plugin } from '@archway/schema';
import { makeRoute, makeService, startUpstream, type Upstream } from './testing/fixtures';
import { startProxy, type TestProxy } from './testing/test-proxy';

/** A promise with its resolver, to let one side of an exchange wait for the other. */
function signal<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

async function readAll(stream: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString();
}

describe('proxy streaming', () => {
  let px: TestProxy;
  let port: number;
  let upstream: Upstream | null = null;

  beforeEach(async () => {
    px = await startProxy();
    ({ port } = px);
  });
  afterEach(async () => {
    await px.close();
    await upstream?.close();
    upstream = null;
  });

  /** One route /s to `up`; `plugins` go on the route. */
  async function serve(up: Upstream, plugins: Record<string, unknown>[] = []) {
    upstream = up;
    const svc = makeService({ port: up.port });
    const route = makeRoute(svc, { paths: ['/s'] });
    await px.apply({
      services: [svc],
      routes: [route],
      plugins: plugins.map((p) => validatePlugin({ ...p, route: { id: route.id } }, 'create', pluginSchema)) as Plugin[],
    });
  }

  function open(method: string, headers: Record<string, string> = {}) {
    const req = httpRequest({ host: '127.0.0.1', port, method, path: '/s', headers, agent: false });
    const response = once(req, 'response').then(([res]) => res as IncomingMessage);
    return { req, response };
  }

  it('streams a request without Content-Length upstream chunked, chunk by chunk', async () => {
    const firstSeen = signal();
    const received = signal<{ te?: string; length?: string; body: string }>();
    await serve(
      await startUpstream((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => {
          body += c.toString();
          firstSeen.resolve();
        });
        req.on('end', () => {
          received.resolve({ te: req.headers['transfer-encoding'], length: req.headers['content-length'], body });
          res.end('ok');
        });
      }),
    );
    const { req, response } = open('POST', { 'content-type': 'text/plain' });
    req.write('first-');
    await firstSeen.promise; // reached the upstream while the client is still sending
    req.end('second');
    const res = await response;
    expect(res.statusCode).toBe(200);
    expect(await readAll(res)).toBe('ok');
    expect(await received.promise).toEqual({ te: 'chunked', length: undefined, body: 'first-second' });
  });

  it('streams a chunked upstream response to the client chunk by chunk', async () => {
    const clientGotFirst = signal();
    await serve(
      await startUpstream((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first-');
        void clientGotFirst.promise.then(() => res.end('second'));
      }),
    );
    const { req, response } = open('GET');
    req.end();
    const res = await response;
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.headers['content-length']).toBeUndefined();
    let body = '';
    res.on('data', (c: Buffer) => {
      body += c.toString();
      clientGotFirst.resolve(); // the upstream sends the rest only once the first chunk arrived here
    });
    await once(res, 'end');
    expect(body).toBe('first-second');
  });

  it('holds the upstream back while the client does not read, and sends everything once it does', async () => {
    const size = 32 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let sent = 0;
    await serve(
      await startUpstream((_req, res) => {
        res.writeHead(200, { 'content-length': String(size) });
        const more = () => {
          while (sent < size) {
            sent += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', more);
          }
          res.end();
        };
        more();
      }),
    );
    const { req, response } = open('GET');
    req.end();
    const res = await response;
    res.pause();
    await new Promise((r) => setTimeout(r, 300));
    // the client read nothing yet: socket buffers hold a few MB at most, the rest waits upstream
    expect(sent).toBeLessThan(size / 2);
    let received = 0;
    res.on('data', (c: Buffer) => (received += c.length));
    res.resume();
    await once(res, 'end');
    expect(received).toBe(size);
  });

  it('answers Expect: 100-continue so the client sends its body, which reaches the upstream', async () => {
    await serve(await startUpstream());
    const { req, response } = open('PUT', { expect: '100-continue', 'content-length': '5' });
    req.flushHeaders();
    await once(req, 'continue'); // a curl-like client waits for 100 before sending the body
    req.end('hello');
    const res = await response;
    expect(res.statusCode).toBe(200);
    const seen = JSON.parse(await readAll(res));
    expect(seen.body).toBe('hello');
    expect(seen.headers.expect).toBeUndefined(); // answered by the proxy, not forwarded
  });

  function trailingUpstream() {
    return startUpstream((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
        res.write('part-1 ');
        res.addTrailers({ 'x-checksum': 'sha256=abc' });
        res.end('part-2');
      });
    });
  }

  it('relays the trailers of a chunked upstream response, announced by Trailer', async () => {
    await serve(await trailingUpstream());
    const { req, response } = open('GET');
    req.end();
    const res = await response;
    expect(res.headers.trailer).toBe('x-checksum');
    expect(await readAll(res)).toBe('part-1 part-2');
    expect(res.trailers).toEqual({ 'x-checksum': 'sha256=abc' });
  });

  it('relays response trailers on a route with plugins that do not read the body', async () => {
    await serve(await trailingUpstream(), [{ name: 'correlation-id', config: { echo_downstream: true } }]);
    const { req, response } = open('GET');
    req.end();
    const res = await response;
    expect(res.headers['kong-request-id']).toMatch(/^[0-9a-f-]{36}#\d+$/); // echo_downstream: the plugin ran
    expect(await readAll(res)).toBe('part-1 part-2');
    expect(res.trailers).toEqual({ 'x-checksum': 'sha256=abc' });
  });

  it('answers HEAD to an upstream that announces trailers without a Trailer header node would refuse', async () => {
    // node's own server will not announce trailers on HEAD: a raw upstream does
    const raw = createNetServer((socket) =>
      socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nTrailer: x-checksum\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n')),
    ).listen(0, '127.0.0.1');
    await once(raw, 'listening');
    const close = () => new Promise<void>((r) => raw.close(() => r()));
    await serve({ server: null as never, seen: [], port: (raw.address() as AddressInfo).port, close });
    const { req, response } = open('HEAD');
    req.end();
    const res = await response;
    expect(res.statusCode).toBe(200);
    expect(res.headers.trailer).toBeUndefined();
    expect(await readAll(res)).toBe('');
  });

  it('sends an HTTP/1.0 client, which cannot take trailers, the whole body without them', async () => {
    await serve(await trailingUpstream());
    const socket = connect(port, '127.0.0.1');
    socket.write('GET /s HTTP/1.0\r\nHost: gateway.test\r\n\r\n');
    const chunks: Buffer[] = [];
    for await (const c of socket) chunks.push(c as Buffer);
    const [head, body] = Buffer.concat(chunks).toString().split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(head.toLowerCase()).not.toContain('trailer');
    expect(head.toLowerCase()).not.toContain('transfer-encoding');
    expect(body).toBe('part-1 part-2');
  });

  it('drops request trailers (undici cannot send them upstream) but streams the body', async () => {
    const received = signal<{ body: string; trailers: NodeJS.Dict<string> }>();
    await serve(
      await startUpstream((req, res) => {
        void readAll(req).then((body) => {
          received.resolve({ body, trailers: req.trailers });
          res.end('ok');
        });
      }),
    );
    const { req, response } = open('POST', { trailer: 'x-digest' });
    req.write('payload');
    req.addTrailers({ 'x-digest': 'abc' });
    req.end();
    expect((await response).statusCode).toBe(200);
    expect(await received.promise).toEqual({ body: 'payload', trailers: {} });
  });
});
