// Upstreams (with their healthchecks and circuit_breaker records) and targets <-> protobuf messages.
// A record is a message: absent = null (a record given as null is stored as null).
import type { CircuitBreaker, Healthchecks, Target, Upstream } from '@archway/schema';
import type { CircuitBreaker as CircuitBreakerMsg, CircuitBreaker__Output } from './generated/archway/sync/v1/CircuitBreaker';
import type { HealthcheckActive, HealthcheckActive__Output } from './generated/archway/sync/v1/HealthcheckActive';
import type { HealthcheckPassive, HealthcheckPassive__Output } from './generated/archway/sync/v1/HealthcheckPassive';
import type { Healthchecks as HealthchecksMsg, Healthchecks__Output } from './generated/archway/sync/v1/Healthchecks';
import type { Target as TargetMsg, Target__Output } from './generated/archway/sync/v1/Target';
import type { Upstream as UpstreamMsg, Upstream__Output } from './generated/archway/sync/v1/Upstream';
import { fk, headerMap, list, nul, opt, stamps, unfk, unfkRequired, unheaders, unlist } from './convert-values';

type Active = Healthchecks['active'];
type Passive = Healthchecks['passive'];

/** A nullable record through its converter: null stays null both ways. */
const rec = <A, B>(v: A | null | undefined, f: (a: A) => B): B | null => (v === null || v === undefined ? null : f(v));
/** Records nested in the healthchecks tree are nullable too, though their types say otherwise. */
const some = <A, B>(v: A | null | undefined, f: (a: A) => B): B => rec(v, f) as B;

function activeToProto(a: Active): HealthcheckActive {
  return {
    ...a,
    https_sni: opt(a.https_sni),
    headers: headerMap(a.headers),
    healthy: rec(a.healthy, (h) => ({ ...h })),
    unhealthy: rec(a.unhealthy, (u) => ({ ...u })),
  };
}

function activeFromProto(m: HealthcheckActive__Output): Active {
  return {
    type: m.type as Active['type'],
    timeout: m.timeout,
    concurrency: m.concurrency,
    http_path: m.http_path,
    https_sni: nul(m.https_sni),
    https_verify_certificate: m.https_verify_certificate,
    headers: unheaders(m.headers),
    healthy: some(m.healthy, (h) => ({ interval: h.interval, http_statuses: [...h.http_statuses], successes: h.successes })),
    unhealthy: some(m.unhealthy, (u) => ({
      interval: u.interval,
      http_statuses: [...u.http_statuses],
      tcp_failures: u.tcp_failures,
      timeouts: u.timeouts,
      http_failures: u.http_failures,
    })),
  };
}

function passiveToProto(p: Passive): HealthcheckPassive {
  return { type: p.type, healthy: rec(p.healthy, (h) => ({ ...h })), unhealthy: rec(p.unhealthy, (u) => ({ ...u })) };
}

function passiveFromProto(m: HealthcheckPassive__Output): Passive {
  return {
    type: m.type as Passive['type'],
    healthy: some(m.healthy, (h) => ({ http_statuses: [...h.http_statuses], successes: h.successes })),
    unhealthy: some(m.unhealthy, (u) => ({
      http_statuses: [...u.http_statuses],
      tcp_failures: u.tcp_failures,
      timeouts: u.timeouts,
      http_failures: u.http_failures,
    })),
  };
}

function healthchecksToProto(h: Healthchecks): HealthchecksMsg {
  return { active: rec(h.active, activeToProto), passive: rec(h.passive, passiveToProto), threshold: h.threshold };
}

function healthchecksFromProto(m: Healthchecks__Output): Healthchecks {
  return { active: some(m.active, activeFromProto), passive: some(m.passive, passiveFromProto), threshold: m.threshold };
}

function circuitBreakerFromProto(m: CircuitBreaker__Output): CircuitBreaker {
  return {
    enabled: m.enabled,
    failure_threshold: m.failure_threshold,
    failure_ratio: m.failure_ratio,
    window: m.window,
    cool_down: m.cool_down,
    half_open_requests: m.half_open_requests,
  };
}

export function upstreamToProto(u: Upstream): UpstreamMsg {
  return {
    ...u,
    hash_on_header: opt(u.hash_on_header),
    hash_fallback_header: opt(u.hash_fallback_header),
    hash_on_cookie: opt(u.hash_on_cookie),
    hash_on_query_arg: opt(u.hash_on_query_arg),
    hash_fallback_query_arg: opt(u.hash_fallback_query_arg),
    hash_on_uri_capture: opt(u.hash_on_uri_capture),
    hash_fallback_uri_capture: opt(u.hash_fallback_uri_capture),
    healthchecks: rec(u.healthchecks, healthchecksToProto),
    host_header: opt(u.host_header),
    client_certificate: fk(u.client_certificate),
    tags: list(u.tags),
    circuit_breaker: rec(u.circuit_breaker, (c): CircuitBreakerMsg => ({ ...c })),
  };
}

export function upstreamFromProto(m: Upstream__Output): Upstream {
  return {
    ...stamps(m, 'upstreams'),
    name: m.name,
    algorithm: m.algorithm as Upstream['algorithm'],
    hash_on: m.hash_on as Upstream['hash_on'],
    hash_fallback: m.hash_fallback as Upstream['hash_fallback'],
    hash_on_header: nul(m.hash_on_header),
    hash_fallback_header: nul(m.hash_fallback_header),
    hash_on_cookie: nul(m.hash_on_cookie),
    hash_on_cookie_path: m.hash_on_cookie_path,
    hash_on_query_arg: nul(m.hash_on_query_arg),
    hash_fallback_query_arg: nul(m.hash_fallback_query_arg),
    hash_on_uri_capture: nul(m.hash_on_uri_capture),
    hash_fallback_uri_capture: nul(m.hash_fallback_uri_capture),
    slots: m.slots,
    healthchecks: some(m.healthchecks, healthchecksFromProto),
    host_header: nul(m.host_header),
    client_certificate: unfk(m.client_certificate),
    use_srv_name: m.use_srv_name,
    tags: unlist(m.tags),
    circuit_breaker: some(m.circuit_breaker, circuitBreakerFromProto),
  };
}

export function targetToProto(t: Target): TargetMsg {
  return { ...t, upstream: fk(t.upstream), tags: list(t.tags), zone: opt(t.zone) };
}

export function targetFromProto(m: Target__Output): Target {
  return {
    ...stamps(m, 'targets'),
    upstream: unfkRequired(m.upstream),
    target: m.target,
    weight: m.weight,
    tags: unlist(m.tags),
    zone: nul(m.zone),
  };
}
