// Recording a request's metrics when its response closes. The proxy tags the response with its route's
// precompiled series and start time, the exchange with the upstream's latency; the proxy's shared
// 'close' listener then makes one call here. No closures, no string building, no keyed lookups.
import type { ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { ProxyMetrics } from './proxy-metrics';
import type { RouteSeries } from './route-metrics';

const kSeries = Symbol('archway.metrics.series');
const kStartedAt = Symbol('archway.metrics.startedAt');
const kUpstreamMs = Symbol('archway.metrics.upstreamMs');
const kUpgraded = Symbol('archway.metrics.upgraded');
const kSocket = Symbol('archway.metrics.socket');
const kRead = Symbol('archway.metrics.bytesRead');
const kWritten = Symbol('archway.metrics.bytesWritten');

interface MeteredResponse extends ServerResponse {
  [kSeries]?: RouteSeries;
  [kStartedAt]?: number;
  [kUpstreamMs]?: number;
  [kUpgraded]?: number;
  [kSocket]?: MeteredSocket | null;
}

/** a connection's byte counters at the end of its previous response */
interface MeteredSocket {
  bytesRead: number;
  bytesWritten: number;
  [kRead]?: number;
  [kWritten]?: number;
}

// An HTTP/2 request's `socket` is a Proxy onto its session's connection that stops answering once the
// stream has closed, before the response's 'close' event. Read through that Proxy while the stream is
// open, this getter hands over the connection itself (for HTTP/1 it is the socket already).
const kConnection = Symbol('archway.metrics.connection');
Object.defineProperty(Socket.prototype, kConnection, {
  get(this: Socket) {
    return this;
  },
});

/** nginx's status for a request whose client went away before the response head was sent */
const CLIENT_CLOSED = 499;

/** The router matched: the request is counted under its route, its latency measured from `startedAt`. */
export function meterRoute(res: ServerResponse, series: RouteSeries, startedAt: number): void {
  const m = res as MeteredResponse;
  m[kSeries] = series;
  m[kStartedAt] = startedAt;
  // held now: undici unsets req.socket when it is done streaming the request body upstream
  const req = res.req;
  m[kSocket] = (req.httpVersionMajor === 2 ? (req.socket as unknown as Record<symbol, MeteredSocket>)[kConnection] : req.socket) as MeteredSocket | null;
}

/** The upstream's response head arrived `ms` after the request was sent (Kong's upstream latency). */
export function noteUpstreamLatency(res: ServerResponse, ms: number): void {
  (res as MeteredResponse)[kUpstreamMs] = ms;
}

/** The connection was upgraded (websocket 101): the response object itself never sends a head. */
export function noteUpgraded(res: ServerResponse, status: number): void {
  (res as MeteredResponse)[kUpgraded] = status;
}

/** The metrics of the process serving `res` (plugin failures are counted there); null before a route matched. */
export function metricsOf(res: ServerResponse | null): ProxyMetrics | null {
  return (res as MeteredResponse | null)?.[kSeries]?.metrics ?? null;
}

/**
 * The response closed (sent, or the client went away). Bandwidth is what the connection read and wrote
 * since its previous response ended, so every byte on a keep-alive connection is counted once.
 */
export function recordResponse(res: ServerResponse, unmatched: RouteSeries): void {
  const m = res as MeteredResponse;
  const series = m[kSeries] ?? unmatched;
  let bytesIn = 0;
  let bytesOut = 0;
  // requests no route matched were not tagged: their HTTP/1 socket is still on the request (HTTP/2: not counted)
  const socket = m[kSocket] ?? (res.req?.httpVersionMajor === 2 ? null : (res.req?.socket as unknown as MeteredSocket | null | undefined));
  if (socket) {
    const read = socket.bytesRead;
    const written = socket.bytesWritten;
    bytesIn = read - (socket[kRead] ?? 0);
    bytesOut = written - (socket[kWritten] ?? 0);
    socket[kRead] = read;
    socket[kWritten] = written;
  }
  const startedAt = m[kStartedAt];
  const totalMs = startedAt === undefined ? -1 : performance.now() - startedAt;
  const upgraded = m[kUpgraded];
  if (upgraded !== undefined) return series.recordUpgraded(upgraded, totalMs, bytesIn, bytesOut);
  series.record(res.headersSent ? res.statusCode : CLIENT_CLOSED, totalMs, m[kUpstreamMs] ?? -1, bytesIn, bytesOut);
}
