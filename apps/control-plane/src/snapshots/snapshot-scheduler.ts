// Turns a stream of "config changed" signals into as few snapshot builds as possible: a build waits
// `debounceMs` for more writes, but never more than `maxDelayMs` after the first pending change, so a
// steady stream of writes cannot starve pushes. One build at a time; changes during a build cause
// exactly one more. Pure scheduling: no gRPC, no SQL (the caller injects build and publish). Each
// build is a 'snapshot build' span (version, hash, entity counts), the root of its own trace, holding
// the publish's span.
import { spanFailed, withSpan, type Logger, type SpanAttributes } from '@archway/telemetry';
import type { Snapshot } from '@archway/schema';

/** A snapshot's version, hash and entity counts, as span attributes. */
export function snapshotAttributes(snapshot: Snapshot): SpanAttributes {
  const out: SpanAttributes = { 'archway.config.version': snapshot.version, 'archway.config.hash': snapshot.hash };
  for (const [collection, list] of Object.entries(snapshot.config)) if (Array.isArray(list)) out[`archway.config.${collection}`] = list.length;
  return out;
}

export interface SnapshotSchedulerOptions {
  debounceMs: number;
  maxDelayMs: number;
  build: () => Promise<Snapshot>;
  publish: (snapshot: Snapshot) => void;
  logger: Logger;
  /** each build's duration and outcome (metrics) */
  onBuild?: (ms: number, ok: boolean) => void;
}

export class SnapshotScheduler {
  #timer: NodeJS.Timeout | null = null;
  #firstPendingAt = 0;
  #building: Promise<void> | null = null;
  #dirty = false;
  #latest: Snapshot | null = null;
  #closed = false;

  constructor(private readonly opts: SnapshotSchedulerOptions) {}

  get latest(): Snapshot | null {
    return this.#latest;
  }

  /** A write committed (at `version`, when known). */
  trigger(version?: number): void {
    if (this.#closed) return;
    if (version !== undefined && this.#latest && version <= this.#latest.version) return;
    const now = Date.now();
    if (this.#timer === null) this.#firstPendingAt = now;
    else clearTimeout(this.#timer);
    const wait = Math.max(0, Math.min(this.opts.debounceMs, this.#firstPendingAt + this.opts.maxDelayMs - now));
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.flush();
    }, wait);
  }

  /** Builds now (after any build in progress) and publishes if the version moved. */
  async flush(): Promise<void> {
    if (this.#building) {
      this.#dirty = true;
      return this.#building;
    }
    this.#building = this.#buildOnce();
    try {
      await this.#building;
    } finally {
      this.#building = null;
    }
    if (this.#dirty && !this.#closed) {
      this.#dirty = false;
      await this.flush();
    }
  }

  #buildOnce(): Promise<void> {
    return withSpan('snapshot build', {}, async (span) => {
      const started = Date.now();
      const startedMs = performance.now();
      try {
        const snapshot = await this.opts.build();
        this.opts.onBuild?.(performance.now() - startedMs, true);
        span.setAttributes(snapshotAttributes(snapshot));
        if (this.#latest && snapshot.version <= this.#latest.version && snapshot.hash === this.#latest.hash) {
          span.setAttribute('archway.snapshot.unchanged', true);
          return;
        }
        this.#latest = snapshot;
        this.opts.publish(snapshot);
        this.opts.logger.info('snapshot published', {
          config_version: snapshot.version,
          config_hash: snapshot.hash,
          build_ms: Date.now() - started,
        });
      } catch (err) {
        // The previous snapshot keeps being served; the next write (or the retry below) tries again.
        spanFailed(span, err);
        this.opts.onBuild?.(performance.now() - startedMs, false);
        this.opts.logger.error('snapshot build failed', { err });
        if (!this.#closed) setTimeout(() => this.trigger(), Math.max(this.opts.maxDelayMs, 1000)).unref();
      }
      // its own trace: a build covers every write since the last one, not the request whose timer ran last
    }, { root: true });
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
