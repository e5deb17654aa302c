// Upstream health for the whole node (ARCHWAY_WORKERS > 1), kept by the primary as Kong keeps it in a
// shared dict for all of a node's nginx workers. The primary compiles its own balancers from each
// snapshot every worker applied, and only they run active health checks: one prober per node, however
// many workers. Every change of the node's health (a probe's verdict, or a passive one a worker
// reported) is broadcast to the workers, which adopt it; a worker that (re)applied a config gets the
// whole table. Passive counters stay per worker: a worker flips an address after its own traffic saw
// enough failures, then the node adopts the flip. See docs/load-balancing.md.
// The primary follows the snapshot every worker applied (WorkerPool.current): while some workers
// rejected a newer one that others serve, upstreams only that newer one has are not probed until the
// workers converge.
import type { PeerHealth } from '@archway/balancer';
import { pluginSchema } from '@archway/plugins';
import { validateConfig, type Snapshot } from '@archway/schema';
import type { Logger } from '@archway/telemetry';
import { balancersReady, closeBalancers, compileBalancers, type Balancers, type BalancingOptions } from '../balancers';
import { findBalancer } from '../upstream-health';
import type { UpstreamPeers } from './messages';

export interface NodeHealthOptions {
  /** zone, probe, resolver, clock (specs inject them); health changes are logged with `logger` */
  balancing?: Omit<BalancingOptions, 'onHealthChange' | 'activeChecks'>;
  logger: Logger;
  /** the node's health of these addresses changed: tell every worker */
  onChange: (upstreams: UpstreamPeers[]) => void;
}

export class NodeHealth {
  readonly #opts: NodeHealthOptions;
  #balancers: Balancers | null = null;
  #applying: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(opts: NodeHealthOptions) {
    this.#opts = opts;
  }

  /** The balancers probing now (the status of the node's health), null before the first config. */
  get balancers(): Balancers | null {
    return this.#balancers;
  }

  /**
   * Compiles the upstreams of `snapshot` (adopting the health of unchanged addresses), swaps them in,
   * then sends every worker the whole table. Applies run one at a time; a failure is logged and keeps
   * the previous balancers (the workers validated the same config, so it is not expected).
   */
  apply(snapshot: Snapshot): Promise<void> {
    const run = this.#applying.then(() => this.#apply(snapshot));
    this.#applying = run.catch((err: unknown) =>
      this.#opts.logger.error('cannot compile the upstreams for the node health checks; keeping the previous ones', { config_version: snapshot.version, err }),
    );
    return this.#applying;
  }

  /** Every address of every upstream with health checks, as the node sees it now. */
  table(): UpstreamPeers[] {
    const out: UpstreamPeers[] = [];
    for (const b of this.#balancers?.values() ?? []) {
      if (b.status().health === 'HEALTHCHECKS_OFF') continue;
      out.push({ upstream: b.upstream.name, peers: b.peerHealth() });
    }
    return out;
  }

  /** A worker's traffic flipped an address: the node adopts it (and broadcasts it if it is news). */
  adopt(upstream: string, peer: PeerHealth): void {
    findBalancer(this.#balancers, upstream)?.adoptHealth([peer], 'node');
  }

  close(): void {
    this.#closed = true;
    closeBalancers(this.#balancers);
    this.#balancers = null;
  }

  async #apply(snapshot: Snapshot): Promise<void> {
    if (this.#closed) return;
    const raw = snapshot.config;
    // only what balancers read; the workers validated the whole config already
    const config = validateConfig({ upstreams: raw.upstreams, targets: raw.targets, certificates: raw.certificates }, pluginSchema);
    const next = compileBalancers(config, this.#balancers, {
      ...this.#opts.balancing,
      logger: this.#opts.logger,
      activeChecks: true,
      onHealthChange: (e) => this.#opts.onChange([{ upstream: e.upstream, peers: [{ target: e.target, address: e.address, healthy: e.healthy }] }]),
    });
    await balancersReady(next);
    if (this.#closed) return closeBalancers(next);
    const previous = this.#balancers;
    this.#balancers = next;
    closeBalancers(previous);
    this.#opts.onChange(this.table());
  }
}
