// The primary's end of the node's shared state (ARCHWAY_WORKERS > 1): it keeps the local rate-limiting
// counters for every worker (one atomic take per call, so the node never admits more than a limit) and
// the node's upstream health (node-health.ts), and speaks messages.ts with each worker it forks.
import { LocalCounters } from '@archway/plugins';
import type { Logger } from '@archway/telemetry';
import type { BalancingOptions } from '../balancers';
import type { WorkerHandle } from '../workers';
import { isNodeStateMessage, type NodeStateFromWorker, type UpstreamPeers } from './messages';
import { NodeHealth } from './node-health';

export interface NodeStateServerOptions {
  logger: Logger;
  /** for the primary's balancers (specs inject probe, resolver, clock) */
  balancing?: Omit<BalancingOptions, 'onHealthChange' | 'activeChecks'>;
  /** the counters (default: new ones) */
  counters?: LocalCounters;
}

export class NodeStateServer {
  readonly health: NodeHealth;
  readonly #counters: LocalCounters;
  readonly #log: Logger;
  readonly #workers = new Set<WorkerHandle>();

  constructor(opts: NodeStateServerOptions) {
    this.#log = opts.logger;
    this.#counters = opts.counters ?? new LocalCounters();
    this.health = new NodeHealth({ balancing: opts.balancing, logger: opts.logger, onChange: (upstreams) => this.#broadcast(upstreams) });
  }

  /** `fork`, with every worker it makes connected to the node's state. */
  forkWith(fork: () => WorkerHandle): () => WorkerHandle {
    return () => {
      const w = fork();
      this.#workers.add(w);
      w.onMessage((msg) => this.#onMessage(w, msg));
      w.onExit(() => this.#workers.delete(w));
      return w;
    };
  }

  close(): void {
    this.health.close();
  }

  #onMessage(w: WorkerHandle, msg: unknown): void {
    if (isNodeStateMessage(msg)) return this.#onNodeMessage(w, msg as NodeStateFromWorker);
    // the snapshot protocol: a worker now serves a config (started, or applied one): give it the node's health
    const m = msg as { type?: unknown; error?: unknown } | null;
    if (m?.type === 'listening' || (m?.type === 'applied' && m.error === null)) {
      const table = this.health.table();
      if (table.length) this.#send(w, table);
    }
  }

  #onNodeMessage(w: WorkerHandle, msg: NodeStateFromWorker): void {
    switch (msg.type) {
      case 'node-take': {
        let used: number[][];
        try {
          used = msg.ops.map((op) => this.#counters.take(op[0], op[1], op[2], op[3]));
        } catch (err) {
          this.#log.error('malformed counters request from a worker', { pid: w.pid, err });
          used = [];
        }
        return this.#sendTo(w, { type: 'node-taken', id: msg.id, used });
      }
      case 'node-peer-health':
        return this.health.adopt(msg.upstream, msg.peer);
    }
  }

  #broadcast(upstreams: UpstreamPeers[]): void {
    for (const w of this.#workers) this.#send(w, upstreams);
  }

  #send(w: WorkerHandle, upstreams: UpstreamPeers[]): void {
    this.#sendTo(w, { type: 'node-health', upstreams });
  }

  #sendTo(w: WorkerHandle, msg: Parameters<WorkerHandle['send']>[0]): void {
    try {
      w.send(msg);
    } catch (err) {
      this.#log.debug('cannot send to a worker', { pid: w.pid, err }); // its exit follows
    }
  }
}
