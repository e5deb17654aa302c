// The `local` policy's counters: in memory (Kong's shm kong_rate_limiting_counters, one per node). A
// single-process data plane counts here; with several proxy workers the primary process holds one of
// these for the whole node and the workers reach it over IPC (the NodeCounters contract). Fixed windows mean only the current window of each period
// matters, so each period keeps one map for its current window and drops it whole when the window
// moves on: O(1) per request, no timers, nothing outlives its window. A cap on keys per window bounds
// memory under many distinct identifiers (the oldest key goes first, as an LRU shm would forget it:
// a forgotten counter restarts at 0, i.e. errs on letting traffic through).
import type { NodeCounters } from '@archway/pipeline';
import { PERIODS } from '../schema';
import type { Period } from '../windows';

/** keys per period's window before the oldest is evicted (a key is ~100 bytes: ~20 MB per period at most) */
export const DEFAULT_MAX_KEYS = 200_000;

interface Window {
  start: number;
  counts: Map<string, number>;
}

export class LocalCounters implements NodeCounters {
  readonly #windows: Window[] = PERIODS.map(() => ({ start: -1, counts: new Map() }));
  readonly #maxKeys: number;

  constructor(maxKeys = DEFAULT_MAX_KEYS) {
    this.#maxKeys = maxKeys;
  }

  /** requests counted so far for `key` in the window of `period` starting at `start` */
  get(period: number, start: number, key: string): number {
    return this.#current(period, start).counts.get(key) ?? 0;
  }

  increment(period: number, start: number, key: string): void {
    const { counts } = this.#current(period, start);
    const n = counts.get(key);
    if (n !== undefined) {
      counts.set(key, n + 1);
      return;
    }
    if (counts.size >= this.#maxKeys) counts.delete(counts.keys().next().value as string);
    counts.set(key, 1);
  }

  /**
   * Counts `key` in every window (`periods[i]` starting at `starts[i]`) if each is below `limits[i]`;
   * returns the counts before (Kong's local policy: a refused request is not counted), in `into` when
   * given. One map read per window, and one write per window when the request is counted.
   */
  take(key: string, periods: readonly number[], starts: readonly number[], limits: readonly number[], into?: number[]): number[] {
    const n = periods.length;
    const used = into ?? new Array<number>(n);
    let admit = true;
    for (let i = 0; i < n; i++) {
      const count = this.#current(periods[i], starts[i]).counts.get(key) ?? 0;
      used[i] = count;
      if (count >= limits[i]) admit = false;
    }
    if (!admit) return used;
    for (let i = 0; i < n; i++) {
      const counts = this.#current(periods[i], starts[i]).counts;
      // a key is never held at 0: 0 means absent, so a new key may evict the oldest
      if (used[i] === 0 && counts.size >= this.#maxKeys) counts.delete(counts.keys().next().value as string);
      counts.set(key, used[i] + 1);
    }
    return used;
  }

  /** keys held for `period` (for specs and metrics) */
  size(period: Period): number {
    return this.#windows[PERIODS.indexOf(period)].counts.size;
  }

  #current(period: number, start: number): Window {
    const w = this.#windows[period];
    // a newer window replaces the old one; an older one (the clock stepped back) counts into the current
    if (start > w.start) {
      w.start = start;
      if (w.counts.size) w.counts = new Map();
    }
    return w;
  }
}

/**
 * The process's counters, shared by every plugin instance and kept across snapshots (a config change
 * does not reset anyone's usage; keys carry route and service ids as Kong's do).
 */
export const PROCESS_COUNTERS = new LocalCounters();
