// WebSocket (and other Upgrade) requests. node:http hands an upgrade request to the 'upgrade' event
// with the raw socket instead of a ServerResponse; here it gets a ServerResponse bound to that socket,
// so the proxy's normal path (route match, https-only check, plugins' rewrite and access phases, Kong's
// error bodies) answers it unchanged. A websocket request is then dispatched with undici's `upgrade`:
// a 101 from the upstream is relayed and both sockets are piped; any other answer is relayed as a
// normal response (the connection closes after it). As Kong does, only `Upgrade: websocket` is
// upgraded; another token (h2c...) is served as a plain HTTP/1.1 request.
import { ServerResponse, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '@archway/telemetry';
import type { Dispatcher } from 'undici';
import type { PluginRun } from './plugin-run';
import { ProxyExchange } from './proxy-exchange';
import type { Upstream } from './runtime-config';
import { VIA_TOKEN } from './upstream-headers';
import { noteUpgraded } from './response-metrics';
import { RESPONSE_HEADERS } from './response-headers-setting';

const kUpgrade = Symbol('archway.upgrade');

interface UpgradeState {
  socket: Duplex;
  /** bytes the client sent after the request head (already read off the socket) */
  head: Buffer;
}

type UpgradeRequest = IncomingMessage & { [kUpgrade]?: UpgradeState };

function isWebSocket(req: IncomingMessage): boolean {
  const upgrade = req.headers.upgrade;
  return upgrade !== undefined && upgrade.trim().toLowerCase() === 'websocket';
}

/** The upgrade state when `req` is a websocket handshake the proxy must upgrade; undefined otherwise. */
export function webSocketOf(req: IncomingMessage): UpgradeState | undefined {
  return (req as UpgradeRequest)[kUpgrade];
}

/**
 * A ServerResponse writing to the upgrade request's raw socket; the connection closes once it is sent.
 * Returns null when the request cannot be served (a non-websocket upgrade with a body, whose bytes the
 * HTTP parser has given up on): the socket is then answered 400 and closed here.
 */
export function upgradeResponse(req: IncomingMessage, socket: Duplex, head: Buffer): ServerResponse | null {
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Parameters<ServerResponse['assignSocket']>[0]);
  res.once('finish', () => socket.end());
  socket.on('error', () => socket.destroy());
  if (isWebSocket(req)) (req as UpgradeRequest)[kUpgrade] = { socket, head };
  else if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) return null;
  return res;
}

/**
 * `HTTP/1.1 101` plus the upstream's headers (Upgrade, Connection, Sec-WebSocket-*), Via, and the
 * balancer's hash cookie when it generated one (hash_on cookie).
 */
function switchingProtocolsHead(headers: IncomingHttpHeaders, requestId: string, setCookie: string | null): string {
  let head = 'HTTP/1.1 101 Switching Protocols\r\n';
  for (const name in headers) {
    if (name === 'via') continue;
    const value = headers[name];
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) head += `${name}: ${v}\r\n`;
  }
  const via = headers.via;
  const upstreamVia = via === undefined ? null : Array.isArray(via) ? via.join(', ') : via;
  // ARCHWAY_HEADERS decides whether Via gains the gateway's token and whether the request id is sent
  if (RESPONSE_HEADERS.via) head += `via: ${upstreamVia !== null ? `${upstreamVia}, ` : ''}${VIA_TOKEN}\r\n`;
  else if (upstreamVia !== null) head += `via: ${upstreamVia}\r\n`;
  if (RESPONSE_HEADERS.requestId) head += `x-archway-request-id: ${requestId}\r\n`;
  if (setCookie !== null) head += `set-cookie: ${setCookie}\r\n`;
  return `${head}\r\n`;
}

/** ProxyExchange for a websocket handshake: everything but a 101 is relayed as ProxyExchange does. */
export class WebSocketExchange extends ProxyExchange {
  #upgraded = false;
  /** when the attempt in progress was sent (each retry restarts it) */
  #sentAt = 0;
  readonly #client: UpgradeState;

  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    upstream: Upstream,
    options: Dispatcher.DispatchOptions,
    requestId: string,
    startedAt: number,
    logger: Logger,
    plugins: PluginRun | null,
    client: UpgradeState,
  ) {
    // undici writes `Connection: upgrade` and `Upgrade: websocket` itself (the client's were hop-by-hop)
    super(req, res, upstream, { ...options, upgrade: 'websocket', body: null }, requestId, startedAt, logger, plugins);
    this.#client = client;
  }

  override start(): void {
    this.#sentAt = performance.now();
    super.start();
  }

  override clientGone(): void {
    if (!this.#upgraded) super.clientGone();
  }

  onRequestUpgrade(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, upstream: Duplex): void {
    this.#upgraded = true;
    const { socket, head } = this.#client;
    // a balanced service: the peer answered (passive health, circuit breaker, latency learn it); it
    // stays counted as in flight (least-connections) for as long as the tunnel is open, as in Kong,
    // whose balancer releases a websocket's peer only when the connection ends
    const pick = this.pick;
    pick?.responded(statusCode, performance.now() - this.#sentAt);
    if (socket.destroyed) {
      upstream.destroy();
      pick?.done(false);
      return;
    }
    this.logger.debug('websocket upgraded', { request_id: this.requestId, upstream: this.upstream.origin, status: statusCode });
    noteUpgraded(this.res, statusCode);
    socket.write(switchingProtocolsHead(headers, this.requestId, pick?.setCookie ?? null));
    if (head.length > 0) upstream.write(head);
    // nginx's proxy_read_timeout: a websocket idle that long in both directions is closed
    const idle = this.upstream.bodyTimeout;
    if (idle > 0) (upstream as Socket).setTimeout(idle, () => upstream.destroy());
    let open = true;
    const closeBoth = () => {
      if (!open) return;
      open = false;
      socket.destroy();
      upstream.destroy();
      pick?.done(false);
      // as nginx, whose log phase runs when the upgraded connection ends: one record with status 101
      // and the bytes the tunnel sent to the client (the response object itself never 'finish'es)
      this.res.statusCode = statusCode;
      this.plugins?.log();
    };
    upstream.on('error', closeBoth).on('close', closeBoth);
    socket.on('error', closeBoth).on('close', closeBoth);
    // nginx ends the tunnel once either side closed and what it sent was passed on: the pipe ends
    // the other side (a FIN), and its 'finish' closes both, so no half-open pair lingers until the
    // idle timeout (both servers allow half-open sockets, so neither would close on its own)
    upstream.on('finish', closeBoth);
    socket.on('finish', closeBoth);
    upstream.pipe(socket);
    socket.pipe(upstream);
  }
}
