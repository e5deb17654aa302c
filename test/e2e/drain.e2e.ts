// SIGTERM to a real data-plane process (from the build) under steady keep-alive load: every request
// started before the signal succeeds, /status/ready turns 503 while it drains, and it exits 0; the
// http-log records of the last requests reach their collector before it exits, and a collector that
// never answers does not hold the exit past the drain timeout.
// Run with one process and with two proxy workers (ARCHWAY_WORKERS).
import { pluginSchema } from '@archway/plugins';
import { emptyConfig, makeSnapshot, routeSchema, serviceSchema, validateEntity, validatePlugin, type Plugin, type Route, type Service } from '@archway/schema';
import { silentLogger } from '@archway/telemetry';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SyncServer } from '../../apps/control-plane/src/clustering/sync-server';
import { eventually, freePort, ROOT } from '../support/processes';

jest.setTimeout(120_000);

const LOOPS = 8;
const MAX_REQUESTS_PER_LOOP = 2_000;

interface Outcome {
  beforeSigterm: boolean;
  ok: boolean;
  detail: string;
}

function get(port: number, path: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

let sync: SyncServer;
let upstream: Server;
let upstreamPort: number;
let clusterPort: number;
let service: Service;
let route: Route;
/** the last snapshot version published (each data plane below gets a newer one) */
let version = 1;

beforeAll(async () => {
  // a slow upstream, so requests are in flight when the signal comes
  upstream = createServer((req, res) => setTimeout(() => res.end('ok'), 50));
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  upstreamPort = (upstream.address() as { port: number }).port;
  sync = new SyncServer({ logger: silentLogger, softwareVersion: 'test' });
  clusterPort = await sync.listen('127.0.0.1', 0);
  service = validateEntity<Service>(serviceSchema, { name: 'slow', url: `http://127.0.0.1:${upstreamPort}` }, 'create');
  route = validateEntity<Route>(routeSchema, { paths: ['/slow'], service: { id: service.id } }, 'create');
  sync.publish(makeSnapshot(1, { ...emptyConfig(), services: [service], routes: [route] }));
});

afterAll(async () => {
  await sync?.close();
  upstream?.closeAllConnections();
  await new Promise((r) => upstream?.close(r));
});

describe.each([1, 2])('graceful drain with ARCHWAY_WORKERS=%i', (workers) => {
  let prefix: string;
  let child: ChildProcess;
  const log: string[] = [];
  afterEach(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(prefix, { recursive: true, force: true });
  });

  it('finishes every request started before SIGTERM, turns unready, and exits 0', async () => {
    prefix = mkdtempSync(join(tmpdir(), 'archway-e2e-drain-'));
    const [proxyPort, statusPort] = [await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ARCHWAY_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
      ARCHWAY_PROXY_SSL_LISTEN: 'off',
      ARCHWAY_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
      ARCHWAY_CLUSTER_CONTROL_PLANE: `127.0.0.1:${clusterPort}`,
      ARCHWAY_PREFIX: prefix,
      ARCHWAY_WORKERS: String(workers),
      ARCHWAY_DRAIN_TIMEOUT: '10s',
    };
    delete env.ARCHWAY_DATABASE_URL;
    child = spawn(process.execPath, [join(ROOT, 'dist', 'apps', 'data-plane', 'src', 'main.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [child.stdout, child.stderr]) stream?.on('data', (c: Buffer) => log.push(...c.toString().split('\n').filter(Boolean)));
    const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
    const tail = () => log.slice(-30).join('\n');
    await eventually('the data plane to serve /slow', async () => (await fetch(`http://127.0.0.1:${proxyPort}/slow`)).status === 200, 30_000).catch((err) => {
      throw new Error(`${err}\n${tail()}`);
    });

    const agent = new Agent({ keepAlive: true, maxSockets: LOOPS });
    const outcomes: Outcome[] = [];
    let sigterm = false;
    let exitedYet = false;
    const loop = async () => {
      for (let i = 0; i < MAX_REQUESTS_PER_LOOP && !exitedYet; i++) {
        const beforeSigterm = !sigterm;
        try {
          const status = await get(proxyPort, '/slow', agent);
          outcomes.push({ beforeSigterm, ok: status === 200, detail: String(status) });
        } catch (err) {
          outcomes.push({ beforeSigterm, ok: false, detail: String(err) });
          if (sigterm) return; // the listener is gone, as it should be
        }
      }
    };
    const loops = Array.from({ length: LOOPS }, loop);

    await new Promise((r) => setTimeout(r, 500)); // steady load
    const readiness: number[] = [];
    sigterm = true;
    child.kill('SIGTERM');
    const poll = (async () => {
      while (!exitedYet) {
        const status = await fetch(`http://127.0.0.1:${statusPort}/status/ready`).then((r) => r.status, () => 0);
        readiness.push(status);
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const [code, signal] = await exited;
    exitedYet = true;
    await Promise.all([...loops, poll]);
    agent.destroy();

    const before = outcomes.filter((o) => o.beforeSigterm);
    expect(before.length).toBeGreaterThan(LOOPS);
    expect(before.filter((o) => !o.ok).map((o) => o.detail)).toEqual([]);
    expect(readiness).toContain(503);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(log.some((l) => l.includes('signal received'))).toBe(true);
  });
});

/**
 * A log collector keeping the records it accepts: it answers the first `refuse` deliveries 503 (a
 * hiccup, so the queue must retry later), and none at all with `hang`.
 */
async function startCollector(opts: { refuse?: number; hang?: boolean } = {}) {
  const records: { request: { id: string } }[] = [];
  let refuse = opts.refuse ?? 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (opts.hang) return;
      if (refuse-- > 0) return void res.writeHead(503).end();
      const body = JSON.parse(Buffer.concat(chunks).toString()) as typeof records | (typeof records)[number];
      records.push(...(Array.isArray(body) ? body : [body]));
      res.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/logs`;
  const close = () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r())));
  return { records, url, close };
}

describe.each([1, 2])('plugin queues at shutdown with ARCHWAY_WORKERS=%i', (workers) => {
  let prefix: string;
  let child: ChildProcess;
  const log: string[] = [];
  afterEach(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(prefix, { recursive: true, force: true });
  });

  /** Starts a data plane whose /slow route logs to `collectorUrl` (batches coalesced up to 20 s, a refused one retried after 3 s). */
  async function start(collectorUrl: string, drainTimeout: string) {
    const queue = { max_batch_size: 100, max_coalescing_delay: 20, initial_retry_delay: 3 };
    const plugin = validatePlugin(
      { name: 'http-log', route: { id: route.id }, config: { http_endpoint: collectorUrl, queue } },
      'create',
      pluginSchema,
    ) as Plugin;
    sync.publish(makeSnapshot(++version, { ...emptyConfig(), services: [service], routes: [route], plugins: [plugin] }));
    prefix = mkdtempSync(join(tmpdir(), 'archway-e2e-drain-log-'));
    const proxyPort = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ARCHWAY_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
      ARCHWAY_PROXY_SSL_LISTEN: 'off',
      ARCHWAY_STATUS_LISTEN: `127.0.0.1:${await freePort()}`,
      ARCHWAY_CLUSTER_CONTROL_PLANE: `127.0.0.1:${clusterPort}`,
      ARCHWAY_PREFIX: prefix,
      ARCHWAY_WORKERS: String(workers),
      ARCHWAY_DRAIN_TIMEOUT: drainTimeout,
    };
    delete env.ARCHWAY_DATABASE_URL;
    log.length = 0;
    child = spawn(process.execPath, [join(ROOT, 'dist', 'apps', 'data-plane', 'src', 'main.js')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [child.stdout, child.stderr]) stream?.on('data', (c: Buffer) => log.push(...c.toString().split('\n').filter(Boolean)));
    const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
    // served with this snapshot: the response comes from the config that has the plugin
    await eventually('the data plane to serve /slow with the http-log config', async () => log.some((l) => l.includes(`"config_version":${version}`)), 30_000).catch(
      (err) => {
        throw new Error(`${err}\n${log.slice(-30).join('\n')}`);
      },
    );
    await eventually('the data plane to serve /slow', async () => (await fetch(`http://127.0.0.1:${proxyPort}/slow`).catch(() => null))?.status === 200, 30_000);
    return { proxyPort, exited };
  }

  it('sends the http-log records of requests served just before SIGTERM before exiting', async () => {
    // the collector refuses the first batch: the queue sends it again 3 s later, while the process
    // is shutting down; only a shutdown that waits for the queue (within the drain timeout) delivers it
    const collector = await startCollector({ refuse: 1 });
    try {
      const { proxyPort, exited } = await start(collector.url, '10s');
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`http://127.0.0.1:${proxyPort}/slow?last=${i}`);
        expect(res.status).toBe(200);
        ids.push(res.headers.get('x-archway-request-id') ?? '');
      }
      child.kill('SIGTERM');
      const [code, signal] = await exited;
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      const logged = new Set(collector.records.map((r) => r.request.id));
      for (const id of ids) expect(logged).toContain(id);
    } finally {
      await collector.close();
    }
  });

  it('does not wait past the drain timeout for a collector that never answers', async () => {
    const collector = await startCollector({ hang: true });
    try {
      const { proxyPort, exited } = await start(collector.url, '2s');
      expect((await fetch(`http://127.0.0.1:${proxyPort}/slow`)).status).toBe(200);
      const signalled = Date.now();
      child.kill('SIGTERM');
      const [code] = await exited;
      expect(code).toBe(0);
      // bounded by the 2 s drain timeout, not by the collector: unbounded, the send would wait for
      // http-log's 10 s timeout and then retry for up to a minute (max_retry_time)
      expect(Date.now() - signalled).toBeLessThan(30_000);
      expect(log.some((l) => l.includes('plugins did not finish sending their queued entries before the drain timeout'))).toBe(true);
    } finally {
      await collector.close();
    }
  });
});
