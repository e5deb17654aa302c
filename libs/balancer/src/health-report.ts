// What GET /upstreams/{u}/health shows (Kong's shape): each target with weight > 0, its overall health
// and, under `data`, its addresses. Targets are HEALTHY when any address is, DNS_ERROR when a name never
// resolved, HEALTHCHECKS_OFF when the upstream has no health checks. `?balancer_health=1` is `status`.
import type { Target } from '@archway/schema';
import type { Peer } from './peer';
import type { TargetEntry } from './target-peers';
import type { CircuitState, HealthLabel } from './types';

export interface AddressHealth {
  ip: string;
  port: number;
  weight: number;
  health: HealthLabel;
  /** Archway extension: present when the upstream's circuit breaker is enabled */
  circuit?: CircuitState;
}

export interface WeightSummary {
  total: number;
  available: number;
  unavailable: number;
}

export interface TargetHealth extends Target {
  health: HealthLabel;
  data: {
    host: string;
    port: number;
    /** the record type the addresses came from, or the DNS error when there are none */
    dns: string;
    nodeWeight: number;
    weight: WeightSummary;
    addresses: AddressHealth[];
  };
}

export interface BalancerStatus {
  health: 'HEALTHY' | 'UNHEALTHY' | 'HEALTHCHECKS_OFF';
  id: string;
  details: { healthy: boolean; weight: WeightSummary };
}

export function weightOf(peers: readonly Peer[], usingHc: boolean): WeightSummary {
  let total = 0;
  let available = 0;
  for (const p of peers) {
    total += p.weight;
    if (!usingHc || p.state.health.healthy) available += p.weight;
  }
  return { total, available, unavailable: total - available };
}

/** Kong: healthy while the available share of the weight is above `healthchecks.threshold` percent. */
export function isHealthy(w: WeightSummary, threshold: number): boolean {
  return w.total > 0 && (w.available / w.total) * 100 > threshold;
}

export function targetHealth(entry: TargetEntry, usingHc: boolean): TargetHealth {
  const { target, addr, dns, peers } = entry;
  const addresses = peers.map((p): AddressHealth => {
    const a: AddressHealth = { ip: p.host, port: p.port, weight: p.weight, health: addressLabel(p, usingHc) };
    if (p.state.breaker) a.circuit = p.state.breaker.state;
    return a;
  });
  let health: HealthLabel;
  if (dns !== null && !dns.addresses?.length) health = 'DNS_ERROR';
  else if (!usingHc) health = 'HEALTHCHECKS_OFF';
  else health = addresses.some((a) => a.health === 'HEALTHY') ? 'HEALTHY' : 'UNHEALTHY';
  const dnsLabel = dns === null ? (addr.kind === 'ipv6' ? 'AAAA' : 'A') : (dns.recordType ?? dns.lastError ?? 'pending');
  return {
    ...target,
    health,
    data: {
      host: addr.host,
      port: addr.port,
      dns: dns !== null && !dns.addresses?.length && dns.lastError ? dns.lastError : dnsLabel,
      nodeWeight: target.weight,
      weight: weightOf(peers, usingHc),
      addresses,
    },
  };
}

function addressLabel(p: Peer, usingHc: boolean): HealthLabel {
  if (!usingHc) return 'HEALTHCHECKS_OFF';
  return p.state.health.healthy ? 'HEALTHY' : 'UNHEALTHY';
}
