// The upstreams entity (kong/db/schema/entities/upstreams.lua, Kong 3.9), plus Archway's circuit breaker.
import type { EntitySchema } from '../entity';
import type { FieldErrors } from '../errors';
import type { FieldDef } from '../fields';
import type { ForeignKey } from '../types';
import { checkHostWithOptionalPort, normalizeIp } from './address';
import { tags, id, timestamp } from './typedefs';
import {
  type CircuitBreaker,
  type Healthchecks,
  checkHeaderName,
  checkPath,
  circuitBreakerDef,
  healthchecksDef,
} from './upstream-health';

export const UPSTREAM_ALGORITHMS = ['consistent-hashing', 'least-connections', 'round-robin', 'latency'] as const;
export const HASH_ON = ['none', 'consumer', 'ip', 'header', 'cookie', 'path', 'query_arg', 'uri_capture'] as const;
export type HashOn = (typeof HASH_ON)[number];

export interface Upstream {
  id: string;
  created_at: number;
  updated_at: number;
  name: string;
  algorithm: (typeof UPSTREAM_ALGORITHMS)[number];
  hash_on: HashOn;
  hash_fallback: HashOn;
  hash_on_header: string | null;
  hash_fallback_header: string | null;
  hash_on_cookie: string | null;
  hash_on_cookie_path: string;
  hash_on_query_arg: string | null;
  hash_fallback_query_arg: string | null;
  hash_on_uri_capture: string | null;
  hash_fallback_uri_capture: string | null;
  slots: number;
  healthchecks: Healthchecks;
  host_header: string | null;
  client_certificate: ForeignKey | null;
  use_srv_name: boolean;
  tags: string[] | null;
  /** Archway extension */
  circuit_breaker: CircuitBreaker;
}

/** Kong's validate_name: a hostname, not an ip address, without a port. */
function checkUpstreamName(name: string): string | null {
  const parsed = normalizeIp(name);
  if (typeof parsed === 'string') return `Invalid name ('${name}'); must be a valid hostname`;
  if (parsed.type !== 'name') return `Invalid name ('${name}'); no ip addresses allowed`;
  if (parsed.port !== null) return `Invalid name ('${name}'); no port allowed`;
  return null;
}

/** RFC 6265 cookie-name (token) characters. */
function checkCookieName(v: string): string | null {
  return /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/.test(v)
    ? null
    : `bad cookie name '${v}', allowed characters are A-Z, a-z, 0-9, '_', and '-'`;
}

const hashOn: FieldDef = { type: 'string', default: 'none', oneOf: HASH_ON };
const headerName: FieldDef = { type: 'string', check: checkHeaderName };

type Then = { required: true } | { oneOf: readonly string[] };
/** Kong's `conditional` entity checks, in Kong's order: [if field, if value, then field, then rule]. */
const CONDITIONALS: readonly [string, string, string, Then][] = [
  ['hash_on', 'header', 'hash_on_header', { required: true }],
  ['hash_fallback', 'header', 'hash_fallback_header', { required: true }],
  ['hash_on', 'cookie', 'hash_on_cookie', { required: true }],
  ['hash_fallback', 'cookie', 'hash_on_cookie', { required: true }],
  ['hash_on', 'none', 'hash_fallback', { oneOf: ['none'] }],
  // when hashing on a cookie, the cookie is set when missing: a fallback would never be used
  ['hash_on', 'cookie', 'hash_fallback', { oneOf: ['none'] }],
  // the fallback must differ from hash_on (headers, query args and captures may repeat with another name)
  ['hash_on', 'consumer', 'hash_fallback', { oneOf: ['none', 'ip', 'header', 'cookie', 'path', 'query_arg', 'uri_capture'] }],
  ['hash_on', 'ip', 'hash_fallback', { oneOf: ['none', 'consumer', 'header', 'cookie', 'path', 'query_arg', 'uri_capture'] }],
  ['hash_on', 'path', 'hash_fallback', { oneOf: ['none', 'consumer', 'ip', 'header', 'cookie', 'query_arg', 'uri_capture'] }],
  ['hash_on', 'query_arg', 'hash_on_query_arg', { required: true }],
  ['hash_fallback', 'query_arg', 'hash_fallback_query_arg', { required: true }],
  ['hash_on', 'uri_capture', 'hash_on_uri_capture', { required: true }],
  ['hash_fallback', 'uri_capture', 'hash_fallback_uri_capture', { required: true }],
];

const DISTINCT: readonly [string, string][] = [
  ['hash_on_header', 'hash_fallback_header'],
  ['hash_on_query_arg', 'hash_fallback_query_arg'],
  ['hash_on_uri_capture', 'hash_fallback_uri_capture'],
];

function checkUpstream(u: Record<string, unknown>): FieldErrors | null {
  const errors: FieldErrors = {};
  const entity: string[] = [];
  for (const [ifField, ifValue, thenField, rule] of CONDITIONALS) {
    if (u[ifField] !== ifValue) continue;
    const value = u[thenField];
    let error: string | null = null;
    if ('required' in rule) error = value === null ? 'required field missing' : null;
    else if (value !== null && !rule.oneOf.includes(value as string)) error = `expected one of: ${rule.oneOf.join(', ')}`;
    if (!error) continue;
    errors[thenField] ??= error;
    entity.push(`failed conditional validation given value of field '${ifField}'`);
  }
  for (const [a, b] of DISTINCT)
    if (u[a] !== null && u[a] === u[b]) entity.push(`values of these fields must be distinct: '${a}', '${b}'`);
  if (entity.length) errors['@entity'] = entity;
  return Object.keys(errors).length ? errors : null;
}

export const upstreamSchema: EntitySchema = {
  name: 'upstreams',
  adminPath: 'upstreams',
  endpointKey: 'name',
  fields: {
    id,
    created_at: timestamp,
    updated_at: timestamp,
    name: { type: 'string', required: true, unique: true, check: checkUpstreamName },
    algorithm: { type: 'string', default: 'round-robin', oneOf: UPSTREAM_ALGORITHMS },
    hash_on: hashOn,
    hash_fallback: hashOn,
    hash_on_header: headerName,
    hash_fallback_header: headerName,
    hash_on_cookie: { type: 'string', check: checkCookieName },
    hash_on_cookie_path: { type: 'string', default: '/', check: checkPath },
    hash_on_query_arg: { type: 'string' },
    hash_fallback_query_arg: { type: 'string' },
    hash_on_uri_capture: { type: 'string' },
    hash_fallback_uri_capture: { type: 'string' },
    slots: { type: 'integer', default: 10000, between: [10, 2 ** 16] },
    healthchecks: healthchecksDef,
    tags,
    host_header: { type: 'string', check: checkHostWithOptionalPort },
    client_certificate: { type: 'foreign', reference: 'certificates' },
    use_srv_name: { type: 'boolean', default: false },
    // Archway extension (not in Kong): see upstream-health.ts
    circuit_breaker: circuitBreakerDef,
  },
  check: checkUpstream,
};
