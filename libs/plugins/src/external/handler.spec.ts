// The external plugin against in-process plugin services (a node:http server and a gRPC server on
// 127.0.0.1:0): what the service receives, and how each answer changes the request.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { compileChains, runRequestPhases, type PluginHandler, type PluginLogger } from '@archway/pipeline';
import type { ConfigSet } from '@archway/schema';
import { contextFor, pluginInstance, route, service, type FakeRequest } from '../testing/spec-kit';
import { EXTERNAL_PROTO_FILE } from './grpc-transport';
import { externalHandler } from './handler';

type Answer = Record<string, unknown>;
interface PluginService {
  url: string;
  /** what each call received (the gRPC message, or the parsed JSON) */
  received: Record<string, unknown>[];
  answer: (req: Record<string, unknown>) => Answer | 'hang' | 'http-503';
  close(): Promise<void>;
}

async function httpService(): Promise<PluginService> {
  const svc: PluginService = { url: '', received: [], answer: () => ({ action: 'continue' }), close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>;
      svc.received.push(body);
      const answer = svc.answer(body);
      if (answer === 'hang') return;
      res.writeHead(answer === 'http-503' ? 503 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer === 'http-503' ? {} : answer));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  svc.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  svc.close = () => new Promise((r) => (server.closeAllConnections(), server.close(() => r())));
  return svc;
}

async function grpcService(): Promise<PluginService> {
  const svc: PluginService = { url: '', received: [], answer: () => ({ action: 'continue' }), close: async () => undefined };
  const def = protoLoader.loadSync(EXTERNAL_PROTO_FILE, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, includeDirs: [`${__dirname}/../../../../proto`] });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { archway: { plugin: { v1: { ExternalPlugin: { service: grpc.ServiceDefinition } } } } };
  const server = new grpc.Server();
  server.addService(pkg.archway.plugin.v1.ExternalPlugin.service, {
    Access(call: grpc.ServerUnaryCall<Record<string, unknown>, Answer>, cb: grpc.sendUnaryData<Answer>) {
      svc.received.push(call.request);
      const answer = svc.answer(call.request);
      if (answer === 'hang') return;
      if (answer === 'http-503') return cb({ code: grpc.status.INTERNAL, details: 'broken' });
      cb(null, answer);
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  svc.url = `grpc://127.0.0.1:${port}`;
  svc.close = () => new Promise((r) => server.tryShutdown(() => r()));
  return svc;
}

const warnings: Record<string, unknown>[] = [];
const logger: PluginLogger = { debug: () => undefined, info: () => undefined, warn: (_m, f) => void warnings.push(f ?? {}), error: (_m, f) => void warnings.push(f ?? {}) };

describe.each([
  ['http', httpService],
  ['grpc', grpcService],
] as const)('external over %s', (protocol, start) => {
  let svc: PluginService;
  const disposers: (() => void)[] = [];
  beforeAll(async () => {
    svc = await start();
  });
  afterAll(async () => {
    await svc.close();
  });
  afterEach(() => {
    disposers.splice(0).forEach((d) => d());
    svc.received.length = 0;
    warnings.length = 0;
  });

  async function run(config: Record<string, unknown>, req: FakeRequest = {}) {
    const plugins = [pluginInstance('external', { url: svc.url, protocol, ...config })];
    const set = { services: [service], routes: [route], plugins } as unknown as ConfigSet;
    const chains = compileChains({ config: set, handlers: new Map([['external', externalHandler as PluginHandler]]), logger });
    // close the client now rather than after the dispose grace, so jest ends cleanly
    const step = chains.forRoute(route).access![0];
    disposers.push(() => void (step.state as { transport: { close(): Promise<void> } }).transport.close());
    const ctx = contextFor(req);
    ctx.authenticate({ id: '11111111-1111-4111-8111-111111111111', username: 'alice', custom_id: null }, null);
    await runRequestPhases(chains.forRoute(route), ctx);
    return ctx;
  }

  it('sends method, path, query, only the configured headers (lower-case), consumer, route, service, client IP and request id', async () => {
    await run({ headers: ['X-Tenant', 'accept'] }, { method: 'POST', path: '/orders', query: 'a=1', headers: { 'x-tenant': 't1', authorization: 'secret', accept: 'text/plain' }, clientIp: '10.1.2.3' });
    expect(svc.received[0]).toMatchObject({
      request: { method: 'POST', path: '/orders', query: 'a=1', headers: { 'x-tenant': 't1', accept: 'text/plain' } },
      consumer: { id: '11111111-1111-4111-8111-111111111111', username: 'alice' },
      route: { id: route.id },
      service: { id: service.id },
      client_ip: '10.1.2.3',
      request_id: 'req-1',
    });
    expect((svc.received[0].request as { headers: object }).headers).not.toHaveProperty('authorization');
  });

  it('sends the body only when include_body is set', async () => {
    await run({ include_body: true }, { method: 'POST', body: '{"a":1}' });
    const body = (svc.received[0].request as { body: unknown }).body;
    expect(protocol === 'http' ? Buffer.from(body as string, 'base64').toString() : (body as Buffer).toString()).toBe('{"a":1}');
    await run({}, { method: 'POST', body: '{"a":1}' });
    const without = (svc.received[1].request as { body?: unknown }).body;
    expect(protocol === 'http' ? without : (without as Buffer).length).toBe(protocol === 'http' ? undefined : 0);
  });

  it('applies continue: removes, then sets upstream headers', async () => {
    svc.answer = () => ({ action: 'continue', set_headers: { 'X-Checked': '1' }, remove_headers: ['x-debug'] });
    const ctx = await run({}, { headers: { 'x-debug': 'on', 'x-keep': 'k' } });
    expect(ctx.exitResponse).toBeNull();
    expect(ctx.headers).toMatchObject({ 'x-checked': '1', 'x-keep': 'k' });
    expect(ctx.headers).not.toHaveProperty('x-debug');
  });

  it('applies exit: status, headers and body answer the client', async () => {
    svc.answer = () => ({ action: 'exit', status: 403, headers: { 'content-type': 'text/plain' }, body: 'nope' });
    const ctx = await run({});
    expect(ctx.exitResponse).toEqual({ status: 403, body: 'nope', headers: { 'content-type': 'text/plain' }, error: false });
  });

  it("answers Kong's 500 on an answer that is not continue or exit, or an exit without a valid status", async () => {
    for (const answer of [{ action: 'maybe' }, { action: 'exit', status: 0 }, { action: 'continue', set_headers: { 'bad name': 'x' } }]) {
      svc.answer = () => answer;
      const ctx = await run({});
      expect(ctx.exitResponse).toEqual({ status: 500, body: { message: 'An unexpected error occurred' }, headers: null, error: true });
    }
    expect(warnings.every((w) => w.code === 'ARCHWAY_EXTERNAL_BAD_ANSWER')).toBe(true);
  });

  it('continues on a timeout with fail_open, and answers 500 without it', async () => {
    svc.answer = () => 'hang';
    expect((await run({ timeout: 100, fail_open: true })).exitResponse).toBeNull();
    expect(warnings[0]).toMatchObject({ code: 'ARCHWAY_EXTERNAL_TIMEOUT', request_id: 'req-1' });
    expect((await run({ timeout: 100 })).exitResponse).toMatchObject({ status: 500, error: true });
  });

  it('treats an error status from the service as a failure', async () => {
    svc.answer = () => 'http-503';
    expect((await run({})).exitResponse).toMatchObject({ status: 500 });
    expect(warnings[0]).toMatchObject({ code: 'ARCHWAY_EXTERNAL_BAD_STATUS' });
  });
});
