// A proxy worker's end of the node's shared state (ARCHWAY_WORKERS > 1): the counters plugins use
// (ConfigureEnv.node, kept by the primary) and the node's upstream health, which this worker adopts
// into the balancers it serves with and to which it reports what its own traffic decided.
import type { HealthChange } from '@archway/balancer';
import type { NodeState } from '@archway/pipeline';
import type { Balancers } from '../balancers';
import { findBalancer } from '../upstream-health';
import { IpcCounters } from './ipc-counters';
import type { NodeStateFromWorker, NodeStateToWorker } from './messages';

export interface NodeStateClientOptions {
  /** sends to the primary; false when the channel is closed */
  send: (msg: NodeStateFromWorker) => boolean;
  /** the balancers of the runtime served now */
  balancers: () => Balancers | null | undefined;
  /** how long a counters call waits for the primary (default 2 s) */
  timeoutMs?: number;
}

export class NodeStateClient implements NodeState {
  readonly counters: IpcCounters;
  readonly #opts: NodeStateClientOptions;

  constructor(opts: NodeStateClientOptions) {
    this.#opts = opts;
    this.counters = new IpcCounters({ send: opts.send, timeoutMs: opts.timeoutMs });
  }

  onMessage(msg: NodeStateToWorker): void {
    switch (msg.type) {
      case 'node-taken':
        return this.counters.answered(msg.id, msg.used);
      case 'node-health': {
        const balancers = this.#opts.balancers();
        for (const u of msg.upstreams) findBalancer(balancers, u.upstream)?.adoptHealth(u.peers, 'node');
        return;
      }
    }
  }

  /** A health change in this worker's balancers: what its traffic decided (passive) is the node's to know. */
  healthChanged(e: HealthChange): void {
    if (e.source !== 'passive') return;
    this.#opts.send({ type: 'node-peer-health', upstream: e.upstream, peer: { target: e.target, address: e.address, healthy: e.healthy } });
  }

  close(): void {
    this.counters.close();
  }
}
