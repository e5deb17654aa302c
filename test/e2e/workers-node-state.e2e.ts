// State a data plane with two proxy workers (ARCHWAY_WORKERS=2) shares across them, with real processes
// from the build fed by a sync server in the test: the rate-limiting `local` policy counts per node (a
// limit of N admits N requests whatever worker serves them), and upstream health is the node's (what
// one worker's traffic or the primary's one prober decides, every worker routes by). Each request runs
// on a connection of its own, and /proc tells which worker held it, so both workers are seen serving.
import { pluginSchema } from '@archway/plugins';
import {
  emptyConfig, makeSnapshot, routeSchema, serviceSchema, targetSchema, upstreamSchema, validateEntity, validatePlugin,
  type Plugin, type Route, type Service, type Target, type Upstream,
} from '@archway/schema';
import { silentLogger } from '@archway/telemetry';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, createServer, get as httpGet, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SyncServer } from '../../apps/control-plane/src/clustering/sync-server';
import { eventually, freePort, role, type RoleProcess } from '../support/processes';
import { socketOwner } from '../support/socket-owner';

jest.setTimeout(120_000);

/** A target server: `/health` answers `healthStatus` (and is counted), anything else `status` with its name. */
interface TestTarget {
  name: string;
  port: number;
  status: number;
  healthStatus: number;
  probes: number;
  server: Server;
}

async function startTarget(name: string): Promise<TestTarget> {
  const t = { name, port: 0, status: 200, healthStatus: 200, probes: 0 } as TestTarget;
  t.server = createServer((req, res) => {
    if (req.url === '/health') {
      t.probes++;
      res.writeHead(t.healthStatus).end();
      return;
    }
    res.writeHead(t.status, { 'content-type': 'text/plain' }).end(name);
  });
  await new Promise<void>((r) => t.server.listen(0, '127.0.0.1', r));
  t.port = (t.server.address() as { port: number }).port;
  return t;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** pid of the worker that served it */
  worker: number | null;
}

let server: SyncServer;
let dp: RoleProcess;
let proxyPort: number;
let status: string;
let prefix: string;
const targets: Record<string, TestTarget> = {};

/** pids of the workers that logged they listen */
const workerPids = () => dp.log.filter((l) => l.includes('"worker listening"')).map((l) => JSON.parse(l).pid as number);

/** GET on a connection of its own, held open until we know which worker holds its other end. */
async function getAlone(path: string): Promise<Answer> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const res = await new Promise<IncomingMessage>((resolve, reject) => httpGet({ host: '127.0.0.1', port: proxyPort, path, agent }, resolve).on('error', reject));
    const clientPort = res.socket.localPort as number;
    let body = '';
    for await (const chunk of res) body += chunk;
    return { status: res.statusCode as number, headers: res.headers, body, worker: socketOwner(proxyPort, clientPort, workerPids()) };
  } finally {
    agent.destroy();
  }
}

/** `n` requests, `concurrency` at a time, each on its own connection. */
async function many(path: string, n: number, concurrency = 1): Promise<Answer[]> {
  const out: Answer[] = [];
  let left = n;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) out.push(await getAlone(path));
    }),
  );
  return out;
}

const workersOf = (answers: Answer[]) => new Set(answers.map((a) => a.worker));

async function targetHealth(upstream: string, target: TestTarget): Promise<string | undefined> {
  const res = await fetch(`${status}/upstreams/${upstream}/health`);
  if (!res.ok) return undefined;
  const body = (await res.json()) as { data: { target: string; health: string }[] };
  return body.data.find((t) => t.target === `127.0.0.1:${target.port}`)?.health;
}

/** Fixed windows restart on the minute: start a burst well inside one. */
async function awayFromEdge(windowMs: number): Promise<void> {
  const into = Date.now() % windowMs;
  if (into > windowMs - 15_000) await new Promise((r) => setTimeout(r, windowMs - into + 100));
}

function config() {
  const service = (name: string, host: string, port = 80) => validateEntity<Service>(serviceSchema, { name, host, port, protocol: 'http' }, 'create');
  const route = (svc: Service, path: string) => validateEntity<Route>(routeSchema, { paths: [path], service: { id: svc.id } }, 'create');
  const upstream = (name: string, healthchecks: object) => validateEntity<Upstream>(upstreamSchema, { name, healthchecks }, 'create');
  const target = (u: Upstream, t: TestTarget) => validateEntity<Target>(targetSchema, { target: `127.0.0.1:${t.port}`, upstream: { id: u.id } }, 'create');
  const passive = upstream('passive-pool', { passive: { unhealthy: { http_failures: 1 } } });
  const active = upstream('active-pool', {
    active: { http_path: '/health', healthy: { interval: 0.25, successes: 1 }, unhealthy: { interval: 0.25, http_failures: 1 } },
  });
  const limited = service('limited', '127.0.0.1', targets.pa.port);
  const services = [limited, service('passive', 'passive-pool'), service('active', 'active-pool')];
  const routes = [route(services[0], '/limited'), route(services[1], '/passive'), route(services[2], '/active')];
  const limit = validatePlugin({ name: 'rate-limiting', route: { id: routes[0].id }, config: { minute: 10 } }, 'create', pluginSchema) as Plugin;
  return {
    ...emptyConfig(),
    services,
    routes,
    upstreams: [passive, active],
    targets: [target(passive, targets.pa), target(passive, targets.pb), target(active, targets.aa), target(active, targets.ab)],
    plugins: [limit],
  };
}

beforeAll(async () => {
  for (const name of ['pa', 'pb', 'aa', 'ab']) targets[name] = await startTarget(name);
  server = new SyncServer({ logger: silentLogger, softwareVersion: 'test' });
  const clusterPort = await server.listen('127.0.0.1', 0);
  const statusPort = await freePort();
  proxyPort = await freePort();
  status = `http://127.0.0.1:${statusPort}`;
  prefix = mkdtempSync(join(tmpdir(), 'archway-e2e-node-state-'));
  dp = role('dp', 'data-plane', {
    ARCHWAY_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
    ARCHWAY_PROXY_SSL_LISTEN: 'off',
    ARCHWAY_STATUS_LISTEN: `127.0.0.1:${statusPort}`,
    ARCHWAY_CLUSTER_CONTROL_PLANE: `127.0.0.1:${clusterPort}`,
    ARCHWAY_PREFIX: prefix,
    ARCHWAY_WORKERS: '2',
    ARCHWAY_LOG_LEVEL: 'debug',
  }).start();
  server.publish(makeSnapshot(1, config()));
  await eventually('the ACK of version 1', async () => server.dataPlanes()[0]?.config_version === 1, 30_000, [dp]);
  expect(workerPids()).toHaveLength(2);
});

afterAll(async () => {
  await dp?.stop();
  await server?.close();
  for (const t of Object.values(targets)) await new Promise((r) => t.server.close(r));
  rmSync(prefix, { recursive: true, force: true });
});

describe('rate-limiting, local policy, two workers', () => {
  it("admits exactly 10 of 30 requests a minute spread over both workers, then answers Kong's 429", async () => {
    await awayFromEdge(60_000);
    const answers = await many('/limited', 30, 6);
    const admitted = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status === 429);
    expect(admitted).toHaveLength(10);
    expect(refused).toHaveLength(20);
    // both workers admitted some: one count for the node, not one per worker
    expect(workersOf(admitted)).toEqual(new Set(workerPids()));
    expect(workersOf(refused)).toEqual(new Set(workerPids()));
    // each admitted request saw the node's count: every remaining value once
    const remaining = admitted.map((a) => Number(a.headers['x-ratelimit-remaining-minute'])).sort((a, b) => a - b);
    expect(remaining).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const a of admitted) expect(a.headers).toMatchObject({ 'x-ratelimit-limit-minute': '10', 'ratelimit-limit': '10' });
    for (const r of refused) {
      expect(JSON.parse(r.body)).toEqual({ message: 'API rate limit exceeded', request_id: expect.stringMatching(/^[0-9a-f]{32}$/) });
      expect(r.headers).toMatchObject({
        'x-ratelimit-limit-minute': '10',
        'x-ratelimit-remaining-minute': '0',
        'ratelimit-limit': '10',
        'ratelimit-remaining': '0',
      });
      const reset = Number(r.headers['ratelimit-reset']);
      expect(reset).toBeGreaterThanOrEqual(1);
      expect(reset).toBeLessThanOrEqual(60);
      expect(r.headers['retry-after']).toBe(String(reset));
    }
  });
});

describe('upstream health, two workers', () => {
  it('a target one worker saw failing (passive checks) is avoided by both workers', async () => {
    const before = await many('/passive', 8);
    expect(new Set(before.map((a) => a.body))).toEqual(new Set(['pa', 'pb']));
    targets.pb.status = 500;
    // one request at a time until one reaches pb: one worker sees the failure, the other does not
    let failed: Answer | null = null;
    for (let i = 0; i < 10 && !failed; i++) {
      const a = await getAlone('/passive');
      if (a.status === 500) failed = a;
    }
    expect(failed?.body).toBe('pb');
    await eventually('pb unhealthy on the status port', async () => (await targetHealth('passive-pool', targets.pb)) === 'UNHEALTHY', 10_000, [dp]);
    const after = await many('/passive', 20);
    expect(workersOf(after)).toEqual(new Set(workerPids()));
    expect(after.map((a) => `${a.status} ${a.body}`)).toEqual(Array(20).fill('200 pa'));
  });

  it('one prober for the node: a target failing its active checks is avoided by both workers, and used again once it recovers', async () => {
    await eventually('both active targets healthy', async () => (await targetHealth('active-pool', targets.aa)) === 'HEALTHY' && (await targetHealth('active-pool', targets.ab)) === 'HEALTHY', 10_000, [dp]);
    // healthy targets are probed every 0.25 s by one process: at most one probe per interval (two workers probing would double it)
    const [probes0, t0] = [targets.aa.probes, Date.now()];
    await new Promise((r) => setTimeout(r, 2_000));
    const [probes1, t1] = [targets.aa.probes, Date.now()];
    expect(probes1 - probes0).toBeGreaterThan(0);
    expect(probes1 - probes0).toBeLessThanOrEqual(Math.floor((t1 - t0) / 250) + 2);

    targets.ab.healthStatus = 500; // its proxied path still answers: only the probe says it is down
    await eventually('ab unhealthy on the status port', async () => (await targetHealth('active-pool', targets.ab)) === 'UNHEALTHY', 10_000, [dp]);
    const down = await many('/active', 20);
    expect(workersOf(down)).toEqual(new Set(workerPids()));
    expect(down.map((a) => `${a.status} ${a.body}`)).toEqual(Array(20).fill('200 aa'));

    targets.ab.healthStatus = 200;
    await eventually('ab healthy on the status port', async () => (await targetHealth('active-pool', targets.ab)) === 'HEALTHY', 10_000, [dp]);
    const up = await many('/active', 20);
    for (const pid of workerPids()) expect(up.filter((a) => a.worker === pid).map((a) => a.body)).toContain('ab');
  });
});
