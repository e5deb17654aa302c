// Kong's plugin queue (kong/tools/queue.lua) for log entries: bounded (max_entries, max_bytes; the
// oldest entries are dropped, with a log line, when full), batched (max_batch_size, waiting up to
// max_coalescing_delay for a batch to fill), one batch in flight, and a failed batch retried with
// exponential backoff (initial_retry_delay * 2^n, capped at max_retry_delay) until max_retry_time.
// Enqueueing never waits: the request's log phase only appends an entry. Entries are strings (a
// JSON record) or objects (opentelemetry's spans, encoded per batch); max_bytes counts string entries
// only, as Kong's does.
import type { PluginLogger } from '@archway/pipeline';

export interface QueueSettings {
  maxBatchSize: number;
  maxCoalescingDelayMs: number;
  maxEntries: number;
  /** null: no byte limit */
  maxBytes: number | null;
  maxRetryTimeMs: number;
  initialRetryDelayMs: number;
  maxRetryDelayMs: number;
  /** 1: one batch in flight; -1: every entry is sent at once, concurrently (no batching) */
  concurrencyLimit: number;
}

/** Kong's queue record (seconds) as QueueSettings (milliseconds). */
export function queueSettings(queue: Record<string, unknown>): QueueSettings {
  const n = (k: string, fallback: number) => (typeof queue[k] === 'number' ? (queue[k] as number) : fallback);
  return {
    maxBatchSize: n('max_batch_size', 1),
    maxCoalescingDelayMs: n('max_coalescing_delay', 1) * 1000,
    maxEntries: n('max_entries', 10000),
    maxBytes: typeof queue.max_bytes === 'number' ? queue.max_bytes : null,
    maxRetryTimeMs: n('max_retry_time', 60) * 1000,
    initialRetryDelayMs: n('initial_retry_delay', 0.01) * 1000,
    maxRetryDelayMs: n('max_retry_delay', 60) * 1000,
    concurrencyLimit: n('concurrency_limit', 1),
  };
}

/** Sends one batch; a rejection is retried. */
export type BatchSender<T = string> = (batch: T[]) => Promise<void>;

/** what an entry counts against max_bytes */
const sizeOf = (entry: unknown): number => (typeof entry === 'string' ? entry.length : 0);

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    // a queue must never keep the process alive on its own
    setTimeout(resolve, ms).unref();
  });

export class LogQueue<T = string> {
  #entries: T[] = [];
  #bytes = 0;
  #running = false;
  /** entries being sent right now (concurrency_limit -1), counted against max_entries */
  #loose = 0;
  #closing = false;
  #droppingOld = false;
  #wake: (() => void) | null = null;
  #idle: Promise<void> = Promise.resolve();
  readonly #looseSends = new Set<Promise<void>>();

  constructor(
    readonly name: string,
    readonly settings: QueueSettings,
    readonly send: BatchSender<T>,
    readonly logger: PluginLogger,
  ) {}

  /** entries waiting to be sent */
  get size(): number {
    return this.#entries.length;
  }

  /** Appends `entry`; false when it was dropped (too large for max_bytes). Never waits. */
  enqueue(entry: T): boolean {
    const s = this.settings;
    const size = sizeOf(entry);
    if (s.maxBytes !== null && size > s.maxBytes) {
      this.logger.error('string to be queued is longer than queue\'s max_bytes, dropped', { queue: this.name, bytes: size });
      return false;
    }
    if (s.concurrencyLimit === -1) return this.#sendLoose(entry);
    let dropped = 0;
    while (this.#entries.length > 0 && (this.#entries.length >= s.maxEntries || (s.maxBytes !== null && this.#bytes + size > s.maxBytes))) {
      this.#bytes -= sizeOf(this.#entries.shift());
      dropped++;
    }
    if (dropped > 0 && !this.#droppingOld) {
      this.#droppingOld = true;
      this.logger.error('queue full, dropping old entries until processing is successful again', { queue: this.name });
    }
    this.#entries.push(entry);
    this.#bytes += size;
    if (this.#running) {
      if (this.#entries.length >= s.maxBatchSize) this.#wake?.();
    } else {
      this.#running = true;
      this.#idle = this.#run();
    }
    return true;
  }

  /**
   * Sends what is held without waiting for batches to fill, and whatever is enqueued later at once
   * (requests still in flight on a replaced config); resolves once nothing is left to send.
   */
  close(): Promise<void> {
    this.#closing = true;
    this.#wake?.();
    return Promise.all([this.#idle, ...this.#looseSends]).then(() => undefined);
  }

  async #run(): Promise<void> {
    const s = this.settings;
    while (this.#entries.length > 0) {
      if (this.#entries.length < s.maxBatchSize && !this.#closing && s.maxCoalescingDelayMs > 0) await this.#coalesce();
      const batch = this.#entries.splice(0, s.maxBatchSize);
      for (const e of batch) this.#bytes -= sizeOf(e);
      await this.#deliver(batch);
    }
    this.#running = false;
  }

  /** Waits until the batch is full, the coalescing delay passed, or the queue is closing. */
  #coalesce(): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => done(), this.settings.maxCoalescingDelayMs);
      timer.unref();
      const done = () => {
        clearTimeout(timer);
        this.#wake = null;
        resolve();
      };
      this.#wake = done;
    });
  }

  /** Sends `batch`, retrying with exponential backoff until max_retry_time has passed. */
  async #deliver(batch: T[]): Promise<void> {
    const s = this.settings;
    const started = Date.now();
    for (let retry = 0; ; retry++) {
      try {
        await this.send(batch);
        if (this.#droppingOld) {
          this.#droppingOld = false;
          this.logger.info('queue resumed processing', { queue: this.name });
        }
        return;
      } catch (err) {
        this.logger.warn('handler could not process entries', { queue: this.name, err });
      }
      if (Date.now() - started > s.maxRetryTimeMs) {
        this.logger.error(`could not send entries due to max_retry_time exceeded. ${batch.length} queue entries were lost`, { queue: this.name });
        return;
      }
      await sleep(Math.min(s.maxRetryDelayMs, 2 ** retry * s.initialRetryDelayMs));
    }
  }

  /** concurrency_limit -1: each entry goes out on its own, right away; max_entries bounds those in flight. */
  #sendLoose(entry: T): boolean {
    if (this.#loose >= this.settings.maxEntries) {
      this.logger.error('queue full, dropping old entries until processing is successful again', { queue: this.name });
      return false;
    }
    this.#loose++;
    const sent: Promise<void> = this.#deliver([entry]).finally(() => {
      this.#loose--;
      this.#looseSends.delete(sent);
    });
    this.#looseSends.add(sent);
    return true;
  }
}
