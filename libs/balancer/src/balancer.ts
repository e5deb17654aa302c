// compileBalancer: one upstream and its targets, compiled at snapshot apply into an object the proxy
// asks for a peer per request. Picking is synchronous and allocation-free; DNS refreshes and active
// probes run on injected timers. A recompile adopts the previous balancer's per-peer state (health,
// circuit, latency, in-flight counts) and DNS answers for every unchanged target.
import type { Target, Upstream } from '@archway/schema';
import { ActiveChecker, statusEvent } from './active-checks';
import type { Algorithm, Usable } from './algorithms/algorithm';
import { createAlgorithm } from './algorithms';
import { updateEwma } from './algorithms/latency';
import { CircuitBreaker } from './circuit-breaker';
import { createDnsResolver } from './dns-resolver';
import { type HashPlan, hashPlan, hashValue } from './hash-value';
import type { HealthEvent } from './health-state';
import { type BalancerStatus, type TargetHealth, isHealthy, targetHealth, weightOf } from './health-report';
import { httpProbe } from './http-probe';
import { type Peer, type PeerState, peerKey } from './peer';
import { systemClock } from './system-clock';
import { TargetDns } from './target-dns';
import { type TargetEntry, buildPeers, statesOf, targetEntry } from './target-peers';
import type {
  BalancerLogger,
  CircuitChange,
  Clock,
  HealthChange,
  Outcome,
  PeerHealth,
  PickContext,
  Probe,
  Resolver,
} from './types';

export interface BalancerOptions {
  /** this data plane's zone (ARCHWAY_ZONE): targets of that zone (or of none) are preferred */
  zone?: string | null;
  /** the balancer this one replaces: state and DNS answers of unchanged targets carry over */
  previous?: Balancer | null;
  resolver?: Resolver;
  clock?: Clock;
  probe?: Probe;
  /**
   * run active health checks here (default true); false when another process of the node probes and
   * shares the results (adoptHealth)
   */
  activeChecks?: boolean;
  logger?: BalancerLogger;
  /** [0, 1) source for the latency algorithm (default Math.random) */
  random?: () => number;
  onHealthChange?: (e: HealthChange) => void;
  onCircuitChange?: (e: CircuitChange) => void;
}

export interface Balancer {
  readonly upstream: Upstream;
  /** a peer for this request, or null: the proxy answers 503 "failure to get a peer from the ring-balancer" */
  pick(ctx: PickContext): Peer | null;
  /** the outcome of one attempt: passive health, circuit breaker, latency */
  report(peer: Peer, outcome: Outcome): void;
  /** the attempt is over (after report, or alone when nothing was sent) */
  release(peer: Peer): void;
  /** per target, Kong's /upstreams/{u}/health rows */
  health(): TargetHealth[];
  /** the balancer as a whole, Kong's ?balancer_health=1 */
  status(): BalancerStatus;
  /** Kong's POST /upstreams/{u}/targets/{t}[/{address}]/(un)healthy; false when no such peer */
  setHealth(target: string, healthy: boolean, address?: string): boolean;
  /** every address's health (for sharing it with the other processes of the node) */
  peerHealth(): PeerHealth[];
  /**
   * sets the listed addresses' health as another process decided it; addresses this balancer does
   * not have are ignored. Each change is announced with `source`.
   */
  adoptHealth(peers: readonly PeerHealth[], source: HealthChange['source']): void;
  /** resolves once every name target had its first DNS answer (or failure) */
  ready(): Promise<void>;
  /** stops DNS refreshes and active probes; picking keeps working on what is known */
  close(): void;
}

let defaultResolver: Resolver | null = null;

export function compileBalancer(upstream: Upstream, targets: readonly Target[], opts: BalancerOptions = {}): Balancer {
  return new UpstreamBalancer(upstream, targets, opts);
}

/** Kong's is_upstream_using_healthcheck: any active interval or passive failure threshold set. */
function usesHealthchecks(u: Upstream): boolean {
  const { active, passive } = u.healthchecks;
  return (
    active.healthy.interval !== 0 ||
    active.unhealthy.interval !== 0 ||
    passive.unhealthy.tcp_failures !== 0 ||
    passive.unhealthy.timeouts !== 0 ||
    passive.unhealthy.http_failures !== 0
  );
}

class UpstreamBalancer implements Balancer {
  readonly upstream: Upstream;
  readonly entries: TargetEntry[];
  #peers: Peer[] = [];
  #local: Algorithm | null = null;
  #remote: Algorithm | null = null;
  readonly #usingHc: boolean;
  readonly #plan: HashPlan | null;
  readonly #clock: Clock;
  readonly #opts: BalancerOptions;
  readonly #active: ActiveChecker | null;
  readonly #ready: Promise<void>;
  // per-pick scratch read by the one `usable` predicate (no closure per request)
  #now = 0;
  #tried: Set<Peer> | null = null;
  readonly #usable: Usable = (p) => this.isUsable(p);

  constructor(upstream: Upstream, targets: readonly Target[], opts: BalancerOptions) {
    this.upstream = upstream;
    this.#opts = opts;
    this.#clock = opts.clock ?? systemClock;
    this.#usingHc = usesHealthchecks(upstream);
    this.#plan = upstream.algorithm === 'consistent-hashing' ? hashPlan(upstream) : null;
    const prev = opts.previous instanceof UpstreamBalancer && opts.previous.upstream.id === upstream.id ? opts.previous : null;
    const prevEntries = new Map(prev?.entries.map((e) => [e.target.target, e]));
    const states = statesOf(prev === null ? [] : prev.#peers);
    this.entries = targets.filter((t) => t.upstream.id === upstream.id).map(targetEntry);
    const pending: Promise<void>[] = [];
    for (const entry of this.entries) {
      if (entry.addr.kind === 'name' && entry.target.weight > 0) {
        const dns = this.newDns(entry);
        const before = prevEntries.get(entry.target.target)?.dns;
        if (before) dns.adopt(before);
        entry.dns = dns;
        pending.push(dns.start());
      }
      entry.peers = buildPeers(entry, states, upstream.host_header);
    }
    this.rebuild();
    this.#ready = Promise.all(pending).then(() => undefined);
    const probe = opts.probe ?? httpProbe;
    this.#active = this.#usingHc && opts.activeChecks !== false ? this.startActive(probe) : null;
  }

  pick(ctx: PickContext): Peer | null {
    this.#now = this.#clock.now();
    if (this.upstream.healthchecks.threshold > 0 && !isHealthy(weightOf(this.#peers, this.#usingHc), this.upstream.healthchecks.threshold))
      return null;
    let hash: string | null = null;
    if (this.#plan !== null) hash = ctx.hashValue ??= hashValue(this.#plan, ctx);
    this.#tried = ctx.tried !== null && ctx.tried.size > 0 ? ctx.tried : null;
    let peer = this.pickTiers(hash);
    if (peer === null && this.#tried !== null) {
      // every usable peer was tried: start over, as Kong's balancer does, until retries run out
      this.#tried = null;
      peer = this.pickTiers(hash);
    }
    this.#tried = null;
    if (peer === null) return null;
    peer.state.connections += 1;
    peer.state.breaker?.admit();
    return peer;
  }

  report(peer: Peer, outcome: Outcome): void {
    const now = this.#clock.now();
    const state = peer.state;
    if (outcome.latencyMs !== undefined && !outcome.tcpError) updateEwma(state, outcome.latencyMs, now);
    const failed = !!outcome.tcpError || !!outcome.timeout || (outcome.status ?? 0) >= 500;
    state.breaker?.record(failed, now);
    if (!this.#usingHc) return;
    const { healthy, unhealthy } = this.upstream.healthchecks.passive;
    if (outcome.tcpError) return this.recordHealth(peer, 'tcp_failure', unhealthy.tcp_failures, 'passive');
    if (outcome.timeout) return this.recordHealth(peer, 'timeout', unhealthy.timeouts, 'passive');
    if (outcome.status === undefined) return;
    const event = statusEvent(outcome.status, healthy.http_statuses, unhealthy.http_statuses);
    if (event === 'success') this.recordHealth(peer, event, healthy.successes, 'passive');
    else if (event === 'http_failure') this.recordHealth(peer, event, unhealthy.http_failures, 'passive');
  }

  release(peer: Peer): void {
    if (peer.state.connections > 0) peer.state.connections -= 1;
  }

  health(): TargetHealth[] {
    return this.entries.filter((e) => e.target.weight > 0).map((e) => targetHealth(e, this.#usingHc));
  }

  status(): BalancerStatus {
    const weight = weightOf(this.#peers, this.#usingHc);
    const healthy = isHealthy(weight, this.upstream.healthchecks.threshold);
    const health = !this.#usingHc ? 'HEALTHCHECKS_OFF' : healthy ? 'HEALTHY' : 'UNHEALTHY';
    return { health, id: this.upstream.id, details: { healthy, weight } };
  }

  setHealth(target: string, healthy: boolean, address?: string): boolean {
    const peers = this.#peers.filter((p) => p.target === target && (address === undefined || p.address === address));
    for (const p of peers) if (p.state.health.set(healthy)) this.emitHealth(p, 'manual');
    return peers.length > 0;
  }

  peerHealth(): PeerHealth[] {
    return this.#peers.map((p) => ({ target: p.target, address: p.address, healthy: p.state.health.healthy }));
  }

  adoptHealth(peers: readonly PeerHealth[], source: HealthChange['source']): void {
    if (!this.#usingHc || peers.length === 0) return;
    const wanted = new Map<string, boolean>();
    for (const h of peers) wanted.set(peerKey(h.target, h.address), h.healthy);
    for (const p of this.#peers) {
      const healthy = wanted.get(peerKey(p.target, p.address));
      if (healthy !== undefined && healthy !== p.state.health.healthy && p.state.health.set(healthy)) this.emitHealth(p, source);
    }
  }

  ready(): Promise<void> {
    return this.#ready;
  }

  close(): void {
    this.#active?.close();
    for (const e of this.entries) e.dns?.close();
  }

  private pickTiers(hash: string | null): Peer | null {
    return this.#local?.pick(this.#usable, hash) ?? this.#remote?.pick(this.#usable, hash) ?? null;
  }

  private isUsable(p: Peer): boolean {
    if (this.#usingHc && !p.state.health.healthy) return false;
    if (this.#tried !== null && this.#tried.has(p)) return false;
    return p.state.breaker === null || p.state.breaker.allows(this.#now);
  }

  private recordHealth(peer: Peer, event: HealthEvent, limit: number, source: HealthChange['source']): void {
    if (peer.state.health.record(event, limit)) this.emitHealth(peer, source);
  }

  private emitHealth(peer: Peer, source: HealthChange['source']): void {
    const e = { upstream: this.upstream.name, target: peer.target, address: peer.address };
    this.#opts.onHealthChange?.({ ...e, healthy: peer.state.health.healthy, source });
  }

  /** Peers, breakers and the zone tiers' algorithms, from the entries' current peers. */
  private rebuild(): void {
    this.#peers = this.entries.flatMap((e) => e.peers);
    for (const p of this.#peers) this.configurePeer(p);
    const zone = this.#opts.zone || null;
    const local = zone === null ? this.#peers : this.#peers.filter((p) => p.zone === null || p.zone === zone);
    const remote = zone === null ? [] : this.#peers.filter((p) => p.zone !== null && p.zone !== zone);
    const algoOpts = { slots: this.upstream.slots, now: () => this.#clock.now(), random: this.#opts.random ?? Math.random };
    this.#local = local.length ? createAlgorithm(this.upstream.algorithm, local, algoOpts) : null;
    this.#remote = remote.length ? createAlgorithm(this.upstream.algorithm, remote, algoOpts) : null;
  }

  private configurePeer(p: Peer): void {
    const state: PeerState = p.state;
    if (!this.#usingHc) state.health.set(true);
    const cb = this.upstream.circuit_breaker;
    if (!cb.enabled) {
      state.breaker = null;
      return;
    }
    const onChange = (from: CircuitChange['from'], to: CircuitChange['to']): void =>
      this.#opts.onCircuitChange?.({ upstream: this.upstream.name, target: p.target, address: p.address, from, to });
    if (state.breaker) state.breaker.reconfigure(cb, onChange);
    else state.breaker = new CircuitBreaker(cb, onChange);
  }

  private newDns(entry: TargetEntry): TargetDns {
    return new TargetDns({
      name: entry.addr.host,
      port: entry.addr.port,
      weight: entry.target.weight,
      useSrvName: this.upstream.use_srv_name,
      resolver: this.#opts.resolver ?? (defaultResolver ??= createDnsResolver()),
      clock: this.#clock,
      logger: this.#opts.logger ?? null,
      onChange: () => {
        entry.peers = buildPeers(entry, statesOf(entry.peers), this.upstream.host_header);
        this.rebuild();
      },
    });
  }

  private startActive(probe: Probe): ActiveChecker {
    const checker = new ActiveChecker({
      config: this.upstream.healthchecks.active,
      clock: this.#clock,
      probe,
      peers: () => this.#peers,
      record: (peer, event, limit) => this.recordHealth(peer, event, limit, 'active'),
    });
    checker.start();
    return checker;
  }
}
