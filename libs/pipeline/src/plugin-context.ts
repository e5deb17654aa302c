// The request as plugins see it: one fixed-shape object per request (all fields set in the
// constructor), created only when a route has plugins. Plugins read and change the request here; the
// proxy applies the result (upstream headers, path, query) and honours `exit`.
import type { Route, Service } from '@archway/schema';

export interface ConsumerRef {
  id: string;
  username: string | null;
  custom_id: string | null;
}

export interface CredentialRef {
  id: string;
  /** what X-Credential-Identifier shows (the key's id, the basic-auth username, the jwt key) */
  identifier: string;
}

export interface ExitResponse {
  status: number;
  body: unknown;
  headers: Record<string, string> | null;
  /** an error (kong.response.error): rendered like the gateway's own errors, with request_id, by Accept */
  error: boolean;
}

/**
 * Where to send the request instead of the route's service (canary, external routing decisions):
 * another service by id (its whole upstream), or a host/port/scheme (missing parts come from the
 * route's service); `path` replaces the upstream path. The data plane resolves it after access.
 */
export interface UpstreamOverride {
  readonly serviceId?: string;
  readonly host?: string;
  readonly port?: number;
  readonly scheme?: 'http' | 'https';
  readonly path?: string;
}

/** One attempt to reach the upstream (Kong's balancer_data.tries entry, as log records carry it). */
export interface UpstreamTry {
  /** the address tried: the balanced target's ip, else the service's host */
  ip: string;
  port: number;
  /** epoch milliseconds when the attempt started */
  balancer_start: number;
  /** the same in epoch nanoseconds (a float, as Kong's time_ns) */
  balancer_start_ns: number;
  /** milliseconds spent choosing the target */
  balancer_latency: number;
  balancer_latency_ns: number;
  /** 'failed' with the status Kong would answer when the attempt did not get a response */
  state?: 'failed';
  code?: number;
}

/** The client connection's TLS details (Kong's request.tls), null for plain HTTP. */
export interface DownstreamTls {
  version: string;
  cipher: string;
  client_verify: string;
}

export class PluginContext {
  readonly requestId: string;
  /** the request method; plugins may change what the upstream gets (request-transformer's http_method) */
  method: string;
  readonly clientIp: string;
  readonly route: Route | null;
  readonly service: Service | null;
  /** request path (no query) as the upstream will get it; plugins may rewrite it */
  path: string;
  /** raw query string without `?` ('' when none) */
  query: string;
  /** request headers, lower-case names; plugins change them through the methods below */
  readonly headers: Record<string, string | string[] | undefined>;
  consumer: ConsumerRef | null = null;
  credential: CredentialRef | null = null;
  /** groups the consumer belongs to (acl), for X-Consumer-Groups */
  groups: string[] | null = null;
  /** the anonymous consumer was used (X-Anonymous-Consumer) */
  anonymous = false;
  /** set by `exit`: the gateway answers with this instead of proxying */
  exitResponse: ExitResponse | null = null;
  /**
   * response status and headers, available from headerFilter on (the data plane hands over the
   * response's header object here rather than copying it)
   */
  status = 0;
  responseHeaders: Record<string, string | string[] | number | undefined> = {};
  #shared: Map<string, unknown> | null = null;
  /** the buffered request body, when a plugin asked for it */
  body: Buffer | null = null;
  /** when the request arrived (performance.now()) */
  readonly startedAt: number;
  /** set by `routeTo`: proxy to this target instead of the route's service (null: the service) */
  upstreamOverride: UpstreamOverride | null = null;
  // What the log phase reads (Kong's serialize inputs), filled in by the data plane as it learns them.
  /** the request target as the client sent it (path and query; Kong's request_uri) */
  requestUri = '';
  /** 'https' when the client connection is TLS */
  scheme = 'http';
  /** the client's HTTP version ('1.1', '2.0'; Kong's http.flavor) */
  httpVersion = '1.1';
  /** the listener's port the request arrived on */
  serverPort = 0;
  tls: DownstreamTls | null = null;
  /** bytes of the request (head and body) as received */
  requestSize = 0;
  /** bytes sent to the client (head and body) */
  responseSize = 0;
  /** the upstream's status (0: no upstream answer) */
  upstreamStatus = 0;
  /** ms from sending the request upstream to its response head (Kong's KONG_WAITING_TIME; -1: not proxied) */
  upstreamLatencyMs = -1;
  /** one entry per attempt to reach the upstream (null: not proxied) */
  tries: UpstreamTry[] | null = null;

  constructor(init: {
    requestId: string;
    method: string;
    clientIp: string;
    route: Route | null;
    service: Service | null;
    path: string;
    query: string;
    headers: Record<string, string | string[] | undefined>;
    startedAt: number;
  }) {
    this.requestId = init.requestId;
    this.method = init.method;
    this.clientIp = init.clientIp;
    this.route = init.route;
    this.service = init.service;
    this.path = init.path;
    this.query = init.query;
    this.headers = init.headers;
    this.startedAt = init.startedAt;
  }

  /** per-request values plugins share (Kong's kong.ctx.shared); made on first use */
  get shared(): Map<string, unknown> {
    return (this.#shared ??= new Map());
  }

  header(name: string): string | undefined {
    const v = this.headers[name.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  }

  setHeader(name: string, value: string): void {
    this.headers[name.toLowerCase()] = value;
  }

  removeHeader(name: string): void {
    const lower = name.toLowerCase();
    // deleting a key the object does not have still costs a runtime call
    if (Object.hasOwn(this.headers, lower)) delete this.headers[lower];
  }

  /** Ends the request with this response (Kong's kong.response.exit); later access plugins do not run. */
  exit(status: number, body?: unknown, headers?: Record<string, string>): void {
    this.exitResponse = { status, body: body ?? null, headers: headers ?? null, error: false };
  }

  /** Ends the request with a gateway error (Kong's kong.response.error): `{"message", "request_id"}`, by Accept. */
  error(status: number, message: string, headers?: Record<string, string>): void {
    this.exitResponse = { status, body: { message }, headers: headers ?? null, error: true };
  }

  /**
   * Sends the request to another target than the route's service (Kong's kong.service.set_target /
   * set_upstream). Pass an object built once in `configure` when it does not vary per request.
   */
  routeTo(target: UpstreamOverride): void {
    this.upstreamOverride = target;
  }

  /** Called by authentication plugins once they identified who is calling. */
  authenticate(consumer: ConsumerRef | null, credential: CredentialRef | null): void {
    this.consumer = consumer;
    this.credential = credential;
  }
}
