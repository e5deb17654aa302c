// @archway/balancer: upstreams and targets compiled into a per-request peer picker, with Kong's
// algorithms (round-robin, least-connections, consistent-hashing, latency), Kong's active and passive
// health checks, Archway's per-peer circuit breaker, zone preference and DNS service discovery.
// Pure apart from the injected edges: a Clock for timers, a Resolver for DNS, a Probe for active checks.
// See docs/load-balancing.md for the behaviour as a user reads it.
//
// Use, in the data plane:
//   const b = compileBalancer(upstream, targets, { zone, previous, probe: httpProbe, logger, onCircuitChange });
//   await b.ready();                // first DNS answers, before the snapshot is swapped in
//   previous?.close();              // after the swap: stops the old one's timers
//   const peer = b.pick(ctx);       // null -> 503 PROXY_ERRORS.noPeer
//   ... b.report(peer, { ok, status, latencyMs }); b.release(peer); retry with ctx.tried.add(peer)
export { compileBalancer, type Balancer, type BalancerOptions } from './balancer';
export { Peer } from './peer';
export { pickContext } from './pick-context';
export type { AddressHealth, BalancerStatus, TargetHealth, WeightSummary } from './health-report';
export { createDnsResolver, type DnsResolverOptions } from './dns-resolver';
export { httpProbe } from './http-probe';
export { systemClock } from './system-clock';
export type {
  AddressRecord,
  BalancerLogger,
  CircuitChange,
  CircuitState,
  Clock,
  HealthChange,
  HealthLabel,
  Outcome,
  PeerHealth,
  PickContext,
  Probe,
  ProbeRequest,
  ProbeResult,
  ProbeType,
  Resolver,
  SrvRecord,
} from './types';
