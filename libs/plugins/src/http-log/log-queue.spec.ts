import { LogQueue, queueSettings, type QueueSettings } from './log-queue';

function recorder() {
  const lines: { level: string; msg: string }[] = [];
  const at = (level: string) => (msg: string) => void lines.push({ level, msg });
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

const settings = (over: Partial<QueueSettings> = {}): QueueSettings => ({
  ...queueSettings({}),
  maxCoalescingDelayMs: 10,
  initialRetryDelayMs: 1,
  maxRetryDelayMs: 5,
  ...over,
});

const until = async (check: () => boolean) => {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!check()) throw new Error('condition not reached');
};

describe('http-log queue', () => {
  it("reads Kong's queue record in seconds", () => {
    expect(queueSettings({ max_batch_size: 5, max_coalescing_delay: 2, max_entries: 7, max_bytes: null, max_retry_time: 3, initial_retry_delay: 0.5, max_retry_delay: 4, concurrency_limit: -1 })).toEqual({
      maxBatchSize: 5,
      maxCoalescingDelayMs: 2000,
      maxEntries: 7,
      maxBytes: null,
      maxRetryTimeMs: 3000,
      initialRetryDelayMs: 500,
      maxRetryDelayMs: 4000,
      concurrencyLimit: -1,
    });
  });

  it('sends full batches of max_batch_size, and a partial one after max_coalescing_delay', async () => {
    const batches: string[][] = [];
    const q = new LogQueue('t', settings({ maxBatchSize: 3, maxCoalescingDelayMs: 50 }), async (b) => void batches.push(b), recorder().logger);
    for (const e of ['a', 'b', 'c', 'd']) q.enqueue(e);
    await until(() => batches.length === 2);
    expect(batches).toEqual([['a', 'b', 'c'], ['d']]);
  });

  it('retries a failed batch with backoff until it is accepted', async () => {
    const { lines, logger } = recorder();
    let calls = 0;
    const sent: string[][] = [];
    const q = new LogQueue('t', settings(), async (b) => {
      if (++calls < 3) throw new Error('collector down');
      sent.push(b);
    }, logger);
    q.enqueue('a');
    await until(() => sent.length === 1);
    expect(calls).toBe(3);
    expect(lines.filter((l) => l.msg === 'handler could not process entries')).toHaveLength(2);
  });

  it("gives up after max_retry_time with Kong's message counting the lost entries", async () => {
    const { lines, logger } = recorder();
    const q = new LogQueue('t', settings({ maxBatchSize: 2, maxRetryTimeMs: 20 }), () => Promise.reject(new Error('down')), logger);
    q.enqueue('a');
    q.enqueue('b');
    await until(() => lines.some((l) => l.level === 'error'));
    expect(lines.find((l) => l.level === 'error')?.msg).toBe('could not send entries due to max_retry_time exceeded. 2 queue entries were lost');
  });

  it('drops the oldest entries when max_entries are waiting, saying so once, and never blocks the caller', async () => {
    const { lines, logger } = recorder();
    let release: () => void = () => undefined;
    const sent: string[][] = [];
    const q = new LogQueue('t', settings({ maxEntries: 2, maxCoalescingDelayMs: 0 }), async (b) => {
      if (sent.length === 0) await new Promise<void>((r) => (release = r));
      sent.push(b);
    }, logger);
    q.enqueue('first'); // in flight, held by the collector
    await until(() => q.size === 0);
    for (const e of ['a', 'b', 'c', 'd']) expect(q.enqueue(e)).toBe(true);
    expect(q.size).toBe(2);
    expect(lines.filter((l) => l.msg.startsWith('queue full'))).toHaveLength(1);
    release();
    await until(() => sent.length === 3);
    expect(sent).toEqual([['first'], ['c'], ['d']]);
    expect(lines.some((l) => l.msg === 'queue resumed processing')).toBe(true);
  });

  it('keeps within max_bytes, refusing an entry larger than the bound', async () => {
    const { lines, logger } = recorder();
    const q = new LogQueue('t', settings({ maxBytes: 4, maxCoalescingDelayMs: 1000, maxBatchSize: 10 }), async () => undefined, logger);
    expect(q.enqueue('12345')).toBe(false);
    q.enqueue('ab');
    q.enqueue('cd');
    q.enqueue('ef');
    expect(q.size).toBe(2);
    expect(lines[0].msg).toContain("max_bytes");
    await q.close();
  });

  it('queues objects as they are (opentelemetry\'s spans), counting only strings against max_bytes', async () => {
    const batches: { id: number }[][] = [];
    const q = new LogQueue<{ id: number }>('t', settings({ maxBytes: 1, maxBatchSize: 3, maxCoalescingDelayMs: 1000 }), async (b) => void batches.push(b), recorder().logger);
    for (const id of [1, 2, 3]) expect(q.enqueue({ id })).toBe(true);
    await until(() => batches.length === 1);
    expect(batches).toEqual([[{ id: 1 }, { id: 2 }, { id: 3 }]]);
  });

  it('sends what it holds at once when closed, without waiting for the batch to fill', async () => {
    const batches: string[][] = [];
    const q = new LogQueue('t', settings({ maxBatchSize: 100, maxCoalescingDelayMs: 60_000 }), async (b) => void batches.push(b), recorder().logger);
    q.enqueue('a');
    q.enqueue('b');
    await q.close();
    expect(batches).toEqual([['a', 'b']]);
    q.enqueue('late');
    await q.close();
    expect(batches).toEqual([['a', 'b'], ['late']]);
  });

  it('sends every entry on its own and concurrently with concurrency_limit -1', async () => {
    const releases: (() => void)[] = [];
    const batches: string[][] = [];
    const q = new LogQueue('t', settings({ concurrencyLimit: -1, maxBatchSize: 10 }), (b) => {
      batches.push(b);
      return new Promise<void>((r) => releases.push(r));
    }, recorder().logger);
    q.enqueue('a');
    q.enqueue('b');
    expect(batches).toEqual([['a'], ['b']]);
    const closed = q.close();
    for (const r of releases) r();
    await closed;
  });
});
