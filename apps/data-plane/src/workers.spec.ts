// The primary's worker pool with real child processes over real IPC (a stub worker that speaks the
// protocol without a proxy; the real worker is covered by test/e2e/workers.e2e.ts).
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { mergeSnapshots, renderText } from '@archway/telemetry';
import { makeRoute, makeService, memoryLogger, snapshotOf } from './testing/fixtures';
import { sample } from './testing/metrics-scrape';
import { WorkerPool, type WorkerHandle } from './workers';

const STUB = join(__dirname, 'testing', 'worker-stub.js');

function stubFork(envs: Record<string, string>[]): { fork: () => WorkerHandle; children: ChildProcess[] } {
  const children: ChildProcess[] = [];
  return {
    children,
    fork: () => {
      const child = fork(STUB, [], { env: { ...process.env, ...(envs[children.length] ?? {}) }, stdio: 'ignore' });
      children.push(child);
      return {
        get pid() {
          return child.pid;
        },
        send: (msg) => {
          if (child.connected) child.send(msg);
        },
        onMessage: (fn) => child.on('message', fn),
        onExit: (fn) => child.on('exit', fn),
        kill: (signal) => child.kill(signal),
      };
    },
  };
}

const snapshot = (version: number) => {
  const svc = makeService({ port: 9 });
  return snapshotOf(version, [svc], [makeRoute(svc, { paths: [`/v${version}`] })]);
};

async function until<T>(check: () => Promise<T | null | false> | T | null | false): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = await check();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('condition not met');
}

describe('worker pool', () => {
  let pool: WorkerPool | null = null;
  afterEach(async () => {
    await pool?.shutdown(100);
    pool = null;
  });

  it('starts every worker with the cached snapshot and ACKs a snapshot once every worker applied it', async () => {
    const stubs = stubFork([]);
    pool = new WorkerPool({ count: 3, fork: stubs.fork, logger: memoryLogger(), initial: snapshot(1) });
    await pool.start();
    expect(await pool.stats()).toEqual({ total_requests: 3, served_v1: 3 });
    await pool.apply(snapshot(2));
    expect(pool.current?.version).toBe(2);
    expect(await pool.stats()).toEqual({ total_requests: 3, served_v2: 3 });
  });

  it('NACKs when one worker rejects: the others keep the new snapshot, current and new workers stay on the previous one', async () => {
    const stubs = stubFork([{ STUB_REJECT: '2' }]);
    const logger = memoryLogger();
    pool = new WorkerPool({ count: 2, fork: stubs.fork, logger, initial: snapshot(1), respawn: { initialMs: 10 } });
    await pool.start();
    await expect(pool.apply(snapshot(2))).rejects.toThrow(new RegExp(`^worker ${stubs.children[0].pid}: v2 rejected$`));
    expect(pool.current?.version).toBe(1);
    expect(await pool.stats()).toEqual({ total_requests: 2, served_v1: 1, served_v2: 1 });
    expect(logger.lines.some((l) => l.msg === 'some workers rejected a configuration the others applied; they keep their previous one')).toBe(true);
    // converges when the snapshot comes again (the control plane resends it on the next stream) and the worker accepts it
    await pool.apply(snapshot(3));
    expect(await pool.stats()).toEqual({ total_requests: 2, served_v3: 2 });
  });

  it('replaces a worker that dies, logs it, and starts the replacement on the current snapshot', async () => {
    const stubs = stubFork([]);
    const logger = memoryLogger();
    pool = new WorkerPool({ count: 2, fork: stubs.fork, logger, initial: null, respawn: { initialMs: 10 } });
    await pool.start();
    await pool.apply(snapshot(5));
    const lead = ((await pool.upstreamHealth('who', false)) as { pid: number }).pid;
    const other = stubs.children.map((c) => c.pid).find((pid) => pid !== lead);
    expect(await pool.upstreamHealth('crash', false)).toBeNull(); // the lead worker dies answering
    const died = await until(() => logger.lines.find((l) => l.msg === 'worker exited; replacing it'));
    expect(died).toMatchObject({ pid: lead, code: 3 });
    await until(async () => stubs.children.length === 3 && (await pool!.stats()).served_v5 === 2);
    expect(await pool.upstreamHealth('orders', false)).toEqual({ pid: other, key: 'orders' });
  });

  it("forwards the lead worker's health reports, then the next one's when the lead dies", async () => {
    const stubs = stubFork([]);
    const reports: unknown[] = [];
    pool = new WorkerPool({ count: 2, fork: stubs.fork, logger: memoryLogger(), initial: null, onHealth: (r) => reports.push(r), respawn: { initialMs: 10 } });
    await pool.start();
    await until(() => reports.length >= 1);
    const lead = stubs.children.find((c) => JSON.stringify(reports[0]).includes(`from-${c.pid}`));
    expect(lead).toBeDefined();
    lead!.kill('SIGKILL');
    const other = stubs.children.find((c) => c !== lead)!;
    await until(() => reports.some((r) => JSON.stringify(r).includes(`from-${other.pid}`)));
  });

  it('fails to start, naming why, when a worker cannot listen', async () => {
    const stubs = stubFork([{}, { STUB_START_FAIL: '1' }]);
    pool = new WorkerPool({ count: 2, fork: stubs.fork, logger: memoryLogger(), initial: null });
    await expect(pool.start()).rejects.toThrow(/the address is already in use/);
  });

  it('drains every worker on shutdown and does not replace them', async () => {
    const stubs = stubFork([]);
    pool = new WorkerPool({ count: 2, fork: stubs.fork, logger: memoryLogger(), initial: null, respawn: { initialMs: 1 } });
    await pool.start();
    await pool.shutdown(1000);
    expect(stubs.children.map((c) => c.exitCode)).toEqual([0, 0]);
    await new Promise((r) => setTimeout(r, 50));
    expect(stubs.children).toHaveLength(2);
    expect(pool.size).toBe(0);
  });

  describe('metrics', () => {
    /** what GET /metrics would show of the workers' part */
    const scraped = async () => renderText(mergeSnapshots((await pool?.metrics()) ?? []));

    it("sums every worker's metrics, and a replaced worker's counters stay in the sums (its gauges do not)", async () => {
      const stubs = stubFork([]);
      const logger = memoryLogger();
      const p = (pool = new WorkerPool({ count: 2, fork: stubs.fork, logger, initial: null, respawn: { initialMs: 10 } }));
      await p.start();
      const before = await scraped();
      expect(sample(before, 'req_total{code="200"}')).toBe(10);
      expect(sample(before, 'conn')).toBe(2);
      stubs.children[0].kill('SIGKILL');
      await until(async () => stubs.children.length === 3 && p.size === 2 && (await p.stats()).total_requests === 2);
      const after = await scraped();
      expect(sample(after, 'req_total{code="200"}')).toBe(15); // the dead worker's 5 (as of the last scrape) + two live workers
      expect(sample(after, 'conn')).toBe(2);
    });

    it("uses a worker's previous answer when it does not answer a scrape in time, so counters never drop", async () => {
      const stubs = stubFork([{ STUB_METRICS_ONCE: '1' }]);
      pool = new WorkerPool({ count: 2, fork: stubs.fork, logger: memoryLogger(), initial: null, queryTimeoutMs: 200 });
      await pool.start();
      expect(sample(await scraped(), 'req_total{code="200"}')).toBe(10);
      expect(sample(await scraped(), 'req_total{code="200"}')).toBe(10);
    });
  });
});
