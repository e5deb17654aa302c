// Graceful shutdown, Kong-like: on SIGTERM (or SIGINT) the node turns /status/ready to 503 first, so
// load balancers stop sending; the proxy listeners stop accepting; requests in flight finish (up to
// ARCHWAY_DRAIN_TIMEOUT) with `Connection: close`; idle keep-alive connections are closed; exit 0.
import type { Logger } from '@archway/telemetry';

/** Read by the status server's /status/ready: true once a shutdown began. */
export class DrainState {
  #draining = false;

  get draining(): boolean {
    return this.#draining;
  }

  begin(): void {
    this.#draining = true;
  }
}

export interface TerminationOptions {
  logger: Logger;
  /** drains and stops everything; resolves when it is safe to exit */
  stop: () => Promise<void>;
  /** process.exit, replaceable in specs */
  exit?: (code: number) => void;
  signals?: NodeJS.Signals[];
}

/**
 * Runs `stop` on the first SIGTERM/SIGINT and exits 0 when it resolves (1 if it throws). A second
 * signal during the drain is logged and ignored: the drain timeout bounds how long it takes.
 */
export function exitOnTermination(opts: TerminationOptions): void {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      opts.logger.info('already shutting down; waiting for in-flight requests', { signal });
      return;
    }
    stopping = true;
    opts.logger.info('signal received', { signal });
    opts.stop().then(
      () => exit(0),
      (err: unknown) => {
        opts.logger.error('unclean shutdown', { err });
        exit(1);
      },
    );
  };
  for (const signal of opts.signals ?? ['SIGTERM', 'SIGINT']) process.on(signal, onSignal);
}
