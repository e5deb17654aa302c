// Capped exponential backoff with full jitter (AWS "Exponential Backoff And Jitter"): attempt n waits a
// uniformly random time in [0, min(max, initial * 2^n)). Full jitter spreads a fleet of data planes that
// lost the same control plane, so they do not all reconnect in the same instant.

export interface BackoffOptions {
  /** ceiling of the first delay; Envoy's RetryInitialDelayMs is 500 */
  initialMs?: number;
  /** the delay never exceeds this; Envoy's RetryMaxDelayMs is 30000 */
  maxMs?: number;
  /** a number in [0, 1); injectable for tests */
  random?: () => number;
}

export const DEFAULT_BACKOFF_INITIAL_MS = 500;
export const DEFAULT_BACKOFF_MAX_MS = 30_000;

export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(opts: BackoffOptions = {}) {
    this.#initialMs = Math.max(1, opts.initialMs ?? DEFAULT_BACKOFF_INITIAL_MS);
    this.#maxMs = Math.max(this.#initialMs, opts.maxMs ?? DEFAULT_BACKOFF_MAX_MS);
    this.#random = opts.random ?? Math.random;
  }

  /** How many delays were handed out since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The current ceiling: initial * 2^attempt, capped. */
  ceiling(): number {
    // 2^attempt overflows to Infinity long after it passes any cap, and min() handles Infinity.
    return Math.min(this.#maxMs, this.#initialMs * 2 ** this.#attempt);
  }

  /** The delay before the next attempt, in whole milliseconds; grows the ceiling for the one after. */
  next(): number {
    const delay = Math.floor(this.#random() * this.ceiling());
    this.#attempt++;
    return delay;
  }

  /** After a success: the next failure starts again from the initial delay. */
  reset(): void {
    this.#attempt = 0;
  }
}
