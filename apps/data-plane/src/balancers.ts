// Load balancing in the data plane (docs/load-balancing.md). Kong's rule: a service whose `host` is the
// name of an upstream is balanced over that upstream's targets; any other host is proxied directly.
// At snapshot apply one Balancer is compiled per upstream (adopting the previous runtime's balancer of
// the same id, so health, circuit state and DNS answers carry over) and each balanced service gets a
// ServiceBalancer: the balancer plus, per peer, the undici Pool and the Host header Kong would send.
import {
  compileBalancer, httpProbe, type Balancer, type CircuitChange, type Clock, type HealthChange, type Peer, type Probe, type Resolver,
} from '@archway/balancer';
import type { ConfigSet, Service, Upstream as UpstreamEntity } from '@archway/schema';
import type { Logger } from '@archway/telemetry';
import type { Pool } from 'undici';
import { poolKey, type PoolSpec, type UpstreamPools } from './upstream-pools';
import type { UpstreamTls } from './upstream-tls';

/** How balancers are built; everything optional (specs inject a resolver, clock or probe). */
export interface BalancingOptions {
  /** this data plane's zone (ARCHWAY_ZONE): targets of that zone, or of none, are preferred */
  zone?: string | null;
  resolver?: Resolver;
  clock?: Clock;
  probe?: Probe;
  /** run active health checks in this process (default true; a proxy worker leaves them to its primary) */
  activeChecks?: boolean;
  /** health and circuit changes are logged here (one line each) before the hooks below run */
  logger?: Logger;
  onHealthChange?: (e: HealthChange) => void;
  onCircuitChange?: (e: CircuitChange) => void;
}

/** upstream id -> its compiled balancer, for one runtime config */
export type Balancers = ReadonlyMap<string, Balancer>;

/** What one attempt needs to reach a peer: the pool for its origin and the Host Kong sends it. */
export interface PeerRoute {
  readonly pool: Pool;
  readonly host: string;
}

/** Kong's set_host_header: the peer's host name, plus `:port` unless it is the scheme's default. */
function peerHost(peer: Peer, scheme: string): string {
  const port = peer.port;
  if ((port === 80 && scheme === 'http') || (port === 443 && scheme === 'https')) return peer.hostHeader;
  return `${peer.hostHeader}:${port}`;
}

/**
 * A balanced service: its upstream's balancer and the pools of the peers it picks. Pools are keyed like
 * every other upstream pool (origin + connect timeout + TLS), so services sharing targets share pools.
 */
export class ServiceBalancer {
  readonly balancer: Balancer;
  /** pool keys this service opened; the config store keeps these pools open across a swap */
  readonly poolKeys = new Set<string>();
  // Peer objects are replaced when DNS answers change: a WeakMap lets the old ones go
  readonly #routes = new WeakMap<Peer, PeerRoute>();
  readonly #pools: UpstreamPools;
  readonly #scheme: string;
  readonly #connectTimeout: number;
  readonly #tls: UpstreamTls | null;

  constructor(balancer: Balancer, service: Service, scheme: string, pools: UpstreamPools, tls: UpstreamTls | null) {
    this.balancer = balancer;
    this.#pools = pools;
    this.#scheme = scheme;
    this.#connectTimeout = service.connect_timeout;
    this.#tls = tls;
  }

  /** The pool and Host for `peer`: one WeakMap lookup once the peer has been seen. */
  route(peer: Peer): PeerRoute {
    const known = this.#routes.get(peer);
    // a pool closed by a swap (its peer left the config) is reopened for requests still finishing
    if (known !== undefined && !known.pool.closed) return known;
    const route: PeerRoute = { pool: this.#acquire(peer.address), host: peerHost(peer, this.#scheme) };
    this.#routes.set(peer, route);
    return route;
  }

  /** Opens (without connecting) the pools of every address the balancer knows now, so a swap keeps them. */
  warm(): void {
    for (const target of this.balancer.health())
      for (const a of target.data.addresses) this.#acquire(a.ip.includes(':') ? `[${a.ip}]:${a.port}` : `${a.ip}:${a.port}`);
  }

  #acquire(address: string): Pool {
    const spec: PoolSpec = { origin: `${this.#scheme}://${address}`, connectTimeout: this.#connectTimeout, tlsVerify: this.#tls?.verify === true, tls: this.#tls };
    this.poolKeys.add(poolKey(spec));
    return this.#pools.acquire(spec);
  }
}

/** Upstreams by name, for Kong's service.host -> upstream lookup. */
export function upstreamsByName(config: Pick<ConfigSet, 'upstreams'>): Map<string, UpstreamEntity> {
  return new Map(config.upstreams.map((u) => [u.name, u]));
}

function logged(opts: BalancingOptions) {
  const log = opts.logger;
  return {
    onHealthChange(e: HealthChange): void {
      const fields = { upstream: e.upstream, target: e.target, address: e.address, source: e.source };
      // a change adopted from the node was logged where it was decided (the primary or another worker)
      if (e.source === 'node') log?.debug(e.healthy ? 'upstream target address is healthy' : 'upstream target address is unhealthy', fields);
      else if (e.healthy) log?.info('upstream target address is healthy', fields);
      else log?.warn('upstream target address is unhealthy', fields);
      opts.onHealthChange?.(e);
    },
    onCircuitChange(e: CircuitChange): void {
      log?.warn('upstream target circuit breaker changed state', { upstream: e.upstream, target: e.target, address: e.address, from: e.from, to: e.to });
      opts.onCircuitChange?.(e);
    },
  };
}

/** One balancer per upstream; `previous` (the serving runtime's) hands over state by upstream id. */
export function compileBalancers(config: Pick<ConfigSet, 'upstreams' | 'targets'>, previous: Balancers | null, opts: BalancingOptions): Map<string, Balancer> {
  const hooks = logged(opts);
  const out = new Map<string, Balancer>();
  const targetsOf = new Map<string, ConfigSet['targets']>();
  for (const t of config.targets) {
    const list = targetsOf.get(t.upstream.id);
    if (list) list.push(t);
    else targetsOf.set(t.upstream.id, [t]);
  }
  for (const u of config.upstreams) {
    const balancer = compileBalancer(u, targetsOf.get(u.id) ?? [], {
      zone: opts.zone ?? null,
      previous: previous?.get(u.id) ?? null,
      resolver: opts.resolver,
      clock: opts.clock,
      probe: opts.probe ?? httpProbe,
      activeChecks: opts.activeChecks,
      logger: opts.logger,
      onHealthChange: hooks.onHealthChange,
      onCircuitChange: hooks.onCircuitChange,
    });
    out.set(u.id, balancer);
  }
  return out;
}

/** Resolves once every balancer had its first DNS answers (compile -> ready -> swap). */
export async function balancersReady(balancers: Balancers): Promise<void> {
  await Promise.all([...balancers.values()].map((b) => b.ready()));
}

/**
 * Stops DNS refreshes and active probes. Safe right after a swap: requests still running on the old
 * runtime keep picking, reporting and releasing on it (the lib's contract), and their peer state is the
 * state the new balancers adopted; leaving the old timers running would probe every target twice.
 */
export function closeBalancers(balancers: Balancers | null | undefined): void {
  if (balancers) for (const b of balancers.values()) b.close();
}
