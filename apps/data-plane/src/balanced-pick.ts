// One balanced request's side of the balancer: the PickContext the balancer reads (a fixed-shape class,
// one per request, no closures), the peer of the attempt in progress, and the report/release calls in
// the order the balancer expects (report at most once per attempt, release exactly once).
import type { Outcome, Peer, PickContext } from '@archway/balancer';
import type { IncomingHttpHeaders } from 'node:http';
import type { Pool } from 'undici';
import type { ServiceBalancer } from './balancers';

export class BalancedPick implements PickContext {
  clientIp: string;
  consumerId: string | null = null;
  credentialId: string | null = null;
  headers: IncomingHttpHeaders;
  path: string;
  query: string;
  uriCaptures: Record<string, string> | null = null;
  tried: Set<Peer> | null = null;
  hashValue: string | null = null;
  setCookie: string | null = null;
  /** the peer of the attempt in progress (null between attempts) */
  peer: Peer | null = null;
  readonly service: ServiceBalancer;
  /** the route preserves the client's Host: peers do not get their own */
  readonly preserveHost: boolean;
  #reported = false;
  // reused for every report of this request: the balancer reads it synchronously
  readonly #outcome: Outcome = { ok: false, status: undefined, tcpError: false, timeout: false, latencyMs: 0 };

  constructor(service: ServiceBalancer, clientIp: string, headers: IncomingHttpHeaders, path: string, query: string, preserveHost: boolean) {
    this.service = service;
    this.clientIp = clientIp;
    this.headers = headers;
    this.path = path;
    this.query = query;
    this.preserveHost = preserveHost;
  }

  /**
   * Picks the next peer and points the upstream request's Host at it (`headers` is the flat list from
   * upstreamRequestHeaders, Host first). Null: no peer can take the request (503 noPeer).
   */
  next(headers: string[]): Pool | null {
    const peer = this.service.balancer.pick(this);
    if (peer === null) return null;
    this.peer = peer;
    this.#reported = false;
    const route = this.service.route(peer);
    if (!this.preserveHost && headers[0] === 'host') headers[1] = route.host;
    return route.pool;
  }

  /** The peer answered (any status): passive health, circuit breaker and latency learn it. */
  responded(status: number, latencyMs: number): void {
    this.#report(true, status, false, false, latencyMs);
  }

  /** The attempt failed before a response: a timeout, else a connection failure. */
  failed(timeout: boolean, latencyMs: number): void {
    this.#report(false, undefined, !timeout, timeout, latencyMs);
  }

  /** The attempt is over. `retrying`: the next pick avoids this peer while others are left. */
  done(retrying: boolean): void {
    const peer = this.peer;
    if (peer === null) return;
    this.peer = null;
    this.service.balancer.release(peer);
    if (retrying) (this.tried ??= new Set()).add(peer);
  }

  #report(ok: boolean, status: number | undefined, tcpError: boolean, timeout: boolean, latencyMs: number): void {
    if (this.peer === null || this.#reported) return;
    this.#reported = true;
    const o = this.#outcome;
    o.ok = ok;
    o.status = status;
    o.tcpError = tcpError;
    o.timeout = timeout;
    o.latencyMs = latencyMs;
    this.service.balancer.report(this.peer, o);
  }
}

/** Adds the balancer's generated hash cookie (hash_on cookie) to the client response's headers. */
export function addSetCookie(headers: Record<string, unknown>, cookie: string): void {
  const existing = headers['set-cookie'];
  if (existing === undefined) headers['set-cookie'] = cookie;
  else headers['set-cookie'] = Array.isArray(existing) ? [...(existing as string[]), cookie] : [String(existing), cookie];
}
