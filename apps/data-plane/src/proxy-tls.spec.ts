// The TLS listener end to end over loopback: certificates chosen by SNI, HTTP/2 and HTTP/1.1 over TLS
// proxied with X-Forwarded-Proto https, Kong's 426 / redirects for https-only routes, route snis.
import { Http2ServerResponse, connect as h2connect, type IncomingHttpHeaders as H2Headers } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import type { Route, Service } from '@archway/schema';
import { makeRoute, makeService, send, startUpstream, type Reply, type Upstream } from './testing/fixtures';
import { sample } from './testing/metrics-scrape';
import { startProxy, type TestProxy } from './testing/test-proxy';
import { certificateEntity, makeLeaf, presentedCn, sniEntity, type Pem } from './testing/tls-fixtures';

function httpsGet(port: number, path: string, servername: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, servername, rejectUnauthorized: false, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end();
  });
}

function h2Request(port: number, headers: Record<string, string>, body?: string): Promise<{ headers: H2Headers; body: string; alpn: string | false }> {
  return new Promise((resolve, reject) => {
    const session = h2connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false, servername: 'api.example.com' });
    session.on('error', reject);
    const stream = session.request(headers, { endStream: body === undefined });
    let text = '';
    let head: H2Headers = {};
    stream.on('response', (h) => (head = h));
    stream.on('data', (c: Buffer) => (text += c.toString()));
    stream.on('end', () => {
      const alpn = session.alpnProtocol ?? false;
      session.close();
      resolve({ headers: head, body: text, alpn });
    });
    stream.on('error', reject);
    if (body !== undefined) {
      // two writes and no content-length: HTTP/2 framing alone carries the body
      stream.write(body.slice(0, 3));
      stream.end(body.slice(3));
    }
  });
}

describe('TLS listener', () => {
  let px: TestProxy;
  let port: number;
  let tlsPort: number;
  let upstream: Upstream;
  let svc: Service;
  const certs: Record<string, Pem> = {};

  beforeAll(() => {
    for (const cn of ['api.example.com', 'wild.example.com', 'www.example.suffix', 'default.test', 'other.test']) certs[cn] = makeLeaf(cn);
  });

  beforeEach(async () => {
    px = await startProxy({ tls: true });
    ({ port, tlsPort } = px);
    upstream = await startUpstream();
    svc = makeService({ port: upstream.port });
  });
  afterEach(async () => {
    await px.close();
    await upstream.close();
  });

  async function apply(routes: Route[], snis: [string, string][] = []) {
    const entities = new Map(Object.entries(certs).map(([cn, pem]) => [cn, certificateEntity(pem)]));
    const used = [...new Set(snis.map(([, cn]) => cn))].map((cn) => entities.get(cn)!);
    const sniList = snis.map(([name, cn]) => sniEntity(name, entities.get(cn)!));
    await px.apply({ services: [svc], routes, certificates: used, snis: sniList });
  }

  describe('certificates by SNI', () => {
    beforeEach(() =>
      apply(
        [makeRoute(svc, { paths: ['/'] })],
        [
          ['api.example.com', 'api.example.com'],
          ['*.example.com', 'wild.example.com'],
          ['www.example.*', 'www.example.suffix'],
          ['*', 'default.test'],
        ],
      ),
    );

    it('serves the certificate of the exact SNI', async () => {
      expect(await presentedCn(tlsPort, 'api.example.com')).toBe('api.example.com');
    });

    it('serves a leading wildcard (*.example.com) for a name under it', async () => {
      expect(await presentedCn(tlsPort, 'shop.example.com')).toBe('wild.example.com');
    });

    it('serves a trailing wildcard (www.example.*) when no exact or leading wildcard matches', async () => {
      expect(await presentedCn(tlsPort, 'www.example.org')).toBe('www.example.suffix');
    });

    it('serves the * certificate for an unknown name and for a client that sends no SNI', async () => {
      expect(await presentedCn(tlsPort, 'nothing.test')).toBe('default.test');
      expect(await presentedCn(tlsPort, undefined)).toBe('default.test');
    });

    it('switches certificates when a new snapshot changes the SNI table', async () => {
      await apply([makeRoute(svc, { paths: ['/'] })], [['api.example.com', 'other.test']]);
      expect(await presentedCn(tlsPort, 'api.example.com')).toBe('other.test');
    });
  });

  it('serves the built-in localhost certificate when no SNI matches and there is no *', async () => {
    await apply([makeRoute(svc, { paths: ['/'] })], [['api.example.com', 'api.example.com']]);
    expect(await presentedCn(tlsPort, 'unknown.test')).toBe('localhost');
    expect(await presentedCn(tlsPort, undefined)).toBe('localhost');
  });

  it('serves both the certificate and its alternative: an ECDSA-only client gets the EC one, an RSA-only client the RSA one', async () => {
    const rsa = makeLeaf('dual.test', { keyType: 'rsa' });
    const ec = makeLeaf('dual-ec.test', { keyType: 'ec' });
    const dual = certificateEntity(rsa, ec);
    await px.apply({ services: [svc], routes: [makeRoute(svc, { paths: ['/'] })], certificates: [dual], snis: [sniEntity('dual.test', dual)] });
    expect(await presentedCn(tlsPort, 'dual.test', { sigalgs: 'ecdsa_secp256r1_sha256' })).toBe('dual-ec.test');
    expect(await presentedCn(tlsPort, 'dual.test', { sigalgs: 'rsa_pss_rsae_sha256:rsa_pkcs1_sha256' })).toBe('dual.test');
  });

  it("serves an SNI's RSA certificate to a client that prefers ECDSA: nothing of the built-in default leaks in", async () => {
    const rsa = makeLeaf('rsa-only.test', { keyType: 'rsa' });
    const entity = certificateEntity(rsa);
    await px.apply({ services: [svc], routes: [makeRoute(svc, { paths: ['/'] })], certificates: [entity], snis: [sniEntity('rsa-only.test', entity)] });
    expect(await presentedCn(tlsPort, 'rsa-only.test', { sigalgs: 'ecdsa_secp256r1_sha256:rsa_pss_rsae_sha256' })).toBe('rsa-only.test');
  });

  it('proxies an HTTP/2 request: Host from :authority, no pseudo-headers upstream, X-Forwarded-Proto https', async () => {
    await apply([makeRoute(svc, { paths: ['/h2'] })]);
    const res = await h2Request(tlsPort, { ':method': 'GET', ':path': '/h2/x?q=1', 'x-client': 'yes' });
    expect(res.alpn).toBe('h2');
    expect(res.headers[':status']).toBe(200);
    expect(res.headers.via).toMatch(/archway/);
    const seen = upstream.seen[0];
    expect(seen.url).toBe('/x?q=1');
    expect(Object.keys(seen.headers).filter((h) => h.startsWith(':'))).toEqual([]);
    expect(seen.headers['x-client']).toBe('yes');
    expect(seen.headers['x-forwarded-proto']).toBe('https');
    expect(seen.headers['x-forwarded-port']).toBe(String(tlsPort));
    expect(seen.headers['x-forwarded-host']).toBe('api.example.com');
  });

  it("answers HTTP/2 without the upstream's reason phrase, which HTTP/2 has no place for (node warns when given one)", async () => {
    await apply([makeRoute(svc, { paths: ['/h2'] })]);
    // what the proxy hands node's HTTP/2 response (a warning printed by node core cannot be seen from a jest sandbox)
    const proto = Http2ServerResponse.prototype as unknown as { writeHead: (...args: unknown[]) => unknown };
    const writeHead = proto.writeHead;
    const messages: unknown[] = [];
    proto.writeHead = function (this: unknown, status: unknown, ...rest: unknown[]) {
      messages.push(typeof rest[0] === 'string' ? rest[0] : undefined);
      return writeHead.call(this, status, ...rest);
    };
    try {
      const res = await h2Request(tlsPort, { ':method': 'GET', ':path': '/h2/reason' });
      expect(res.headers[':status']).toBe(200);
    } finally {
      proto.writeHead = writeHead;
    }
    expect(messages).toEqual([undefined]);
  });

  it('streams an HTTP/2 request body that has no Content-Length to the upstream', async () => {
    await apply([makeRoute(svc, { paths: ['/h2'] })]);
    const res = await h2Request(tlsPort, { ':method': 'POST', ':path': '/h2' }, 'hello world');
    expect(res.headers[':status']).toBe(200);
    expect(upstream.seen[0].body).toBe('hello world');
  });

  it('counts HTTP/2 requests in the metrics, with the bytes their connection carried', async () => {
    const route = makeRoute(svc, { paths: ['/h2'] });
    await apply([route]);
    expect((await h2Request(tlsPort, { ':method': 'GET', ':path': '/h2' })).headers[':status']).toBe(200);
    expect((await h2Request(tlsPort, { ':method': 'POST', ':path': '/h2' }, 'hello world')).headers[':status']).toBe(200);
    await new Promise((r) => setTimeout(r, 50)); // the streams' close events
    const text = px.store.metrics.registry.render();
    const labels = `service="127.0.0.1",route="${route.id}"`;
    expect(sample(text, `archway_http_requests_total{${labels},code="200"}`)).toBe(2);
    expect(sample(text, `archway_request_latency_ms_count{${labels}}`)).toBe(2);
    // TLS records and HTTP/2 frames: more than the bodies, and a number
    expect(sample(text, `archway_bandwidth_bytes{${labels},direction="ingress"}`)).toBeGreaterThan(11);
    expect(sample(text, `archway_bandwidth_bytes{${labels},direction="egress"}`)).toBeGreaterThan(100);
  });

  it('proxies HTTP/1.1 over TLS with X-Forwarded-Proto https', async () => {
    await apply([makeRoute(svc, { paths: ['/one'] })]);
    const res = await httpsGet(tlsPort, '/one', 'api.example.com');
    expect(res.status).toBe(200);
    expect(upstream.seen[0].headers['x-forwarded-proto']).toBe('https');
  });

  describe('https-only routes', () => {
    it("answers a plain-http request with 426 'Please use HTTPS protocol' and Upgrade: TLS/1.2, HTTP/1.1", async () => {
      await apply([makeRoute(svc, { paths: ['/secure'], protocols: ['https'] })]);
      const res = await send(port, { path: '/secure' });
      expect(res.status).toBe(426);
      expect(JSON.parse(res.body)).toEqual({ message: 'Please use HTTPS protocol' });
      expect(res.headers.upgrade).toBe('TLS/1.2, HTTP/1.1');
      expect(upstream.seen).toHaveLength(0);
      expect((await httpsGet(tlsPort, '/secure', 'api.example.com')).status).toBe(200);
    });

    it.each([301, 302, 307, 308])('redirects with %i to https://<host><uri> when https_redirect_status_code says so', async (code) => {
      await apply([makeRoute(svc, { paths: ['/secure'], protocols: ['https'], https_redirect_status_code: code })]);
      const res = await send(port, { path: '/secure/a?b=1', headers: { host: 'Shop.Example.com:8000' } });
      expect(res.status).toBe(code);
      expect(res.headers.location).toBe('https://shop.example.com/secure/a?b=1');
      expect(upstream.seen).toHaveLength(0);
    });

    it('leaves routes that accept http alone', async () => {
      await apply([makeRoute(svc, { paths: ['/both'] })]);
      expect((await send(port, { path: '/both' })).status).toBe(200);
    });
  });

  it("matches a route's snis against the TLS server name", async () => {
    const a = makeRoute(svc, { paths: ['/'], protocols: ['https'], snis: ['a.example.com'], strip_path: false });
    const b = makeRoute(svc, { paths: ['/'], protocols: ['https'], snis: ['b.example.com'], strip_path: false });
    await apply([a, b]);
    await httpsGet(tlsPort, '/from-a', 'a.example.com');
    await httpsGet(tlsPort, '/from-b', 'b.example.com');
    const none = await httpsGet(tlsPort, '/from-c', 'c.example.com');
    expect(upstream.seen.map((s) => s.url)).toEqual(['/from-a', '/from-b']);
    expect(none.status).toBe(404);
  });
});
