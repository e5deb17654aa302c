// Turns a stream of "config changed" signals into as few snapshot builds as possible: the first change
// after a quiet spell builds at once; while writes keep coming a build waits `debounceMs` for more,
// but never more than `maxDelayMs` after the first pending change, so a steady stream of writes cannot
// starve pushes. One build at a time; changes during a build cause exactly one more. Pure scheduling:
// no gRPC, no SQL (the caller injects build and publish). Each build is a 'snapshot build' span
// (version, hash, entity counts), the root of its own trace, holding the publish's span.
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
  /** cancels the pending build's timer; null when none is pending */
  #timer: (() => void) | null = null;
  #firstPendingAt = 0;
  #building: Promise<number | null> | null = null;
  /** flush() was called during a build */
  #again = false;
  /** the newest version triggered since the last build started (Infinity: a change of unknown version) */
  #pending = 0;
  #lastBuildAt = -Infinity;
  #latest: Snapshot | null = null;
  #closed = false;

  constructor(private readonly opts: SnapshotSchedulerOptions) {}

  get latest(): Snapshot | null {
    return this.#latest;
  }

  /**
   * A write committed (at `version`, when known). After a quiet spell (no build for `debounceMs`) the
   * build starts at once: waiting only pays when a burst is already under way. A version already
   * waited for (this process's own write, then its NOTIFY) does not restart the wait.
   */
  trigger(version?: number): void {
    if (this.#closed) return;
    if (version !== undefined && this.#latest && version <= this.#latest.version) return;
    const v = version ?? Infinity;
    const seen = this.#pending >= v;
    this.#pending = Math.max(this.#pending, v);
    // a build in progress looks at #pending when it ends
    if (this.#building || (this.#timer !== null && seen)) return;
    const now = Date.now();
    if (this.#timer === null) {
      this.#firstPendingAt = now;
      if (now - this.#lastBuildAt >= this.opts.debounceMs) {
        const t = setImmediate(() => this.#fire());
        this.#timer = () => clearImmediate(t);
        return;
      }
    } else this.#cancel();
    const wait = Math.max(0, Math.min(this.opts.debounceMs, this.#firstPendingAt + this.opts.maxDelayMs - now));
    const t = setTimeout(() => this.#fire(), wait);
    this.#timer = () => clearTimeout(t);
  }

  #fire(): void {
    this.#timer = null;
    if (!this.#building) void this.flush();
  }

  #cancel(): void {
    this.#timer?.();
    this.#timer = null;
  }

  /** Builds now (after any build in progress) and publishes if the version moved. */
  async flush(): Promise<void> {
    if (this.#building) {
      this.#again = true;
      await this.#building;
      return;
    }
    this.#cancel();
    this.#again = false;
    this.#pending = 0;
    this.#building = this.#buildOnce();
    let built: number | null;
    try {
      built = await this.#building;
    } finally {
      this.#building = null;
      this.#lastBuildAt = Date.now();
    }
    // changes triggered during the build that it may not have read cause exactly one more
    if (!this.#closed && (this.#again || (built !== null && this.#pending > built))) await this.flush();
  }

  /** The version built, null when the build failed. */
  #buildOnce(): Promise<number | null> {
    return withSpan('snapshot build', {}, async (span) => {
      const startedMs = performance.now();
      try {
        const snapshot = await this.opts.build();
        const builtMs = performance.now();
        this.opts.onBuild?.(builtMs - startedMs, true);
        span.setAttributes(snapshotAttributes(snapshot));
        if (this.#latest && snapshot.version <= this.#latest.version && snapshot.hash === this.#latest.hash) {
          span.setAttribute('archway.snapshot.unchanged', true);
          return snapshot.version;
        }
        this.#latest = snapshot;
        this.opts.publish(snapshot);
        this.opts.logger.info('snapshot published', {
          config_version: snapshot.version,
          config_hash: snapshot.hash,
          // the build alone; handing it to the sync server (which encodes it once for every stream) apart
          build_ms: Math.round((builtMs - startedMs) * 10) / 10,
          publish_ms: Math.round((performance.now() - builtMs) * 10) / 10,
        });
        return snapshot.version;
      } catch (err) {
        // The previous snapshot keeps being served; the next write (or the retry below) tries again.
        spanFailed(span, err);
        this.opts.onBuild?.(performance.now() - startedMs, false);
        this.opts.logger.error('snapshot build failed', { err });
        if (!this.#closed) setTimeout(() => this.trigger(), Math.max(this.opts.maxDelayMs, 1000)).unref();
        return null;
      }
      // its own trace: a build covers every write since the last one, not the request whose timer ran last
    }, { root: true });
  }

  close(): void {
    this.#closed = true;
    this.#cancel();
  }
}
