// Logging and caching plugins through the real proxy: http-log delivers Kong's log record to a real
// collector (batched, retried after a 500), file-log appends lines to a file, proxy-cache answers a
// repeated GET from memory without calling the upstream.
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { targetSchema, upstreamSchema, validateEntity, type Target, type Upstream as UpstreamEntity } from '@archway/schema';
import { closedPort, makeRoute, makeService, send, startUpstream } from './testing/fixtures';
import { keyAuth, makeConsumer, startPluginProxy, type PluginProxy } from './testing/plugin-proxy';

interface Delivery {
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** A log collector answering `statuses` in turn, then 200. */
async function startCollector(statuses: number[] = []) {
  const deliveries: Delivery[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString()) });
      res.statusCode = statuses.shift() ?? 200;
      res.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    deliveries,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/logs`,
    close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}

async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not reached');
}

type LogRecord = { request: Record<string, unknown>; response: Record<string, unknown>; [k: string]: unknown };

describe('proxy with logging and caching plugins', () => {
  let px: PluginProxy;
  beforeEach(async () => {
    px = await startPluginProxy();
  });
  afterEach(async () => {
    await px.close();
  });

  it("http-log delivers Kong's log record for a proxied request", async () => {
    const collector = await startCollector();
    try {
      await px.apply([{ name: 'http-log', config: { http_endpoint: collector.url } }]);
      const res = await send(px.port, { path: '/p/users?page=2', headers: { authorization: 'Bearer secret', 'content-length': '0' } });
      expect(res.status).toBe(200);
      await until(() => collector.deliveries.length === 1);
      const record = collector.deliveries[0].body as LogRecord;
      expect(record.request).toMatchObject({
        id: res.headers['x-archway-request-id'],
        method: 'GET',
        uri: '/p/users?page=2',
        url: `http://127.0.0.1:${px.port}/p/users?page=2`,
        querystring: { page: '2' },
        headers: { authorization: 'REDACTED' },
      });
      expect(record.request.size).toBeGreaterThan(0);
      expect(record.response).toMatchObject({ status: 200, headers: { 'content-type': 'application/json', 'x-upstream': 'yes' } });
      // head and body, as nginx's bytes_sent
      expect(record.response.size).toBeGreaterThan(Buffer.byteLength(res.body));
      expect(record.response.size).toBeLessThan(Buffer.byteLength(res.body) + 1024);
      expect(record).toMatchObject({
        upstream_uri: '/users?page=2',
        upstream_status: '200',
        source: 'service',
        client_ip: '127.0.0.1',
        route: { id: px.route.id },
        service: { id: px.service.id },
        tries: [{ ip: '127.0.0.1', port: px.upstream.port }],
        workspace_name: 'default',
      });
      const latencies = record.latencies as { proxy: number; request: number; kong: number };
      expect(latencies.proxy).toBeGreaterThanOrEqual(0);
      expect(latencies.request).toBeGreaterThanOrEqual(latencies.proxy);
    } finally {
      await collector.close();
    }
  });

  it('http-log batches records into one JSON array and retries a batch the collector answered 500 to', async () => {
    const collector = await startCollector([500]);
    try {
      await px.apply([{ name: 'http-log', config: { http_endpoint: collector.url, queue: { max_batch_size: 3, max_coalescing_delay: 10 } } }]);
      for (const n of [1, 2, 3]) expect((await send(px.port, { path: `/p/${n}` })).status).toBe(200);
      await until(() => collector.deliveries.length === 2);
      const [refused, retried] = collector.deliveries.map((d) => d.body as LogRecord[]);
      expect(refused.map((r) => r.upstream_uri)).toEqual(['/1', '/2', '/3']);
      expect(retried).toEqual(refused);
    } finally {
      await collector.close();
    }
  });

  it("http-log records a gateway failure as source 'error' with the failed tries", async () => {
    const collector = await startCollector();
    try {
      const down = makeService({ port: await closedPort(), retries: 1 });
      const downRoute = makeRoute(down, { paths: ['/down'] });
      await px.apply([{ name: 'http-log', route: { id: downRoute.id }, config: { http_endpoint: collector.url } }], { services: [down], routes: [downRoute] });
      expect((await send(px.port, { path: '/down' })).status).toBe(502);
      await until(() => collector.deliveries.length === 1);
      const record = collector.deliveries[0].body as LogRecord;
      expect(record).toMatchObject({ source: 'error', response: { status: 502 }, upstream_status: '502, 502' });
      expect(record.tries).toEqual([expect.objectContaining({ state: 'failed', code: 502 }), expect.objectContaining({ state: 'failed', code: 502 })]);
    } finally {
      await collector.close();
    }
  });

  it("http-log's tries name the balanced target's address actually tried, a refused one as failed, with Kong's timing fields", async () => {
    const collector = await startCollector();
    try {
      const dead = await closedPort();
      const pool = validateEntity<UpstreamEntity>(upstreamSchema, { name: 'logged-pool', algorithm: 'round-robin' }, 'create');
      const targets = [`127.0.0.1:${dead}`, `127.0.0.1:${px.upstream.port}`].map((target) =>
        validateEntity<Target>(targetSchema, { upstream: { id: pool.id }, target }, 'create'),
      );
      const balanced = makeService({ host: 'logged-pool', port: 80, retries: 1 });
      const balancedRoute = makeRoute(balanced, { paths: ['/lb'] });
      await px.apply(
        [{ name: 'http-log', route: { id: balancedRoute.id }, config: { http_endpoint: collector.url } }],
        { services: [balanced], routes: [balancedRoute], upstreams: [pool], targets },
      );
      // round-robin over [dead, live]: one request goes to the dead target first and is retried on the live one
      for (let i = 0; i < 2; i++) expect((await send(px.port, { path: '/lb' })).status).toBe(200);
      await until(() => collector.deliveries.length === 2);
      const tries = collector.deliveries.map((d) => (d.body as LogRecord).tries as Record<string, unknown>[]);
      const retried = tries.find((t) => t.length === 2) ?? [];
      const direct = tries.find((t) => t.length === 1) ?? [];
      expect(retried).toEqual([
        expect.objectContaining({ ip: '127.0.0.1', port: dead, state: 'failed', code: 502 }),
        expect.objectContaining({ ip: '127.0.0.1', port: px.upstream.port }),
      ]);
      expect(retried[1].state).toBeUndefined();
      expect(direct).toEqual([expect.objectContaining({ ip: '127.0.0.1', port: px.upstream.port })]);
      for (const t of [...retried, ...direct]) {
        expect(Object.keys(t).sort()).toEqual(
          expect.arrayContaining(['balancer_latency', 'balancer_latency_ns', 'balancer_start', 'balancer_start_ns', 'ip', 'port']),
        );
        expect(Math.abs((t.balancer_start as number) - Date.now())).toBeLessThan(60_000);
        expect(Math.round((t.balancer_start_ns as number) / 1e6)).toBeCloseTo(t.balancer_start as number, -1);
        expect(t.balancer_latency_ns as number).toBeGreaterThanOrEqual(0);
      }
    } finally {
      await collector.close();
    }
  });

  it('file-log appends one JSON line per request to its file', async () => {
    const file = join(px.prefix, 'requests.log');
    await px.apply([{ name: 'file-log', config: { path: file } }]);
    await send(px.port, { path: '/p/a' });
    await send(px.port, { path: '/p/b', method: 'POST', body: 'hi' });
    const lines = async () => (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);
    await until(async () => (await lines()).length === 2);
    const records = (await lines()).map((l) => JSON.parse(l) as LogRecord);
    expect(records.map((r) => [r.request.method, r.upstream_uri, r.response.status])).toEqual([
      ['GET', '/a', 200],
      ['POST', '/b', 200],
    ]);
  });

  it("file-log on a consumer logs that consumer's requests (with their sizes) on a route that has no log plugin", async () => {
    const file = join(px.prefix, 'alice.log');
    const alice = makeConsumer('alice');
    const bob = makeConsumer('bob');
    await px.apply(
      [
        { name: 'key-auth' },
        { name: 'file-log', route: null, consumer: { id: alice.id }, config: { path: file } }, // the consumer's own, on no route
      ],
      { consumers: [alice, bob], keyauth_credentials: [keyAuth(alice, 'k-alice'), keyAuth(bob, 'k-bob')] },
    );
    await send(px.port, { path: '/p/bob', headers: { apikey: 'k-bob' } });
    await send(px.port, { path: '/p/alice', headers: { apikey: 'k-alice' } });
    const lines = async () => (await readFile(file, 'utf8').catch(() => '')).split('\n').filter(Boolean);
    await until(async () => (await lines()).length === 1);
    const [record] = (await lines()).map((l) => JSON.parse(l) as LogRecord);
    expect(record.upstream_uri).toBe('/alice');
    expect(record.consumer).toMatchObject({ username: 'alice' });
    expect(record.request.size).toBeGreaterThan(0);
    expect(record.response.size).toBeGreaterThan(0);
  });

  it("proxy-cache answers Miss, then Hit from memory without calling the upstream again, with Kong's headers", async () => {
    await px.apply([{ name: 'proxy-cache', config: { strategy: 'memory', memory: { dictionary_name: 'proxy-logging-spec' } } }]);
    const miss = await send(px.port, { path: '/p/cached?x=1' });
    expect(miss.status).toBe(200);
    expect(miss.headers['x-cache-status']).toBe('Miss');
    const hit = await send(px.port, { path: '/p/cached?x=1' });
    expect(hit.status).toBe(200);
    expect(hit.headers['x-cache-status']).toBe('Hit');
    expect(hit.headers['x-cache-key']).toBe(miss.headers['x-cache-key']);
    expect(Number(hit.headers.age)).toBeGreaterThanOrEqual(0);
    expect(hit.headers['content-type']).toBe('application/json');
    expect(hit.body).toBe(miss.body);
    expect(Number(hit.headers['content-length'])).toBe(Buffer.byteLength(hit.body));
    expect(hit.headers['x-archway-request-id']).not.toBe(miss.headers['x-archway-request-id']);
    expect(px.upstream.seen).toHaveLength(1);
  });

  it('proxy-cache streams a response it will not store (no buffering until the upstream ends)', async () => {
    let finish: () => void = () => undefined;
    const slow = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.write('<p>first');
      finish = () => res.end('</p>');
    });
    try {
      const s = makeService({ port: slow.port });
      const r = makeRoute(s, { paths: ['/slow'] });
      await px.apply([{ name: 'proxy-cache', route: { id: r.id }, config: { strategy: 'memory', memory: { dictionary_name: 'proxy-logging-spec-stream' } } }], { services: [s], routes: [r] });
      const firstChunk = await new Promise<{ status: string; chunk: string }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: px.port, path: '/slow', agent: false }, (res) => {
          res.once('data', (c: Buffer) => resolve({ status: String(res.headers['x-cache-status']), chunk: c.toString() }));
          res.on('end', () => undefined);
        });
        req.on('error', reject);
        req.end();
      });
      expect(firstChunk).toEqual({ status: 'Bypass', chunk: '<p>first' });
    } finally {
      finish();
      await slow.close();
    }
  });

  it('proxy-cache bypasses a POST, which reaches the upstream every time', async () => {
    await px.apply([{ name: 'proxy-cache', config: { strategy: 'memory', memory: { dictionary_name: 'proxy-logging-spec-post' } } }]);
    for (let i = 0; i < 2; i++) {
      const res = await send(px.port, { path: '/p/cached', method: 'POST', body: 'x' });
      expect(res.status).toBe(200);
      expect(res.headers['x-cache-status']).toBe('Bypass');
      expect(res.headers['x-cache-key']).toBeUndefined();
    }
    expect(px.upstream.seen).toHaveLength(2);
  });
});
