// rate-limiting's local policy on the node's counters (ConfigureEnv.node): with several proxy workers
// they live in the data plane's primary and answer asynchronously; the decision, the headers and the
// failure handling are those of the in-process counters.
import { compileChains, type NodeCounters, type PluginHandler } from '@archway/pipeline';
import type { ConfigSet } from '@archway/schema';
import { pluginInstance, route, runChain, service } from '../testing/spec-kit';
import { createRateLimitingHandler } from './handler';
import { LocalCounters } from './policies/local';

const T0 = Date.UTC(2024, 2, 15, 10, 20, 30);

/** Counters in "another process": the same counts, answered on a later turn of the event loop. */
class RemoteCounters implements NodeCounters {
  readonly inner = new LocalCounters();
  calls = 0;
  failing = false;
  take(key: string, series: readonly number[], starts: readonly number[], limits: readonly number[]): Promise<number[]> {
    this.calls++;
    if (this.failing) return new Promise((_, reject) => setImmediate(() => reject(Object.assign(new Error('the data plane primary process is gone'), { code: 'ARCHWAY_NODE_COUNTERS_UNREACHABLE' }))));
    const used = this.inner.take(key, series, starts, limits);
    return new Promise((resolve) => setImmediate(() => resolve(used)));
  }
}

/**
 * Counters that read their arguments only when they answer, a turn later, as the IPC counters do
 * (a worker's takes of one turn go to the primary in one message).
 */
class LateReadingCounters implements NodeCounters {
  readonly inner = new LocalCounters();
  take(key: string, series: readonly number[], starts: readonly number[], limits: readonly number[]): Promise<number[]> {
    return new Promise((resolve) => setImmediate(() => resolve(this.inner.take(key, series, starts, limits))));
  }
}

/** The bundled way in: the handler takes the node's counters from the configure env. */
function limiterOnNode(config: Record<string, unknown>, node: NodeCounters, clock: () => number = () => T0) {
  const handler = createRateLimitingHandler({ clock }) as unknown as PluginHandler;
  const set = { services: [service], routes: [route], plugins: [pluginInstance('rate-limiting', config)] } as unknown as ConfigSet;
  const chain = compileChains({ config: set, handlers: new Map([['rate-limiting', handler]]), node: { counters: node } }).forRoute(route);
  return () => runChain(chain, {}, { status: 200 });
}

describe('rate-limiting on the node counters', () => {
  it("uses the node's counters, with Kong's headers and 429, when the data plane has several processes", async () => {
    const node = new RemoteCounters();
    const send = limiterOnNode({ minute: 2 }, node);
    const first = await send();
    expect(first.ctx.exitResponse).toBeNull();
    expect(first.ctx.responseHeaders).toMatchObject({ 'X-RateLimit-Remaining-Minute': '1', 'RateLimit-Remaining': '1', 'RateLimit-Reset': '30' });
    expect((await send()).ctx.responseHeaders).toMatchObject({ 'RateLimit-Remaining': '0' });
    const over = await send();
    expect(over.ctx.exitResponse).toMatchObject({
      status: 429,
      body: { message: 'API rate limit exceeded' },
      headers: { 'RateLimit-Limit': '2', 'RateLimit-Remaining': '0', 'Retry-After': '30', 'X-RateLimit-Remaining-Minute': '0' },
    });
    expect(node.calls).toBe(3);
  });

  it('lets requests through without headers when the node counters cannot be reached (fault_tolerant)', async () => {
    const node = new RemoteCounters();
    node.failing = true;
    const r = await limiterOnNode({ minute: 1 }, node)();
    expect(r.ctx.exitResponse).toBeNull();
    expect(Object.keys(r.ctx.responseHeaders).filter((h) => /ratelimit/i.test(h))).toEqual([]);
  });

  it("answers 500 'An unexpected error occurred' when they cannot be reached and fault_tolerant is off", async () => {
    const node = new RemoteCounters();
    node.failing = true;
    const r = await limiterOnNode({ minute: 1, fault_tolerant: false }, node)();
    expect(r.ctx.exitResponse).toMatchObject({ status: 500, body: { message: 'An unexpected error occurred' } });
  });
});

describe('rate-limiting windows while the node counters answer', () => {
  it('counts a request in the windows it arrived in when the next window starts before the counts come back', async () => {
    const node = new LateReadingCounters();
    const clock = { now: Date.UTC(2024, 2, 15, 10, 20, 59, 500) };
    const send = limiterOnNode({ minute: 5 }, node, () => clock.now);
    const late = send(); // arrives at 10:20:59, counted after the clock has moved on
    clock.now = Date.UTC(2024, 2, 15, 10, 21, 0, 100);
    const next = send();
    expect((await late).ctx.responseHeaders).toMatchObject({ 'RateLimit-Reset': '1', 'RateLimit-Remaining': '4' });
    expect((await next).ctx.responseHeaders).toMatchObject({ 'RateLimit-Reset': '60', 'RateLimit-Remaining': '4' });
  });
});

describe('LocalCounters.take', () => {
  it('counts a hit in every window only when none is used up, and returns the counts before it', () => {
    const c = new LocalCounters();
    const args = [[0, 1], [T0, T0 - 30_000], [5, 2]] as const;
    expect(c.take('k', ...args)).toEqual([0, 0]);
    expect(c.take('k', ...args)).toEqual([1, 1]);
    // the minute window is used up: refused, and the second's window is not counted either (Kong's local policy)
    expect(c.take('k', ...args)).toEqual([2, 2]);
    expect(c.take('k', ...args)).toEqual([2, 2]);
    expect(c.get(0, T0, 'k')).toBe(2);
  });

  it('fills and returns the array it is given', () => {
    const c = new LocalCounters();
    const into = [7, 7];
    expect(c.take('k', [0, 1], [T0, T0 - 30_000], [5, 5], into)).toBe(into);
    expect(into).toEqual([0, 0]);
  });

  it('evicts the oldest key of a full window for a new key, never for a counted one', () => {
    const c = new LocalCounters(2);
    c.take('a', [0], [1000], [9]);
    c.take('b', [0], [1000], [9]);
    c.take('a', [0], [1000], [9]);
    expect(c.size('second')).toBe(2);
    c.take('c', [0], [1000], [9]);
    expect([c.get(0, 1000, 'a'), c.get(0, 1000, 'b'), c.get(0, 1000, 'c')]).toEqual([0, 1, 1]);
  });
});
