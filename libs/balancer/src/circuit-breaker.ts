// Archway's per-peer circuit breaker (`upstream.circuit_breaker`, not in Kong). Passive health checks
// count failures in a row-ish way and need a threshold per kind; the breaker instead looks at the failure
// *ratio* over a rolling window, and recovers on its own after a cool-down with a few trial requests.
//   closed    --(>= failure_threshold failures and failure ratio >= failure_ratio in `window`)--> open
//   open      --(cool_down elapsed, checked lazily when the peer is considered)-------------> half_open
//   half_open --(half_open_requests successes)--> closed;  --(any failure)--> open
import type { CircuitBreaker as CircuitBreakerConfig } from '@archway/schema';
import type { CircuitState } from './types';

const BUCKETS = 10;

export class CircuitBreaker {
  state: CircuitState = 'closed';
  private openedAt = 0;
  private halfOpenAt = 0;
  /** trial requests let through / succeeded since half-opening */
  private admitted = 0;
  private trialSuccesses = 0;
  private readonly requests = new Float64Array(BUCKETS);
  private readonly failures = new Float64Array(BUCKETS);
  private readonly bucketOf = new Float64Array(BUCKETS);

  constructor(
    private config: CircuitBreakerConfig,
    private onChange: (from: CircuitState, to: CircuitState) => void,
  ) {}

  /** A recompiled balancer keeps the breaker (and its state) but applies its settings and listener. */
  reconfigure(config: CircuitBreakerConfig, onChange: (from: CircuitState, to: CircuitState) => void): void {
    this.config = config;
    this.onChange = onChange;
  }

  /** May a request go to this peer now? Moves open -> half_open once the cool-down is over. */
  allows(now: number): boolean {
    if (this.state === 'closed') return true;
    if (this.state === 'open') {
      if (now - this.openedAt < this.config.cool_down * 1000) return false;
      this.transition('half_open');
      this.halfOpenAt = now;
      this.admitted = 0;
      this.trialSuccesses = 0;
    }
    // a trial whose outcome never came back (aborted client) must not wedge the breaker half-open
    if (now - this.halfOpenAt >= this.config.cool_down * 1000) {
      this.halfOpenAt = now;
      this.admitted = this.trialSuccesses;
    }
    return this.admitted < this.config.half_open_requests;
  }

  /** The peer was picked: in half_open that uses one trial slot. */
  admit(): void {
    if (this.state === 'half_open') this.admitted += 1;
  }

  record(failed: boolean, now: number): void {
    if (this.state === 'half_open') {
      if (failed) return this.open(now);
      this.trialSuccesses += 1;
      if (this.trialSuccesses >= this.config.half_open_requests) this.close();
      return;
    }
    if (this.state === 'open') return; // a straggler from before the breaker opened
    const i = this.bucket(now);
    this.requests[i] += 1;
    if (!failed) return;
    this.failures[i] += 1;
    let requests = 0;
    let failures = 0;
    for (let b = 0; b < BUCKETS; b++) {
      requests += this.requests[b];
      failures += this.failures[b];
    }
    if (failures >= this.config.failure_threshold && failures / requests >= this.config.failure_ratio) this.open(now);
  }

  /** Rolling window in BUCKETS slices: a slice is reused (zeroed) once its time has passed. */
  private bucket(now: number): number {
    const width = (this.config.window * 1000) / BUCKETS;
    const slot = Math.floor(now / width);
    const i = slot % BUCKETS;
    if (this.bucketOf[i] !== slot) {
      this.bucketOf[i] = slot;
      this.requests[i] = 0;
      this.failures[i] = 0;
    }
    // slices older than the window are forgotten even if their index was not reused yet
    for (let b = 0; b < BUCKETS; b++) {
      if (slot - this.bucketOf[b] >= BUCKETS) {
        this.requests[b] = 0;
        this.failures[b] = 0;
      }
    }
    return i;
  }

  private open(now: number): void {
    this.openedAt = now;
    this.transition('open');
  }

  private close(): void {
    this.requests.fill(0);
    this.failures.fill(0);
    this.transition('closed');
  }

  private transition(to: CircuitState): void {
    const from = this.state;
    if (from === to) return;
    this.state = to;
    this.onChange(from, to);
  }
}
