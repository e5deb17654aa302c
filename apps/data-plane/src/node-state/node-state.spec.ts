// The node's shared state between a primary (NodeStateServer) and its workers (NodeStateClient), over
// an in-memory channel that copies messages and delivers them on a later turn, as node's IPC does.
// The real processes are covered by test/e2e/workers-node-state.e2e.ts.
import { pickContext, type Balancer, type ProbeRequest, type ProbeResult } from '@archway/balancer';
import {
  emptyConfig, makeSnapshot, targetSchema, upstreamSchema, validateConfig, validateEntity, type ConfigSet, type Target, type Upstream,
} from '@archway/schema';
import { pluginSchema } from '@archway/plugins';
import { compileBalancers, type Balancers } from '../balancers';
import { memoryLogger } from '../testing/fixtures';
import type { WorkerHandle } from '../workers';
import { IpcCounters } from './ipc-counters';
import { NodeStateClient } from './node-state-client';
import { NodeStateServer } from './node-state-server';

const copy = <T>(msg: T): T => JSON.parse(JSON.stringify(msg)) as T;

/** One worker: its end of the channel, its client, and (for health) its own balancers. */
class FakeWorker {
  static pids = 100;
  readonly pid = FakeWorker.pids++;
  readonly #toPrimary: ((msg: unknown) => void)[] = [];
  readonly client: NodeStateClient;
  balancers: Balancers | null = null;
  probes = 0;

  constructor() {
    this.client = new NodeStateClient({
      send: (msg) => {
        const m = copy(msg);
        setImmediate(() => this.#toPrimary.forEach((fn) => fn(m)));
        return true;
      },
      balancers: () => this.balancers,
    });
  }

  /** the primary's view of this worker */
  readonly handle: WorkerHandle = {
    pid: this.pid,
    send: (msg) => {
      const m = copy(msg) as Parameters<NodeStateClient['onMessage']>[0];
      setImmediate(() => this.client.onMessage(m));
    },
    onMessage: (fn) => this.#toPrimary.push(fn),
    onExit: () => undefined,
    kill: () => undefined,
  };

  /** a message of the snapshot protocol, seen by the primary */
  tellPrimary(msg: unknown): void {
    setImmediate(() => this.#toPrimary.forEach((fn) => fn(msg)));
  }

  /** compiles the config's balancers as a worker does: no active checks, passive changes reported to the node */
  serve(config: ConfigSet): void {
    this.balancers = compileBalancers(config, this.balancers, {
      activeChecks: false,
      probe: async () => {
        this.probes++;
        return { status: 200 };
      },
      onHealthChange: (e) => this.client.healthChanged(e),
    });
  }

  health(upstream = 'pool'): Record<string, string> {
    const b = [...(this.balancers?.values() ?? [])].find((x) => x.upstream.name === upstream) as Balancer;
    return Object.fromEntries(b.health().map((t) => [t.target, t.health]));
  }
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function startNode(workers: number, probe?: (req: ProbeRequest) => Promise<ProbeResult>) {
  const server = new NodeStateServer({ logger: memoryLogger(), balancing: { probe } });
  const fakes = Array.from({ length: workers }, () => new FakeWorker());
  let next = 0;
  const fork = server.forkWith(() => fakes[next++].handle);
  for (let i = 0; i < workers; i++) fork();
  return { server, workers: fakes };
}

describe('node counters over IPC', () => {
  it('two workers taking at once never admit more than the limit for the node, and each count is seen once', async () => {
    const { server, workers } = startNode(2);
    const takes = workers.flatMap((w) => Array.from({ length: 40 }, () => w.client.counters.take('route:client', [1], [60_000], [30])));
    const used = (await Promise.all(takes)).map((u) => u[0]);
    const admitted = used.filter((u) => u < 30).sort((a, b) => a - b);
    expect(admitted).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(used.filter((u) => u >= 30)).toHaveLength(50);
    server.close();
  });

  it('fails a call the primary does not answer in time, and at once when the channel is closed', async () => {
    const silent = new IpcCounters({ send: () => true, timeoutMs: 100 });
    await expect(silent.take('k', [1], [0], [1])).rejects.toMatchObject({ code: 'ARCHWAY_NODE_COUNTERS_UNREACHABLE', message: expect.stringContaining('did not answer within 100 ms') });
    const closed = new IpcCounters({ send: () => false });
    await expect(closed.take('k', [1], [0], [1])).rejects.toMatchObject({ code: 'ARCHWAY_NODE_COUNTERS_UNREACHABLE' });
    const inFlight = new IpcCounters({ send: () => true });
    const pending = inFlight.take('k', [1], [0], [1]);
    await new Promise((r) => setImmediate(r));
    inFlight.close();
    await expect(pending).rejects.toMatchObject({ message: 'the data plane primary process is gone' });
  });
});

describe('node health', () => {
  const upstream = (healthchecks: object) => validateEntity<Upstream>(upstreamSchema, { name: 'pool', healthchecks }, 'create');
  const target = (u: Upstream, t: string) => validateEntity<Target>(targetSchema, { target: t, upstream: { id: u.id } }, 'create');
  function configWith(healthchecks: object): ConfigSet {
    const u = upstream(healthchecks);
    return validateConfig({ ...emptyConfig(), upstreams: [u], targets: [target(u, '10.0.0.1:80'), target(u, '10.0.0.2:80')] }, pluginSchema);
  }

  it("one prober for the node: the primary's active checks reach every worker, which never probe", async () => {
    let down = false;
    let probes = 0;
    const probe = async (req: ProbeRequest): Promise<ProbeResult> => {
      probes++;
      return { status: down && req.host === '10.0.0.2' ? 500 : 200 };
    };
    const { server, workers } = startNode(2, probe);
    const config = configWith({ active: { healthy: { interval: 0.02, successes: 1 }, unhealthy: { interval: 0.02, http_failures: 1 } } });
    for (const w of workers) w.serve(config);
    await server.health.apply(makeSnapshot(1, config));
    down = true;
    await until('both workers to see 10.0.0.2 unhealthy', () => workers.every((w) => w.health()['10.0.0.2:80'] === 'UNHEALTHY'));
    expect(workers.map((w) => w.health()['10.0.0.1:80'])).toEqual(['HEALTHY', 'HEALTHY']);
    down = false;
    await until('both workers to see it healthy again', () => workers.every((w) => w.health()['10.0.0.2:80'] === 'HEALTHY'));
    expect(probes).toBeGreaterThan(0);
    expect(workers.map((w) => w.probes)).toEqual([0, 0]);
    server.close();
  });

  it("a worker's passive verdict becomes the node's, and a worker that applies a config gets the node's table", async () => {
    const { server, workers } = startNode(2);
    const config = configWith({ passive: { unhealthy: { http_failures: 1 } } });
    const [w1, w2] = workers;
    for (const w of workers) w.serve(config);
    await server.health.apply(makeSnapshot(1, config));
    // w1's traffic sees a 500 from 10.0.0.2
    const b1 = [...(w1.balancers as Balancers).values()][0];
    let peer = b1.pick(pickContext());
    while (peer?.address !== '10.0.0.2:80') {
      if (peer) b1.release(peer);
      peer = b1.pick(pickContext());
    }
    b1.report(peer, { ok: true, status: 500 });
    b1.release(peer);
    await until('w2 to adopt it', () => w2.health()['10.0.0.2:80'] === 'UNHEALTHY');
    expect(server.health.table()).toEqual([
      { upstream: 'pool', peers: [{ target: '10.0.0.1:80', address: '10.0.0.1:80', healthy: true }, { target: '10.0.0.2:80', address: '10.0.0.2:80', healthy: false }] },
    ]);
    // w2 restarts its balancers from scratch (a replaced worker): healthy by default until the node tells it
    w2.balancers = null;
    w2.serve(config);
    expect(w2.health()['10.0.0.2:80']).toBe('HEALTHY');
    w2.tellPrimary({ type: 'applied', seq: 1, error: null });
    await until('the table to reach w2', () => w2.health()['10.0.0.2:80'] === 'UNHEALTHY');
    server.close();
  });
});
