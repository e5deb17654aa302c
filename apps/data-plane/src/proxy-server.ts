// The proxy listener: route match, then hand the request to a ProxyExchange that streams it to the
// upstream with undici. Everything config-derived comes precomputed from the store's RuntimeConfig.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Server as NetServer, type AddressInfo, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '@archway/telemetry';
import type { Dispatcher } from 'undici';
import type { ConfigStore } from './config-store';
import { sendGatewayError } from './gateway-response';
import { answerRequestTimeout, clientErrorResponse, serverOptions, type DownstreamLimits } from './downstream-limits';
import { isTrustedPeer } from './trusted-ips';
import { PluginContext, type Chain } from '@archway/pipeline';
import type { RouteMatch } from '@archway/router';
import { PluginRun } from './plugin-run';
import { ProxyExchange } from './proxy-exchange';
import { BalancedPick } from './balanced-pick';
import type { Upstream } from './runtime-config';
import { newRequestId, tagRequestId } from './request-id';
import { clientAddress, upstreamRequestHeaders } from './upstream-headers';
import { copyHeaders } from './header-copy';
import { resolveUpstreamOverride } from './upstream-override';
import { sendHttpsRequired } from './https-redirect';
import { TlsListener } from './tls-listener';
import { meterRoute, recordResponse } from './response-metrics';
import { requestEnded, requestStarted } from './serving-load';
import type { RouteSeries } from './route-metrics';
import { upgradeResponse, webSocketOf, WebSocketExchange } from './websocket-proxy';

export interface ProxyServerOptions {
  host: string;
  port: number;
  store: ConfigStore;
  logger: Logger;
  /** the TLS listener (HTTPS + HTTP/2, certificates by SNI); absent: plain HTTP only */
  tls?: { host: string; port: number } | null;
  /** header size, request/headers/keep-alive timeouts (downstream-limits.ts; Kong's defaults when absent) */
  limits?: Partial<DownstreamLimits>;
}

export interface ProxyStats {
  total_requests: number;
  connections_active: number;
}

/** Whether the request carries a body to stream (a body-less GET must not go out chunked). */
function hasBody(req: IncomingMessage): boolean {
  const len = req.headers['content-length'];
  return (len !== undefined && len !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/** How long a draining proxy keeps idle keep-alive connections open for requests already sent on them. */
const DRAIN_SETTLE_MS = 100;
const netServerClose = NetServer.prototype.close;

const kCounters = Symbol('archway.counters');
interface Counters {
  inFlight: number;
  /** the metric series of requests no route matched */
  readonly unmatched: RouteSeries;
}
type CountedResponse = ServerResponse & { [kCounters]: Counters };

// shared listener (no per-request closure): `this` is the finished or aborted response
function onResponseDone(this: CountedResponse): void {
  const counters = this[kCounters];
  counters.inFlight--;
  requestEnded();
  recordResponse(this, counters.unmatched);
}

export class ProxyServer {
  readonly server: Server;
  #totalRequests = 0;
  #connections = 0;
  readonly #counters: Counters;
  #proxyPort = '0';
  #tlsPort = '0';
  readonly tls: TlsListener | null;
  /** client sockets of upgraded (websocket) connections: not HTTP connections any more, cut at close */
  readonly #upgraded = new Set<Duplex>();
  readonly #store: ConfigStore;
  readonly #logger: Logger;
  readonly #opts: ProxyServerOptions;
  /** set by close(): responses say `Connection: close` so keep-alive clients move elsewhere */
  #draining = false;

  constructor(opts: ProxyServerOptions) {
    this.#opts = opts;
    this.#store = opts.store;
    this.#logger = opts.logger;
    this.#counters = { inFlight: 0, unmatched: opts.store.metrics.unmatched };
    // header size, slow-client and keep-alive limits (Kong keeps idle client connections for 60 s)
    this.server = createServer(serverOptions(opts.limits), (req, res) => this.#onRequest(req, res));
    this.server.on('connection', (socket: Socket) => {
      this.#connections++;
      socket.once('close', () => this.#connections--);
    });
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => this.#onClientError(err, socket));
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#onUpgrade(req, socket, head));
    this.tls = opts.tls
      ? new TlsListener({
          ...opts.tls,
          store: opts.store,
          logger: opts.logger,
          limits: opts.limits,
          onRequest: (req, res) => this.#onRequest(req, res),
          onUpgrade: (req, socket, head) => this.#onUpgrade(req, socket, head),
          onClientError: (err, socket) => this.#onClientError(err, socket),
          onConnection: (socket) => {
            this.#connections++;
            socket.once('close', () => this.#connections--);
          },
        })
      : null;
  }

  /** Listens on the TLS address; resolves with the bound port. */
  async listenTls(): Promise<number> {
    if (!this.tls) throw new Error('no TLS listener configured');
    const port = await this.tls.listen();
    this.#tlsPort = String(port);
    return port;
  }

  /** Listens; resolves with the bound port (useful with port 0). */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.#opts.port, this.#opts.host, () => {
        this.server.off('error', reject);
        const port = (this.server.address() as AddressInfo).port;
        this.#proxyPort = String(port);
        resolve(port);
      });
    });
  }

  stats(): ProxyStats {
    return { total_requests: this.#totalRequests, connections_active: this.#connections };
  }

  /**
   * Stops accepting, lets in-flight requests finish for up to `graceMs`, then cuts what remains. From
   * now on responses say `Connection: close`; idle keep-alive connections are closed once requests
   * already on the wire have had DRAIN_SETTLE_MS to arrive (they are served, not cut).
   */
  async close(graceMs = 10_000): Promise<void> {
    this.#draining = true;
    // net.Server's close stops accepting without http's pre-close, which would cut idle keep-alive
    // connections at once and fail requests their clients sent just before the signal
    const closed = this.server.listening ? new Promise<void>((resolve) => netServerClose.call(this.server, () => resolve())) : null;
    const tlsClosed = this.tls?.listening ? this.tls.stopAccepting() : null;
    const deadline = Date.now() + graceMs;
    const settled = Date.now() + Math.min(graceMs, DRAIN_SETTLE_MS);
    while (Date.now() < deadline && (this.#counters.inFlight > 0 || Date.now() < settled)) {
      await new Promise((r) => setTimeout(r, 20));
      if (Date.now() >= settled) this.server.closeIdleConnections(); // connections whose last request finished
    }
    this.server.closeAllConnections();
    this.server.close(() => undefined); // http's own close now: stops its connection-checking timer
    this.tls?.destroyAll();
    for (const socket of this.#upgraded) socket.destroy();
    await closed;
    await tlsClosed;
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const startedAt = performance.now();
    this.#totalRequests++;
    this.#counters.inFlight++;
    requestStarted();
    (res as CountedResponse)[kCounters] = this.#counters;
    res.on('close', onResponseDone); // a response emits 'close' once: no once() wrapper
    if (this.#draining) res.shouldKeepAlive = false;
    const requestId = newRequestId();
    tagRequestId(res, requestId);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (path.charCodeAt(0) !== 47 /* / */) {
      sendGatewayError(res, 'badRequest', requestId, req.headers.accept, startedAt);
      return;
    }
    const rt = this.#store.runtime;
    const tls = (req.socket as TLSSocket).encrypted === true;
    const match = rt
      ? rt.router.match({
          method: req.method ?? 'GET',
          host: req.headers.host,
          path,
          headers: req.headers,
          scheme: tls ? 'https' : 'http',
          sni: tls ? (req.socket as TLSSocket).servername || undefined : undefined,
        })
      : null;
    if (!rt || !match) {
      sendGatewayError(res, 'noRoute', requestId, req.headers.accept, startedAt);
      return;
    }
    meterRoute(res, rt.routeMetrics.forRoute(match.route), startedAt);
    if (!tls && rt.tls.httpsOnly.size !== 0) {
      const redirect = rt.tls.httpsOnly.get(match.route.id);
      if (redirect !== undefined) return sendHttpsRequired(res, redirect, req.headers.host, url, requestId, startedAt);
    }
    const upstream = rt.upstreams.get(match.service.id);
    if (!upstream) {
      sendGatewayError(res, 'unavailable', requestId, req.headers.accept, startedAt);
      return;
    }
    const chain = rt.chains.forRoute(match.route, match.service);
    if (!chain.empty) {
      void this.#proxyWithPlugins(req, res, match, upstream, chain, requestId, startedAt, path, q === -1 ? '' : url.slice(q + 1));
      return;
    }
    const clientIp = clientAddress(req);
    const headers = upstreamRequestHeaders(req.headers, {
      host: match.route.preserve_host && req.headers.host ? req.headers.host : upstream.hostHeader,
      clientIp,
      trusted: isTrustedPeer(clientIp),
      proxyPort: tls ? this.#tlsPort : this.#proxyPort,
      path,
      requestId,
      proto: tls ? 'https' : 'http',
    });
    const options: Dispatcher.DispatchOptions = {
      method: req.method as Dispatcher.HttpMethod,
      path: q === -1 ? match.upstreamPath : match.upstreamPath + url.slice(q),
      headers,
      body: hasBody(req) ? req : null,
      headersTimeout: upstream.headersTimeout,
      bodyTimeout: upstream.bodyTimeout,
    };
    const ws = webSocketOf(req);
    const exchange = ws
      ? new WebSocketExchange(req, res, upstream, options, requestId, startedAt, this.#logger, null, ws)
      : new ProxyExchange(req, res, upstream, options, requestId, startedAt, this.#logger);
    if (upstream.balancer !== null) {
      const preserveHost = match.route.preserve_host && req.headers.host !== undefined;
      exchange.pick = new BalancedPick(upstream.balancer, clientAddress(req), req.headers, path, q === -1 ? '' : url.slice(q + 1), preserveHost);
    }
    exchange.start();
  }

  /** The route has plugins: run their request phases, then proxy what they left of the request. */
  #proxyWithPlugins(
    req: IncomingMessage,
    res: ServerResponse,
    match: RouteMatch,
    upstream: Upstream,
    chain: Chain,
    requestId: string,
    startedAt: number,
    path: string,
    query: string,
  ): void {
    const ctx = new PluginContext({
      requestId,
      method: req.method ?? 'GET',
      clientIp: clientAddress(req),
      route: match.route,
      service: match.service,
      path: match.upstreamPath,
      query,
      headers: copyHeaders(req.headers),
      startedAt,
    });
    const run = new PluginRun(chain, ctx, this.#logger);
    run.logAfter(res);
    // synchronous unless a plugin returned a promise (or the body is read first): no microtask per request
    const proceed = run.requestPhases(req, res);
    if (proceed === true) this.#proxyPlugged(req, res, match, upstream, run, path);
    else if (proceed !== false) void proceed.then((go) => go && this.#proxyPlugged(req, res, match, upstream, run, path));
  }

  /** The request phases let the request through: proxy it as the plugins left it. */
  #proxyPlugged(req: IncomingMessage, res: ServerResponse, match: RouteMatch, upstream: Upstream, run: PluginRun, path: string): void {
    const ctx = run.ctx;
    const { requestId, startedAt } = ctx;
    const tls = (req.socket as TLSSocket).encrypted === true;
    if (ctx.upstreamOverride !== null) {
      // a plugin chose another target (canary); resolved against the live runtime, whose pools are open
      const target = resolveUpstreamOverride(this.#store.runtime, upstream, match.service, ctx.upstreamOverride);
      if (!target) {
        sendGatewayError(res, 'unavailable', requestId, req.headers.accept, startedAt);
        return;
      }
      upstream = target;
      if (ctx.upstreamOverride.path !== undefined) ctx.path = ctx.upstreamOverride.path;
    }
    const headers = ctx.headers as IncomingHttpHeaders;
    if (ctx.body !== null) {
      // a plugin read (and may have rewritten) the body: send what it holds
      delete headers['transfer-encoding'];
      headers['content-length'] = String(ctx.body.length);
    }
    const options: Dispatcher.DispatchOptions = {
      method: ctx.method as Dispatcher.HttpMethod,
      path: ctx.query ? `${ctx.path}?${ctx.query}` : ctx.path,
      headers: upstreamRequestHeaders(headers, {
        host: match.route.preserve_host && req.headers.host ? req.headers.host : upstream.hostHeader,
        clientIp: ctx.clientIp,
        trusted: isTrustedPeer(clientAddress(req)), // the direct peer, whatever a plugin set as client ip
        proxyPort: tls ? this.#tlsPort : this.#proxyPort,
        path,
        requestId,
        proto: tls ? 'https' : 'http',
      }),
      body: ctx.body ?? (hasBody(req) ? req : null),
      headersTimeout: upstream.headersTimeout,
      bodyTimeout: upstream.bodyTimeout,
    };
    const ws = webSocketOf(req);
    const exchange = ws
      ? new WebSocketExchange(req, res, upstream, options, requestId, startedAt, this.#logger, run, ws)
      : new ProxyExchange(req, res, upstream, options, requestId, startedAt, this.#logger, run);
    if (upstream.balancer !== null) {
      const preserveHost = match.route.preserve_host && req.headers.host !== undefined;
      const pick = new BalancedPick(upstream.balancer, ctx.clientIp, headers, path, ctx.query, preserveHost);
      // hash_on consumer: the consumer the access phase identified, else its credential (Kong's fallback)
      pick.consumerId = ctx.consumer?.id ?? null;
      pick.credentialId = ctx.credential?.id ?? null;
      exchange.pick = pick;
    }
    exchange.start();
  }

  /** An Upgrade request: served through #onRequest on a response bound to the raw socket (websocket-proxy.ts). */
  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.#upgraded.add(socket);
    socket.once('close', () => this.#upgraded.delete(socket));
    const res = upgradeResponse(req, socket, head);
    if (res) this.#onRequest(req, res);
    else socket.end(clientErrorResponse(undefined));
  }

  #onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
    // a response already under way on this socket cannot be replaced by a raw one
    const busy = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
    // a routed request whose body stalled: its 408 goes through its response (Accept, request id)
    if (busy && err.code === 'ERR_HTTP_REQUEST_TIMEOUT' && socket.writable) return answerRequestTimeout(busy);
    if (err.code === 'ECONNRESET' || !socket.writable || busy) {
      socket.destroy();
      return;
    }
    this.#logger.debug('malformed request rejected', { code: err.code, err });
    socket.end(clientErrorResponse(err.code));
  }
}
