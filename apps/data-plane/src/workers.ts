// The primary's side of ARCHWAY_WORKERS > 1: N proxy worker processes sharing the listeners (node:cluster),
// fed by the primary's one sync connection. The rules:
// - A new (or replacing) worker gets the current snapshot before it listens.
// - apply() sends a snapshot to every running worker and resolves once all of them applied it; then it
//   is the current one (the disk cache and new workers get it). If any worker rejects it (or does not
//   answer), apply() rejects (the sync client NACKs): workers that applied it keep serving it (rolling
//   back could fail in turn), the others keep the previous one, and `current` stays the previous one,
//   so the control plane resends the newer snapshot on the next stream and the workers converge.
// - A worker that dies is logged and replaced after a backoff that grows while workers keep dying.
import cluster from 'node:cluster';
import type { Snapshot } from '@archway/schema';
import type { HealthReport } from '@archway/sync';
import { mergeSnapshots, type Logger, type MetricsSnapshot } from '@archway/telemetry';
import { PartsSender } from './snapshot-transfer';
import { isFromWorker, type FromWorker, type ToWorker } from './worker-messages';

/** One worker process as the pool sees it; cluster.Worker in production, any IPC child in specs. */
export interface WorkerHandle {
  readonly pid: number | undefined;
  send(msg: ToWorker): void;
  onMessage(fn: (msg: unknown) => void): void;
  onExit(fn: (code: number | null, signal: string | null) => void): void;
  kill(signal: NodeJS.Signals): void;
  /** forget what was sent to it: the next snapshot goes whole, not as a delta (after it failed an apply) */
  resync?(): void;
}

export interface WorkerPoolOptions {
  count: number;
  fork: () => WorkerHandle;
  logger: Logger;
  /** the snapshot to start with (the disk cache), or null */
  initial: Snapshot | null;
  /** the lead worker's upstream health changed: forward it to the control plane */
  onHealth?: (report: HealthReport) => void;
  /** a worker that has not answered an apply by then counts as having rejected it (default 60 s) */
  applyTimeoutMs?: number;
  /** a worker's answer to a status query (default 2 s) */
  queryTimeoutMs?: number;
  respawn?: { initialMs?: number; maxMs?: number };
}

interface Live {
  handle: WorkerHandle;
  up: boolean;
  listening: boolean;
  /** hash of the last snapshot sent to it (start or apply) */
  sentHash: string | null;
  health: HealthReport | null;
  /** its last metrics answer: stands in when it does not answer a scrape in time, retired when it exits */
  metrics: MetricsSnapshot | null;
}

interface Pending {
  waiting: Set<Live>;
  errors: string[];
  answers: unknown[];
  onAnswer?: (w: Live, body: unknown) => void;
  timer: NodeJS.Timeout;
  done: (p: Pending) => void;
}

export class WorkerPool {
  readonly #opts: WorkerPoolOptions;
  readonly #log: Logger;
  readonly #live = new Set<Live>();
  readonly #pending = new Map<number, Pending>();
  readonly #respawns = new Set<NodeJS.Timeout>();
  #current: Snapshot | null;
  #seq = 0;
  #closing = false;
  #deaths: number[] = [];
  #lead: Live | null = null;
  /** counters and histograms of workers that exited (as of their last scrape), so sums never go down */
  #retired: MetricsSnapshot = [];
  #starting: { resolve: () => void; reject: (err: Error) => void } | null = null;
  #exited: (() => void) | null = null;
  #shutdown: Promise<void> | null = null;
  ports: { proxyPort: number; proxySslPort: number | null } | null = null;

  constructor(opts: WorkerPoolOptions) {
    this.#opts = opts;
    this.#log = opts.logger;
    this.#current = opts.initial;
  }

  /** The snapshot every worker applied (null before the first). */
  get current(): Snapshot | null {
    return this.#current;
  }

  get size(): number {
    return this.#live.size;
  }

  /** Forks the workers; resolves once every one listens, rejects with the first start-up failure. */
  start(): Promise<void> {
    const started = new Promise<void>((resolve, reject) => (this.#starting = { resolve, reject }));
    for (let i = 0; i < this.#opts.count; i++) this.#fork();
    return started;
  }

  /** Every running worker applies `snapshot`; rejects naming the workers that did not. */
  apply(snapshot: Snapshot): Promise<void> {
    const targets = [...this.#live].filter((w) => w.up);
    return new Promise<void>((resolve, reject) => {
      const seq = this.#track(targets, this.#opts.applyTimeoutMs ?? 60_000, (p) => {
        if (p.errors.length === 0) {
          this.#current = snapshot;
          this.#catchUp();
          return resolve();
        }
        if (p.errors.length < targets.length)
          this.#log.warn('some workers rejected a configuration the others applied; they keep their previous one', {
            config_version: snapshot.version,
            rejected_by: p.errors.length,
            workers: targets.length,
          });
        reject(new Error(p.errors.join('; ')));
      });
      for (const w of targets) {
        w.sentHash = snapshot.hash;
        this.#send(w, { type: 'apply', seq, snapshot });
      }
    });
  }

  /** Every listening worker's proxy counters, summed. */
  async stats(): Promise<Record<string, number>> {
    const answers = await this.#query([...this.#live].filter((w) => w.listening), { what: 'stats' });
    const sum: Record<string, number> = {};
    for (const a of answers as Record<string, unknown>[])
      for (const [k, v] of Object.entries(a ?? {})) if (typeof v === 'number') sum[k] = (sum[k] ?? 0) + v;
    return sum;
  }

  /**
   * Every listening worker's metrics snapshot (its previous one when it does not answer in time), plus
   * the counters of workers that exited: merged by the primary, a counter never goes down when a
   * worker is replaced (what a dead worker counted after its last scrape is lost).
   */
  async metrics(): Promise<MetricsSnapshot[]> {
    const targets = [...this.#live].filter((w) => w.listening);
    await this.#query(targets, { what: 'metrics' }, (w, body) => {
      if (Array.isArray(body)) w.metrics = body as MetricsSnapshot;
    });
    const out = [this.#retired];
    for (const w of targets) if (w.metrics && this.#live.has(w)) out.push(w.metrics);
    return out;
  }

  /** GET /upstreams/{key}/health as the lead worker measures it (null: unknown upstream). */
  async upstreamHealth(key: string, balancerHealth: boolean): Promise<unknown> {
    const lead = this.#leadWorker();
    if (!lead) return null;
    const [body] = await this.#query([lead], { what: 'upstream-health', key, balancerHealth });
    return body ?? null;
  }

  /** Drains every worker (graceMs for in-flight requests), killing any still running a few seconds later. */
  shutdown(graceMs: number): Promise<void> {
    return (this.#shutdown ??= this.#drainAll(graceMs));
  }

  async #drainAll(graceMs: number): Promise<void> {
    this.#closing = true;
    for (const t of this.#respawns) clearTimeout(t);
    this.#respawns.clear();
    if (this.#live.size === 0) return;
    const exited = new Promise<void>((resolve) => (this.#exited = resolve));
    for (const w of this.#live) this.#send(w, { type: 'drain', graceMs });
    const killer = setTimeout(() => {
      this.#log.warn('workers did not exit after draining; killing them', { workers: this.#live.size });
      for (const w of this.#live) w.handle.kill('SIGKILL');
    }, graceMs + 5_000);
    await exited;
    clearTimeout(killer);
  }

  #fork(): void {
    const w: Live = { handle: this.#opts.fork(), up: false, listening: false, sentHash: null, health: null, metrics: null };
    this.#live.add(w);
    w.handle.onMessage((msg) => {
      if (isFromWorker(msg)) this.#onMessage(w, msg);
    });
    w.handle.onExit((code, signal) => this.#onExit(w, code, signal));
  }

  #onMessage(w: Live, msg: FromWorker): void {
    switch (msg.type) {
      case 'up':
        w.up = true;
        w.sentHash = this.#current?.hash ?? null;
        return this.#send(w, { type: 'start', snapshot: this.#current });
      case 'listening':
        w.listening = true;
        this.ports ??= { proxyPort: msg.proxyPort, proxySslPort: msg.proxySslPort };
        this.#log.debug('worker listening', { pid: w.handle.pid });
        if (this.#starting && [...this.#live].every((x) => x.listening)) {
          this.#starting.resolve();
          this.#starting = null;
        }
        return;
      case 'start-failed':
        this.#log.error('worker failed to start', { pid: w.handle.pid, error: msg.message });
        if (this.#starting) {
          this.#starting.reject(new Error(msg.message));
          this.#starting = null;
          void this.shutdown(0);
        }
        return;
      case 'applied':
      case 'answer': {
        const p = this.#pending.get(msg.seq);
        if (msg.type === 'applied' && msg.error !== null) {
          w.handle.resync?.(); // the next snapshot goes to it whole, whatever it holds
          if (p) p.errors.push(`worker ${w.handle.pid}: ${msg.error}`);
          else this.#log.error('a worker could not catch up with the current configuration', { pid: w.handle.pid, error: msg.error });
        }
        if (msg.type === 'answer' && p) {
          p.answers.push(msg.body);
          p.onAnswer?.(w, msg.body);
        }
        if (p) this.#answered(msg.seq, p, w);
        return;
      }
      case 'health':
        w.health = msg.report;
        if (w === this.#leadWorker()) this.#opts.onHealth?.(msg.report);
        return;
    }
  }

  #onExit(w: Live, code: number | null, signal: string | null): void {
    this.#live.delete(w);
    // gauges (connections, health) die with the worker; what it counted stays in the sums
    if (w.metrics) this.#retired = mergeSnapshots([this.#retired, w.metrics.filter((f) => f.type !== 'gauge')]);
    for (const [seq, p] of this.#pending) this.#answered(seq, p, w);
    if (this.#lead === w) {
      this.#lead = null;
      const next = this.#leadWorker();
      if (next?.health) this.#opts.onHealth?.(next.health);
    }
    if (this.#closing) {
      if (this.#live.size === 0) this.#exited?.();
      return;
    }
    if (this.#starting) {
      this.#starting.reject(new Error(`a worker exited during start-up (code ${code}, signal ${signal})`));
      this.#starting = null;
      void this.shutdown(0);
      return;
    }
    const now = Date.now();
    this.#deaths = this.#deaths.filter((t) => now - t < 60_000);
    this.#deaths.push(now);
    const { initialMs = 100, maxMs = 5_000 } = this.#opts.respawn ?? {};
    const delay = Math.min(maxMs, initialMs * 2 ** (this.#deaths.length - 1));
    this.#log.error('worker exited; replacing it', { pid: w.handle.pid, code, signal, restart_in_ms: delay });
    const timer = setTimeout(() => {
      this.#respawns.delete(timer);
      if (!this.#closing) this.#fork();
    }, delay);
    this.#respawns.add(timer);
  }

  /** The worker whose health reports reach the control plane: the oldest listening one. */
  #leadWorker(): Live | null {
    if (this.#lead && this.#live.has(this.#lead)) return this.#lead;
    this.#lead = null;
    for (const w of this.#live) if (w.listening) return (this.#lead = w);
    return null;
  }

  /** Workers that did not get the current snapshot (they started or failed while it was applied) get it now. */
  #catchUp(): void {
    const snapshot = this.#current;
    if (!snapshot) return;
    for (const w of this.#live) {
      if (!w.up || w.sentHash === snapshot.hash) continue;
      w.sentHash = snapshot.hash;
      this.#send(w, { type: 'apply', seq: ++this.#seq, snapshot });
    }
  }

  #query(
    targets: Live[],
    query: { what: 'stats' } | { what: 'metrics' } | { what: 'upstream-health'; key: string; balancerHealth: boolean },
    onAnswer?: (w: Live, body: unknown) => void,
  ): Promise<unknown[]> {
    return new Promise((resolve) => {
      const seq = this.#track(targets, this.#opts.queryTimeoutMs ?? 2_000, (p) => resolve(p.answers));
      const p = this.#pending.get(seq); // none when there was no worker to ask
      if (p && onAnswer) p.onAnswer = onAnswer;
      for (const w of targets) this.#send(w, { type: 'query', seq, ...query } as ToWorker);
    });
  }

  #track(targets: Live[], timeoutMs: number, done: (p: Pending) => void): number {
    const seq = ++this.#seq;
    const p: Pending = { waiting: new Set(targets), errors: [], answers: [], done, timer: setTimeout(() => this.#timedOut(seq), timeoutMs) };
    this.#pending.set(seq, p);
    if (targets.length === 0) this.#finish(seq, p);
    return seq;
  }

  #timedOut(seq: number): void {
    const p = this.#pending.get(seq);
    if (!p) return;
    for (const w of p.waiting) p.errors.push(`worker ${w.handle.pid}: no answer in time`);
    this.#finish(seq, p);
  }

  #answered(seq: number, p: Pending, w: Live): void {
    if (p.waiting.delete(w) && p.waiting.size === 0) this.#finish(seq, p);
  }

  #finish(seq: number, p: Pending): void {
    clearTimeout(p.timer);
    this.#pending.delete(seq);
    p.done(p);
  }

  #send(w: Live, msg: ToWorker): void {
    try {
      w.handle.send(msg);
    } catch (err) {
      this.#log.debug('cannot send to a worker', { pid: w.handle.pid, err }); // its exit follows
    }
  }
}

/** Workers as node:cluster workers running `exec` (they share the listening sockets with each other). */
export function clusterFork(exec: string, logger: Logger, env: Record<string, string> = {}): () => WorkerHandle {
  cluster.setupPrimary({ exec });
  return () => {
    const w = cluster.fork(env);
    const parts = new PartsSender();
    w.on('error', (err) => logger.debug('worker IPC error', { pid: w.process.pid, err }));
    return {
      get pid() {
        return w.process.pid;
      },
      send: (msg) => {
        // a snapshot goes in parts, so the worker never JSON-parses megabytes in one go, and as a delta
        // against the one sent before when few entities changed (snapshot-transfer.ts)
        if (w.isConnected()) parts.send((m) => w.send(m as object), msg);
      },
      onMessage: (fn) => w.on('message', fn),
      onExit: (fn) => w.on('exit', fn),
      kill: (signal) => w.process.kill(signal),
      resync: () => parts.reset(),
    };
  };
}
