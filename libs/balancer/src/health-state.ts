// One peer's health counters, with lua-resty-healthcheck's rules (the library Kong's health checks use):
// active probes and proxied traffic feed the same counters, each against its own threshold.
//  - a threshold of 0 turns that counter off: the event is not counted and resets nothing;
//  - a success clears the failure counters, a failure clears the success counter;
//  - a counter reaching its threshold flips the state and clears every counter;
//  - successes of a healthy peer and failures of an unhealthy one are not counted.
// So with passive checks only and `healthy.successes` 0 (the default) an unhealthy peer stays out until
// an active check or a manual POST .../healthy brings it back, exactly as in Kong.

export type HealthEvent = 'success' | 'tcp_failure' | 'timeout' | 'http_failure';

export class HealthState {
  healthy = true;
  successes = 0;
  tcpFailures = 0;
  timeouts = 0;
  httpFailures = 0;

  /** Counts one event against `limit`; returns true when the state flipped. */
  record(event: HealthEvent, limit: number): boolean {
    if (limit === 0) return false;
    if (event === 'success') {
      if (this.healthy) {
        // nothing to count, but a success still ends a run of failures (resty's "mostly_healthy")
        this.clearFailures();
        return false;
      }
      this.clearFailures();
      this.successes += 1;
      if (this.successes >= limit) return this.set(true);
      return false;
    }
    if (!this.healthy) return false;
    this.successes = 0;
    const count = this.bump(event);
    if (count >= limit) return this.set(false);
    return false;
  }

  /** Sets the state outright (threshold reached, manual override); returns true when it changed. */
  set(healthy: boolean): boolean {
    const changed = this.healthy !== healthy;
    this.healthy = healthy;
    this.successes = 0;
    this.clearFailures();
    return changed;
  }

  private bump(event: Exclude<HealthEvent, 'success'>): number {
    if (event === 'tcp_failure') return ++this.tcpFailures;
    if (event === 'timeout') return ++this.timeouts;
    return ++this.httpFailures;
  }

  private clearFailures(): void {
    this.tcpFailures = 0;
    this.timeouts = 0;
    this.httpFailures = 0;
  }
}
