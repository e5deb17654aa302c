// Sends the upstreams' health summary to the control plane when it changes. Health and circuit changes
// and config swaps call changed(); the summary is computed once per debounce window and sent only when
// it differs from the last one sent. A slow periodic check catches what no event announces (a DNS
// answer that changed a target's addresses).
import type { HealthReport } from '@archway/sync';
import type { Logger } from '@archway/telemetry';
import type { Balancers } from './balancers';
import { healthSummary } from './upstream-health';

export interface HealthReporterOptions {
  /** the balancers of the runtime being served now */
  balancers: () => Balancers | null | undefined;
  send: (report: HealthReport) => void;
  logger: Logger;
  /** how long changes are gathered before a report (default 1 s) */
  debounceMs?: number;
  /** how often the summary is recomputed without an event (default 10 s) */
  checkEveryMs?: number;
}

export class HealthReporter {
  readonly #opts: HealthReporterOptions;
  #last: string | null = null;
  #pending: NodeJS.Timeout | null = null;
  #periodic: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(opts: HealthReporterOptions) {
    this.#opts = opts;
  }

  /** Sends the current summary and starts the periodic check. */
  start(): void {
    this.#flush();
    this.#periodic = setInterval(() => this.#flush(), this.#opts.checkEveryMs ?? 10_000);
    this.#periodic.unref();
  }

  /** Something that may change health happened: report within the debounce window if it did. */
  changed(): void {
    if (this.#closed || this.#pending !== null) return;
    this.#pending = setTimeout(() => {
      this.#pending = null;
      this.#flush();
    }, this.#opts.debounceMs ?? 1000);
    this.#pending.unref();
  }

  close(): void {
    this.#closed = true;
    if (this.#pending) clearTimeout(this.#pending);
    if (this.#periodic) clearInterval(this.#periodic);
    this.#pending = this.#periodic = null;
  }

  #flush(): void {
    if (this.#closed) return;
    try {
      const report: HealthReport = { upstreams: healthSummary(this.#opts.balancers()) };
      const key = JSON.stringify(report);
      if (key === this.#last) return;
      this.#last = key;
      this.#opts.send(report);
    } catch (err) {
      this.#opts.logger.warn('cannot report upstream health to the control plane', { err });
    }
  }
}
