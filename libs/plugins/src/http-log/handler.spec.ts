import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { compileChains, runLog, type ChainSet, type PluginHandler } from '@archway/pipeline';
import type { ConfigSet } from '@archway/schema';
import { contextFor, pluginInstance, route, service } from '../testing/spec-kit';
import { httpLogHandler } from './handler';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** A log collector on 127.0.0.1:0 answering `statuses` in turn (then 200). */
async function collector(statuses: number[] = []) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString()) });
      res.statusCode = statuses.shift() ?? 200;
      res.end('ok');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return { received, port, close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }) };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error('condition not reached');
};

describe('http-log', () => {
  let sink: Awaited<ReturnType<typeof collector>>;
  let chains: ChainSet | null = null;
  afterEach(async () => {
    chains?.dispose();
    chains = null;
    await sink.close();
  });

  function setUp(config: Record<string, unknown>) {
    const handler = httpLogHandler as unknown as PluginHandler;
    const set = { services: [service], routes: [route], plugins: [pluginInstance('http-log', config)] } as unknown as ConfigSet;
    chains = compileChains({ config: set, handlers: new Map([['http-log', handler]]) });
    const chain = chains.forRoute(route);
    return async (path: string) => {
      const ctx = contextFor({ path, headers: { host: 'gw.test', authorization: 'Basic c2VjcmV0' } });
      ctx.status = 200;
      await runLog(chain, ctx, (err) => { throw err; });
    };
  }

  it('POSTs each record as one JSON object by default, with Kong\'s fields and credentials redacted', async () => {
    sink = await collector();
    const log = setUp({ http_endpoint: `http://127.0.0.1:${sink.port}/logs?src=gw` });
    await log('/a');
    await until(() => sink.received.length === 1);
    const [got] = sink.received;
    expect(got).toMatchObject({ method: 'POST', url: '/logs?src=gw', headers: { 'content-type': 'application/json' } });
    expect(got.body).toMatchObject({ request: { method: 'GET', headers: { authorization: 'REDACTED' } }, response: { status: 200 }, upstream_uri: '/a' });
  });

  it('sends batches as JSON arrays when max_batch_size is above 1', async () => {
    sink = await collector();
    const log = setUp({ http_endpoint: `http://127.0.0.1:${sink.port}/`, queue: { max_batch_size: 3, max_coalescing_delay: 5 } });
    for (const p of ['/1', '/2', '/3']) await log(p);
    await until(() => sink.received.length === 1);
    expect((sink.received[0].body as { upstream_uri: string }[]).map((r) => r.upstream_uri)).toEqual(['/1', '/2', '/3']);
  });

  it('uses the method, content type and headers configured, and basic auth from the URL user info', async () => {
    sink = await collector();
    const log = setUp({
      http_endpoint: `http://user:pa%20ss@127.0.0.1:${sink.port}/in`,
      method: 'PUT',
      content_type: 'application/json; charset=utf-8',
      headers: { 'X-Tenant': 'blue' },
    });
    await log('/x');
    await until(() => sink.received.length === 1);
    expect(sink.received[0].method).toBe('PUT');
    expect(sink.received[0].headers).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      'x-tenant': 'blue',
      authorization: `Basic ${Buffer.from('user:pa%20ss').toString('base64')}`,
    });
  });

  it('retries a batch the collector refused with a 500, and delivers it', async () => {
    sink = await collector([500, 500]);
    const log = setUp({ http_endpoint: `http://127.0.0.1:${sink.port}/`, queue: { initial_retry_delay: 0.01 } });
    await log('/retry');
    await until(() => sink.received.length === 3);
    expect(sink.received.map((r) => (r.body as { upstream_uri: string }).upstream_uri)).toEqual(['/retry', '/retry', '/retry']);
  });

  it('sends what is queued when its configuration is replaced, without waiting for the batch to fill', async () => {
    sink = await collector();
    const log = setUp({ http_endpoint: `http://127.0.0.1:${sink.port}/`, queue: { max_batch_size: 100, max_coalescing_delay: 3600 } });
    await log('/1');
    await log('/2');
    chains?.dispose();
    await until(() => sink.received.length === 1);
    expect((sink.received[0].body as unknown[]).length).toBe(2);
  });
});
