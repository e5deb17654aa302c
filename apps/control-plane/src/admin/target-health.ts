// Target health for GET /upstreams/{u}/health, in Kong's shapes (kong/db/dao/targets.lua
// page_for_upstream_with_health, kong/runloop/balancer/healthcheckers.lua). Health is measured on data
// planes; the control plane learns it from a TargetHealthSource (the clustering registry, once data
// planes report over the sync stream). Until one has reported, the answer is derived from the config
// the way a freshly started Kong node answers: checks off -> HEALTHCHECKS_OFF; checks on -> HEALTHY,
// because Kong adds every target to its health checker as healthy until a check says otherwise.
import { isIP } from 'node:net';
import type { Healthchecks } from '@archway/schema';
import type { Entity } from '../store/entity-store';

export type HealthState = 'HEALTHY' | 'UNHEALTHY' | 'HEALTHCHECKS_OFF' | 'DNS_ERROR';

export interface AddressHealth {
  ip: string;
  port: number;
  weight: number;
  health: HealthState;
  /** Archway extension, from data planes' reports: the address's circuit breaker state when it is on */
  circuit?: string;
}

/** Kong's balancer:getTargetStatus, shown as a target's `data`. */
export interface TargetStatus {
  host: string;
  port: number;
  dns: string;
  nodeWeight: number;
  weight: { total: number; available: number; unavailable: number };
  addresses: AddressHealth[];
}

export interface TargetHealth {
  health: HealthState;
  data: TargetStatus;
}

/** Kong's get_balancer_health: `?balancer_health=1`. */
export interface BalancerHealth {
  health: 'HEALTHY' | 'UNHEALTHY' | 'HEALTHCHECKS_OFF';
  balancer_health: 'HEALTHY' | 'UNHEALTHY';
  id: string;
  details: { healthy: boolean; weight: TargetStatus['weight']; hosts: TargetStatus[] };
}

/** What data planes reported; null means no data plane has reported on that target or upstream yet. */
export interface TargetHealthSource {
  healthOf(upstreamId: string, targetId: string): TargetHealth | null;
  balancerHealthOf(upstreamId: string): BalancerHealth | null;
}

export const TARGET_HEALTH_SOURCE = Symbol('TARGET_HEALTH_SOURCE');

/** The source before the clustering registry implements one: nothing reported. */
export const NO_REPORTED_HEALTH: TargetHealthSource = {
  healthOf: () => null,
  balancerHealthOf: () => null,
};

/** Kong's is_upstream_using_healthcheck: any active interval or passive failure threshold set. */
export function usesHealthchecks(h: Healthchecks): boolean {
  return (
    h.active.healthy.interval !== 0 ||
    h.active.unhealthy.interval !== 0 ||
    h.passive.unhealthy.tcp_failures !== 0 ||
    h.passive.unhealthy.timeouts !== 0 ||
    h.passive.unhealthy.http_failures !== 0
  );
}

/** `1.2.3.4:8000` / `[::1]:8000` / `example.test:80` -> host and port. */
function splitTarget(target: string): { host: string; port: number } {
  const at = target.lastIndexOf(':');
  return { host: target.slice(0, at), port: Number(target.slice(at + 1)) };
}

/**
 * A target's status from its config alone. Only an IP target has a known address; a hostname is
 * resolved on the data planes, so its addresses stay empty until one reports.
 */
function configuredStatus(target: Entity, health: HealthState): TargetStatus {
  const { host, port } = splitTarget(target.target as string);
  const weight = target.weight as number;
  const ip = host.replace(/^\[(.*)\]$/, '$1');
  return {
    host,
    port,
    dns: isIP(ip) === 6 ? 'AAAA' : isIP(ip) === 4 ? 'A' : 'unknown',
    nodeWeight: weight,
    weight: { total: weight, available: weight, unavailable: 0 },
    addresses: isIP(ip) ? [{ ip: host, port, weight, health }] : [],
  };
}

/** Kong's rule for an unreported target: a weight-0 target or an upstream without checks is HEALTHCHECKS_OFF. */
function configuredHealth(upstream: Entity, target: Entity): HealthState {
  return usesHealthchecks(upstream.healthchecks as Healthchecks) && (target.weight as number) > 0 ? 'HEALTHY' : 'HEALTHCHECKS_OFF';
}

/** A target as GET /upstreams/{u}/health lists it: the entity plus `health` and `data`. */
export function targetWithHealth(source: TargetHealthSource, upstream: Entity, target: Entity): Entity {
  const reported = source.healthOf(upstream.id, target.id);
  if (reported) return { ...target, health: reported.health, data: reported.data };
  const health = configuredHealth(upstream, target);
  return { ...target, health, data: configuredStatus(target, health) };
}

/** `?balancer_health=1`: the upstream's overall health (Kong's balancer is healthy above `threshold`% available weight). */
export function balancerHealth(source: TargetHealthSource, upstream: Entity, targets: Entity[]): BalancerHealth {
  const reported = source.balancerHealthOf(upstream.id);
  if (reported) return reported;
  const hosts = targets.map((t) => configuredStatus(t, configuredHealth(upstream, t)));
  const total = hosts.reduce((sum, h) => sum + h.weight.total, 0);
  const checks = upstream.healthchecks as Healthchecks;
  const healthy = total > 0 && 100 > checks.threshold;
  const balancer = healthy ? 'HEALTHY' : 'UNHEALTHY';
  return {
    health: usesHealthchecks(checks) ? balancer : 'HEALTHCHECKS_OFF',
    balancer_health: balancer,
    id: upstream.id,
    details: { healthy, weight: { total, available: total, unavailable: 0 }, hosts },
  };
}
