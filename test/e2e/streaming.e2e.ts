// Bodies stream through a real data-plane process in bounded memory: a 1 GiB upload reaches an upstream
// that counts and discards it, and a 1 GiB download reaches the client the same way. Neither side of
// the test holds the body: it is generated on the fly and counted as it arrives. The data plane's peak
// resident memory (VmHWM of every process it runs) must stay far below the body size.
import { makeSnapshot } from '@archway/schema';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { SyncServer } from '../../apps/control-plane/src/clustering/sync-server';
import { eventually, type RoleProcess } from '../support/processes';
import { serviceConfig, startSyncedDataPlane, type SyncedDataPlane } from '../support/synced-data-plane';

jest.setTimeout(120_000);

const GIB = 1024 ** 3;
const CHUNK = Buffer.alloc(64 * 1024, 'archway streaming ');
/** far below the body: a proxy holding even a quarter of it would exceed this */
const PEAK_RSS_LIMIT = 300 * 1024 * 1024;

let plane: SyncedDataPlane;
let server: SyncServer;
let upstream: Server;
let upstreamPort: number;
let dp: RoleProcess;
let proxyPort: number;
let prefix: string;

/** `total` bytes made on the fly from one shared chunk, pushed only when the consumer asks (backpressure). */
function generated(total: number): Readable {
  let left = total;
  return new Readable({
    highWaterMark: CHUNK.length,
    read() {
      if (left <= 0) return void this.push(null);
      const n = Math.min(left, CHUNK.length);
      left -= n;
      this.push(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n));
    },
  });
}

/** Counts what flows in and keeps none of it. */
function counter(): Writable & { bytes: number } {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      sink.bytes += chunk.length;
      done();
    },
  }) as Writable & { bytes: number };
  sink.bytes = 0;
  return sink;
}

/** POST /up: counts the body and answers with the count; GET /down: streams `x-size` bytes. */
function handle(req: IncomingMessage, res: ServerResponse): void {
  if (req.url === '/up') {
    const sink = counter();
    pipeline(req, sink).then(
      () => res.end(JSON.stringify({ received: sink.bytes })),
      () => res.destroy(),
    );
    return;
  }
  const size = Number(req.headers['x-size']);
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
  pipeline(generated(size), res).catch(() => res.destroy());
}

/** Every process of our data plane (a supervisor and its workers share ARCHWAY_PREFIX). */
function dataPlanePids(): number[] {
  const marker = `ARCHWAY_PREFIX=${prefix}\0`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(marker)) pids.push(Number(entry));
    } catch {
      // gone, or not ours
    }
  }
  return pids;
}

/** The highest peak resident set size (VmHWM) among the data plane's processes, in bytes. */
function peakRss(): number {
  const peaks = dataPlanePids().map((pid) => {
    const line = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return line ? Number(line[1]) * 1024 : 0;
  });
  expect(peaks.length).toBeGreaterThan(0);
  return Math.max(...peaks);
}

function config() {
  return serviceConfig({ name: 'bulk', url: `http://127.0.0.1:${upstreamPort}`, read_timeout: 120_000, write_timeout: 120_000 }, [{ paths: ['/'], strip_path: false }]);
}

beforeAll(async () => {
  upstream = createServer(handle).listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  upstreamPort = (upstream.address() as { port: number }).port;
  plane = await startSyncedDataPlane('streaming', { ARCHWAY_WORKERS: '1' });
  ({ server, dp, proxyPort, prefix } = plane);
  server.publish(makeSnapshot(1, config()));
  await eventually(
    'the data plane to proxy',
    async () => (await fetch(`http://127.0.0.1:${proxyPort}/up`, { method: 'POST', body: 'x' })).status === 200,
    30_000,
    [dp],
  );
});

afterAll(async () => {
  await plane?.stop();
  upstream?.closeAllConnections();
  await new Promise((r) => upstream?.close(r));
});

it('streams a 1 GiB upload to the upstream in bounded memory', async () => {
  const req = request({
    host: '127.0.0.1',
    port: proxyPort,
    method: 'POST',
    path: '/up',
    headers: { 'content-type': 'application/octet-stream', 'content-length': GIB },
    agent: false,
  });
  const response = once(req, 'response');
  await pipeline(generated(GIB), req);
  const [res] = (await response) as [IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  expect(res.statusCode).toBe(200);
  expect(JSON.parse(Buffer.concat(chunks).toString())).toEqual({ received: GIB });
  expect(peakRss()).toBeLessThan(PEAK_RSS_LIMIT);
});

it('streams a 1 GiB download to the client in bounded memory', async () => {
  const req = request({ host: '127.0.0.1', port: proxyPort, method: 'GET', path: '/down', headers: { 'x-size': String(GIB) }, agent: false });
  req.end();
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-length']).toBe(String(GIB));
  const sink = counter();
  await pipeline(res, sink);
  expect(sink.bytes).toBe(GIB);
  expect(peakRss()).toBeLessThan(PEAK_RSS_LIMIT);
});
