// Target health as this data plane measures it, in two forms: Kong's GET /upstreams/{u}/health body for
// the status port, and the compact per-upstream summary sent to the control plane over the sync stream
// (which answers the Admin API's /upstreams/{u}/health from it).
import type { Balancer, TargetHealth } from '@archway/balancer';
import type { Balancers } from './balancers';

/** An upstream's balancer by id or by name (Kong addresses upstreams either way). */
export function findBalancer(balancers: Balancers | null | undefined, key: string): Balancer | null {
  if (!balancers) return null;
  const byId = balancers.get(key);
  if (byId) return byId;
  for (const b of balancers.values()) if (b.upstream.name === key) return b;
  return null;
}

/** Kong's get_balancer_health (`?balancer_health=1`): overall health plus every target's status. */
export function balancerHealthBody(b: Balancer) {
  const status = b.status();
  return {
    health: status.health,
    balancer_health: status.details.healthy ? 'HEALTHY' : 'UNHEALTHY',
    id: status.id,
    details: { ...status.details, hosts: b.health().map((t) => t.data) },
  };
}

/** The body of GET /upstreams/{u}/health on the status port (Kong's shape, one page). */
export function upstreamHealthBody(b: Balancer, balancerHealth: boolean, nodeId: string) {
  return { data: balancerHealth ? balancerHealthBody(b) : b.health(), next: null, node_id: nodeId };
}

/** One address of a target as reported to the control plane. */
export interface ReportedAddress {
  ip: string;
  port: number;
  weight: number;
  health: string;
  /** '' when the upstream's circuit breaker is off */
  circuit: string;
}

/** One target as reported to the control plane: Kong's `health` and `data`, keyed by target id. */
export interface ReportedTarget {
  target_id: string;
  health: string;
  host: string;
  port: number;
  dns: string;
  node_weight: number;
  weight: { total: number; available: number; unavailable: number };
  addresses: ReportedAddress[];
}

/** One upstream's health on this data plane (the sync protocol's UpstreamHealth). */
export interface ReportedUpstream {
  upstream_id: string;
  /** HEALTHY, UNHEALTHY or HEALTHCHECKS_OFF (Kong's balancer health) */
  health: string;
  healthy: boolean;
  weight: { total: number; available: number; unavailable: number };
  targets: ReportedTarget[];
}

function reportedTarget(t: TargetHealth): ReportedTarget {
  const d = t.data;
  return {
    target_id: t.id,
    health: t.health,
    host: d.host,
    port: d.port,
    dns: d.dns,
    node_weight: d.nodeWeight,
    weight: { ...d.weight },
    addresses: d.addresses.map((a) => ({ ip: a.ip, port: a.port, weight: a.weight, health: a.health, circuit: a.circuit ?? '' })),
  };
}

/** Every upstream's summary, ordered by id so equal states give equal reports. */
export function healthSummary(balancers: Balancers | null | undefined): ReportedUpstream[] {
  if (!balancers) return [];
  const out: ReportedUpstream[] = [];
  for (const b of balancers.values()) {
    const status = b.status();
    out.push({
      upstream_id: b.upstream.id,
      health: status.health,
      healthy: status.details.healthy,
      weight: { ...status.details.weight },
      targets: b.health().map(reportedTarget),
    });
  }
  return out.sort((a, b) => (a.upstream_id < b.upstream_id ? -1 : a.upstream_id > b.upstream_id ? 1 : 0));
}
