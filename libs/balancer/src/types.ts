// The balancer's public contracts: what the proxy passes in per request, what it reports back, and the
// injected edges (clock, DNS resolver, health probe, logger) that keep the library pure and testable.
import type { IncomingHttpHeaders } from 'node:http';
import type { Peer } from './peer';

/**
 * What `pick` reads from a request. One object per request (a fixed-shape class in the proxy); the
 * balancer writes `hashValue` and `setCookie` back on the first pick so retries reuse them.
 */
export interface PickContext {
  clientIp: string;
  /** the authenticated consumer's id (hash_on consumer), else null */
  consumerId: string | null;
  /** the authenticated credential's id, Kong's fallback when there is no consumer */
  credentialId: string | null;
  /** lower-cased request headers as node gives them (`cookie` included) */
  headers: IncomingHttpHeaders;
  /** normalised request path (hash_on path) */
  path: string;
  /** raw query string without '?' (hash_on query_arg) */
  query: string;
  /** the route's regex captures (hash_on uri_capture), named and numbered */
  uriCaptures: Record<string, string> | null;
  /** peers already tried by this request: a retry moves to another target while one is left */
  tried: Set<Peer> | null;
  /** out: the consistent-hashing value, computed on the first pick and reused on retries */
  hashValue: string | null;
  /** out: a `Set-Cookie` value the proxy must add to the response (hash_on cookie, cookie was missing) */
  setCookie: string | null;
}

/** The result of one attempt against a peer, as the proxy saw it. */
export interface Outcome {
  /** an HTTP response was received (any status) */
  ok: boolean;
  status?: number;
  /** connection refused/reset or a TLS failure before a response */
  tcpError?: boolean;
  /** connect, write or read timeout */
  timeout?: boolean;
  /** time to the response (or to the failure), for the latency algorithm */
  latencyMs?: number;
}

/** Time and timers, injected so specs drive them by hand. `now()` is milliseconds. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface AddressRecord {
  address: string;
  /** seconds */
  ttl: number;
}

export interface SrvRecord {
  /** the host the record points to (a name or an ip) */
  name: string;
  port: number;
  priority: number;
  weight: number;
}

/**
 * DNS lookups the balancer needs. A failure rejects with an Error whose `code` is `ENOTFOUND` or
 * `ENODATA` when the name or the record type does not exist (the next record type is tried), anything
 * else when the server could not answer.
 */
export interface Resolver {
  resolve4(name: string): Promise<AddressRecord[]>;
  resolve6(name: string): Promise<AddressRecord[]>;
  /** SRV answers carry no TTL in node's API: the resolver returns the one it knows (or a default) */
  resolveSrv(name: string): Promise<{ records: SrvRecord[]; ttl: number }>;
}

export type ProbeType = 'tcp' | 'http' | 'https' | 'grpc' | 'grpcs';

/** One active health check request, built from the upstream's `healthchecks.active`. */
export interface ProbeRequest {
  type: ProbeType;
  /** the peer's ip (ipv6 without brackets) */
  host: string;
  port: number;
  /** Host header / SNI default: the upstream's host_header, else the target's name */
  hostHeader: string;
  path: string;
  timeoutMs: number;
  headers: Record<string, string[]>;
  sni: string | null;
  verifyCertificate: boolean;
}

/** `connected`: a tcp/grpc probe whose connection opened (a success whatever the status lists say) */
export type ProbeResult = { status: number } | { connected: true } | { tcpError: true } | { timeout: true };

/** Runs one probe; must resolve (never reject) with the classification of what happened. */
export type Probe = (req: ProbeRequest) => Promise<ProbeResult>;

/** The subset of @archway/telemetry's Logger the balancer uses (the lib may not import telemetry). */
export interface BalancerLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
}

export type CircuitState = 'closed' | 'open' | 'half_open';

interface PeerEvent {
  upstream: string;
  target: string;
  /** `ip:port` of the peer */
  address: string;
}

export interface CircuitChange extends PeerEvent {
  from: CircuitState;
  to: CircuitState;
}

export interface HealthChange extends PeerEvent {
  healthy: boolean;
  /**
   * what decided it; `node`: another process of the same data-plane node decided it, and this
   * balancer adopted it (adoptHealth)
   */
  source: 'passive' | 'active' | 'manual' | 'node';
}

/** One address's health, as processes of one data-plane node share it (peerHealth / adoptHealth). */
export interface PeerHealth {
  /** the target as configured (`host:port`) */
  target: string;
  /** `ip:port` of the peer */
  address: string;
  healthy: boolean;
}

export type HealthLabel = 'HEALTHY' | 'UNHEALTHY' | 'HEALTHCHECKS_OFF' | 'DNS_ERROR';
