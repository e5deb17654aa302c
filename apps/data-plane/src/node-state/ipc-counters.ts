// A proxy worker's view of the node's counters (NodeCounters), kept by the primary: every take() of one
// event-loop turn travels in one `node-take` message and comes back in one `node-taken`. Gathering a
// turn's calls (setImmediate) costs a request no more than that turn, and under load turns a message
// per request into a message per turn; measured in docs/plugins/rate-limiting.md. A batch the primary
// does not answer in time (it is gone, or stuck) rejects, and the plugin treats that as a counter
// failure (fault_tolerant).
import type { NodeCounters } from '@archway/pipeline';
import type { CounterOp, NodeStateFromWorker } from './messages';

export class CountersUnreachableError extends Error {
  readonly code = 'ARCHWAY_NODE_COUNTERS_UNREACHABLE';
}

interface Waiter {
  resolve: (used: number[]) => void;
  reject: (err: Error) => void;
}

interface Batch {
  waiters: Waiter[];
  sentAt: number;
}

export interface IpcCountersOptions {
  /** sends to the primary; false when the channel is closed */
  send: (msg: NodeStateFromWorker) => boolean;
  /** a batch not answered within this rejects (default 2 s) */
  timeoutMs?: number;
}

export class IpcCounters implements NodeCounters {
  readonly #send: IpcCountersOptions['send'];
  readonly #timeoutMs: number;
  readonly #sent = new Map<number, Batch>();
  #ops: CounterOp[] = [];
  #waiters: Waiter[] = [];
  #scheduled = false;
  #seq = 0;
  #sweeper: NodeJS.Timeout | null = null;
  readonly #flush = (): void => this.#flushNow();

  constructor(opts: IpcCountersOptions) {
    this.#send = opts.send;
    this.#timeoutMs = opts.timeoutMs ?? 2_000;
  }

  take(key: string, series: readonly number[], starts: readonly number[], limits: readonly number[]): Promise<number[]> {
    this.#ops.push([key, series, starts, limits]);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flush);
    }
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  /** The primary's answer to a batch. */
  answered(id: number, used: number[][]): void {
    const batch = this.#sent.get(id);
    if (!batch) return; // timed out already
    this.#sent.delete(id);
    const w = batch.waiters;
    for (let i = 0; i < w.length; i++) {
      const u = used[i];
      if (Array.isArray(u)) w[i].resolve(u);
      else w[i].reject(new CountersUnreachableError('the primary answered without counts'));
    }
  }

  /** Rejects everything in flight (the channel closed). */
  close(): void {
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#sweeper = null;
    const err = new CountersUnreachableError('the data plane primary process is gone');
    for (const batch of this.#sent.values()) for (const w of batch.waiters) w.reject(err);
    this.#sent.clear();
  }

  #flushNow(): void {
    this.#scheduled = false;
    const ops = this.#ops;
    const waiters = this.#waiters;
    this.#ops = [];
    this.#waiters = [];
    const id = ++this.#seq;
    let sent = false;
    try {
      sent = this.#send({ type: 'node-take', id, ops });
    } catch {
      sent = false;
    }
    if (!sent) {
      const err = new CountersUnreachableError('cannot reach the data plane primary process');
      for (const w of waiters) w.reject(err);
      return;
    }
    this.#sent.set(id, { waiters, sentAt: Date.now() });
    this.#sweeper ??= setInterval(() => this.#sweep(), Math.max(50, this.#timeoutMs / 4)).unref();
  }

  /** Rejects the batches older than the timeout; batches are answered in order, so the oldest come first. */
  #sweep(): void {
    if (this.#sent.size === 0 && this.#sweeper) {
      clearInterval(this.#sweeper); // idle: the next batch starts it again
      this.#sweeper = null;
      return;
    }
    const deadline = Date.now() - this.#timeoutMs;
    for (const [id, batch] of this.#sent) {
      if (batch.sentAt > deadline) break;
      this.#sent.delete(id);
      const err = new CountersUnreachableError(`the data plane primary process did not answer within ${this.#timeoutMs} ms`);
      for (const w of batch.waiters) w.reject(err);
    }
  }
}
