// Graceful drain in one process: the proxy stops accepting, finishes what is in flight, tells
// keep-alive clients to go, and the status port turns unready first.
import { Agent, request } from 'node:http';
import type { ConfigStore } from './config-store';
import { DrainState, exitOnTermination } from './drain';
import type { ProxyServer } from './proxy-server';
import { StatusServer } from './status-server';
import { makeRoute, makeService, memoryLogger, send, startUpstream, type Upstream } from './testing/fixtures';
import { startProxy, type TestProxy } from './testing/test-proxy';

function get(port: number, path: string, agent: Agent): Promise<{ status: number; connection: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('graceful drain', () => {
  let px: TestProxy;
  let store: ConfigStore;
  let proxy: ProxyServer;
  let port: number;
  let upstream: Upstream;

  beforeEach(async () => {
    px = await startProxy();
    ({ store, proxy, port } = px);
    upstream = await startUpstream((req, res) => setTimeout(() => res.end(`done ${req.url}`), req.url?.includes('slow') ? 300 : 0));
    const svc = makeService({ port: upstream.port });
    await px.apply({ services: [svc], routes: [makeRoute(svc, { paths: ['/'], strip_path: false })] });
  });
  afterEach(async () => {
    await px.close();
    await upstream.close();
  });

  it('finishes in-flight requests, refuses new connections and closes keep-alive ones with Connection: close', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 2 });
    // two open keep-alive connections: one carries the slow request, the other is idle when the drain begins
    const warm = await Promise.all([get(port, '/warm', agent), get(port, '/warm', agent)]);
    expect(warm.map((r) => r.connection)).toEqual(['keep-alive', 'keep-alive']);
    const inFlight = get(port, '/slow', agent);
    await new Promise((r) => setTimeout(r, 50));
    const closing = proxy.close(5_000);
    // a request on the idle keep-alive connection, sent as the drain begins: served, with Connection: close
    const late = await get(port, '/late', agent);
    expect(late).toMatchObject({ status: 200, connection: 'close', body: 'done /late' });
    await expect(send(port, { path: '/new' })).rejects.toThrow(/ECONNREFUSED/);
    expect(await inFlight).toMatchObject({ status: 200, body: 'done /slow' });
    await closing;
    agent.destroy();
  });

  it('cuts what is still running when the drain timeout passes', async () => {
    const inFlight = get(port, '/slow', new Agent({ keepAlive: false })).catch((err: Error) => err);
    await new Promise((r) => setTimeout(r, 50));
    await proxy.close(60);
    expect(String(await inFlight)).toMatch(/socket hang up|ECONNRESET/);
  });

  it('answers /status/ready 503 once draining begins', async () => {
    const drain = new DrainState();
    const status = new StatusServer({
      host: '127.0.0.1',
      port: 0,
      logger: memoryLogger(),
      source: {
        nodeId: 'n', zone: 'default',
        config: () => store.current(),
        controlPlane: () => ({ state: 'connected', address: null }),
        proxy: () => proxy.stats(),
        draining: () => drain.draining,
      },
    });
    const statusPort = await status.listen();
    try {
      expect((await send(statusPort, { path: '/status/ready' })).status).toBe(200);
      drain.begin();
      const ready = await send(statusPort, { path: '/status/ready' });
      expect(ready.status).toBe(503);
      expect(JSON.parse(ready.body)).toEqual({ message: 'draining' });
    } finally {
      await status.close();
    }
  });

  it('exits 0 after the stop function on the first signal, 1 when it fails, and ignores a second signal', async () => {
    const codes: number[] = [];
    let stops = 0;
    exitOnTermination({ logger: memoryLogger(), signals: ['SIGUSR2'], exit: (c) => codes.push(c), stop: async () => void stops++ });
    process.emit('SIGUSR2', 'SIGUSR2');
    process.emit('SIGUSR2', 'SIGUSR2');
    await new Promise((r) => setImmediate(r));
    expect([stops, ...codes]).toEqual([1, 0]);
    process.removeAllListeners('SIGUSR2');
    exitOnTermination({ logger: memoryLogger(), signals: ['SIGUSR2'], exit: (c) => codes.push(c), stop: () => Promise.reject(new Error('x')) });
    process.emit('SIGUSR2', 'SIGUSR2');
    await new Promise((r) => setImmediate(r));
    expect(codes).toEqual([0, 1]);
    process.removeAllListeners('SIGUSR2');
  });
});
