// Target health as the data planes report it over the sync stream (SyncRequest.health_report), kept per
// data plane by the registry and combined here for the Admin API's GET /upstreams/{u}/health.
//
// The rule when several data planes report the same target (docs/load-balancing.md): only connected
// data planes count; the WORST health wins (DNS_ERROR, then UNHEALTHY, then HEALTHY, then
// HEALTHCHECKS_OFF), and between equally bad reports the MOST RECENT one. The target's `data`
// (addresses, weights, DNS) is the winning data plane's view. The same rule picks the upstream's
// `?balancer_health=1` answer (UNHEALTHY over HEALTHY over HEALTHCHECKS_OFF). A target no connected data
// plane has reported falls back to what the config says (target-health.ts).
import type { HealthReport__Output, UpstreamHealthMessage__Output } from '@archway/sync';
import type { BalancerHealth, HealthState, TargetHealth, TargetHealthSource, TargetStatus } from '../admin/target-health';

type TargetMessage = UpstreamHealthMessage__Output['targets'][number];

/** One data plane's report, indexed for lookups by upstream id and target id. */
export interface IndexedHealth {
  upstreams: Map<string, { upstream: UpstreamHealthMessage__Output; targets: Map<string, TargetMessage> }>;
}

export function indexHealth(report: HealthReport__Output): IndexedHealth {
  const upstreams: IndexedHealth['upstreams'] = new Map();
  for (const u of report.upstreams ?? []) upstreams.set(u.upstream_id, { upstream: u, targets: new Map(u.targets.map((t) => [t.target_id, t])) });
  return { upstreams };
}

/** A connected data plane's latest report and when it arrived (ms). */
export interface HealthReportEntry {
  nodeId: string;
  at: number;
  health: IndexedHealth;
}

const TARGET_RANK: Record<string, number> = { DNS_ERROR: 4, UNHEALTHY: 3, HEALTHY: 2, HEALTHCHECKS_OFF: 1 };
const BALANCER_RANK: Record<string, number> = { UNHEALTHY: 3, HEALTHY: 2, HEALTHCHECKS_OFF: 1 };

/** The worse of two candidates; equally bad: the more recent. */
function worse<T>(a: { rank: number; at: number; value: T } | null, b: { rank: number; at: number; value: T }) {
  if (a === null || b.rank > a.rank || (b.rank === a.rank && b.at > a.at)) return b;
  return a;
}

const weightOf = (w: { total: number; available: number; unavailable: number } | null) => ({
  total: w?.total ?? 0,
  available: w?.available ?? 0,
  unavailable: w?.unavailable ?? 0,
});

function statusOf(t: TargetMessage): TargetStatus {
  return {
    host: t.host,
    port: t.port,
    dns: t.dns,
    nodeWeight: t.node_weight,
    weight: weightOf(t.weight),
    addresses: t.addresses.map((a) => ({
      ip: a.ip,
      port: a.port,
      weight: a.weight,
      health: a.health as HealthState,
      ...(a.circuit ? { circuit: a.circuit } : {}),
    })),
  };
}

/** TargetHealthSource over the registry's connected data planes. */
export class ReportedHealth implements TargetHealthSource {
  readonly #reports: () => Iterable<HealthReportEntry>;

  constructor(reports: () => Iterable<HealthReportEntry>) {
    this.#reports = reports;
  }

  healthOf(upstreamId: string, targetId: string): TargetHealth | null {
    let best: { rank: number; at: number; value: TargetMessage } | null = null;
    for (const r of this.#reports()) {
      const t = r.health.upstreams.get(upstreamId)?.targets.get(targetId);
      if (t) best = worse(best, { rank: TARGET_RANK[t.health] ?? 0, at: r.at, value: t });
    }
    return best === null ? null : { health: best.value.health as HealthState, data: statusOf(best.value) };
  }

  balancerHealthOf(upstreamId: string): BalancerHealth | null {
    let best: { rank: number; at: number; value: UpstreamHealthMessage__Output } | null = null;
    for (const r of this.#reports()) {
      const u = r.health.upstreams.get(upstreamId)?.upstream;
      if (u) best = worse(best, { rank: BALANCER_RANK[u.health] ?? 0, at: r.at, value: u });
    }
    if (best === null) return null;
    const u = best.value;
    return {
      health: u.health as BalancerHealth['health'],
      balancer_health: u.healthy ? 'HEALTHY' : 'UNHEALTHY',
      id: upstreamId,
      details: { healthy: u.healthy, weight: weightOf(u.weight), hosts: u.targets.map(statusOf) },
    };
  }
}
