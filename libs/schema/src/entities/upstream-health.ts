// An upstream's `healthchecks` record (Kong's healthchecks_config in kong/db/schema/entities/upstreams.lua,
// every default as Kong 3.9 has it) and Archway's `circuit_breaker` record.
import type { FieldDef } from '../fields';
import { checkSni } from './address';

type Def<T extends FieldDef['type']> = Extract<FieldDef, { type: T }>;

const RFC3986_PATH = /^\/[A-Za-z0-9.\-_~/%:@!$&'()*+,;=]*$/;

/** Kong's typedefs.path: starts with '/', RFC 3986 characters only. */
export function checkPath(v: string): string | null {
  if (!v.startsWith('/')) return 'should start with: /';
  if (!RFC3986_PATH.test(v)) return `invalid path: '${v}' (characters outside of the reserved list of RFC 3986 found)`;
  return null;
}

/** Kong's typedefs.header_name. */
export function checkHeaderName(v: string): string | null {
  return /^[A-Za-z0-9_-]+$/.test(v)
    ? null
    : `bad header name '${v}', allowed characters are A-Z, a-z, 0-9, '_', and '-'`;
}

const seconds: Def<'number'> = { type: 'number', between: [0, 65535] };
const positiveInt: Def<'integer'> = { type: 'integer', between: [1, 2 ** 31] };
const oneByte: Def<'integer'> = { type: 'integer', between: [0, 255] };
const httpStatuses = (statuses: number[]): Extract<FieldDef, { elements: FieldDef }> => ({
  type: 'array',
  default: statuses,
  elements: { type: 'integer', between: [100, 999] },
});

export const HEALTHCHECK_TYPES = ['tcp', 'http', 'https', 'grpc', 'grpcs'] as const;
const checkType: Def<'string'> = { type: 'string', default: 'http', oneOf: HEALTHCHECK_TYPES };

const activeHealthy: Def<'record'> = {
  type: 'record',
  fields: {
    interval: { ...seconds, default: 0 }, // 0 = probing disabled
    http_statuses: httpStatuses([200, 302]),
    successes: { ...oneByte, default: 0 },
  },
};

const activeUnhealthy: Def<'record'> = {
  type: 'record',
  fields: {
    interval: { ...seconds, default: 0 },
    http_statuses: httpStatuses([429, 404, 500, 501, 502, 503, 504, 505]),
    tcp_failures: { ...oneByte, default: 0 },
    timeouts: { ...oneByte, default: 0 },
    http_failures: { ...oneByte, default: 0 },
  },
};

const passiveHealthy: Def<'record'> = {
  type: 'record',
  fields: {
    http_statuses: httpStatuses([
      200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308,
    ]),
    successes: { ...oneByte, default: 0 },
  },
};

const passiveUnhealthy: Def<'record'> = {
  type: 'record',
  fields: {
    http_statuses: httpStatuses([429, 500, 503]),
    tcp_failures: { ...oneByte, default: 0 }, // all 0 = passive checks (Kong's "circuit breaker") off
    timeouts: { ...oneByte, default: 0 },
    http_failures: { ...oneByte, default: 0 },
  },
};

export const healthchecksDef: Def<'record'> = {
  type: 'record',
  fields: {
    active: {
      type: 'record',
      fields: {
        type: checkType,
        timeout: { ...seconds, default: 1 },
        concurrency: { ...positiveInt, default: 10 },
        http_path: { type: 'string', default: '/', check: checkPath },
        https_sni: { type: 'string', check: checkSni },
        https_verify_certificate: { type: 'boolean', required: true, default: true },
        headers: {
          type: 'map',
          keys: { type: 'string', check: checkHeaderName },
          values: { type: 'array', elements: { type: 'string' } },
        },
        healthy: activeHealthy,
        unhealthy: activeUnhealthy,
      },
    },
    passive: {
      type: 'record',
      fields: { type: checkType, healthy: passiveHealthy, unhealthy: passiveUnhealthy },
    },
    /** percentage of healthy target weight below which the upstream counts as unhealthy */
    threshold: { type: 'number', default: 0, between: [0, 100] },
  },
};

/**
 * Archway extension, not in Kong: a per-target circuit breaker on live traffic. Within a rolling
 * `window` (seconds), once at least `failure_threshold` requests to a target failed and failures are at
 * least `failure_ratio` of its requests, the target is skipped (open) for `cool_down` seconds; then
 * `half_open_requests` trial requests decide whether it closes again or re-opens. Off by default, so an
 * upstream behaves exactly as in Kong unless asked.
 */
export const circuitBreakerDef: Def<'record'> = {
  type: 'record',
  fields: {
    enabled: { type: 'boolean', required: true, default: false },
    failure_threshold: { type: 'integer', default: 5, between: [1, 2 ** 31] },
    failure_ratio: { type: 'number', default: 0.5, gt: 0, between: [0, 1] },
    window: { type: 'number', default: 10, gt: 0, between: [0, 3600] },
    cool_down: { type: 'number', default: 30, gt: 0, between: [0, 3600] },
    half_open_requests: { type: 'integer', default: 1, between: [1, 1000] },
  },
};

export interface HealthcheckActive {
  type: (typeof HEALTHCHECK_TYPES)[number];
  timeout: number;
  concurrency: number;
  http_path: string;
  https_sni: string | null;
  https_verify_certificate: boolean;
  headers: Record<string, string[]> | null;
  healthy: { interval: number; http_statuses: number[]; successes: number };
  unhealthy: { interval: number; http_statuses: number[]; tcp_failures: number; timeouts: number; http_failures: number };
}

export interface HealthcheckPassive {
  type: (typeof HEALTHCHECK_TYPES)[number];
  healthy: { http_statuses: number[]; successes: number };
  unhealthy: { http_statuses: number[]; tcp_failures: number; timeouts: number; http_failures: number };
}

export interface Healthchecks {
  active: HealthcheckActive;
  passive: HealthcheckPassive;
  threshold: number;
}

/** Archway extension (see circuitBreakerDef); times in seconds. */
export interface CircuitBreaker {
  enabled: boolean;
  failure_threshold: number;
  failure_ratio: number;
  window: number;
  cool_down: number;
  half_open_requests: number;
}
