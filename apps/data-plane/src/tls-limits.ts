// The downstream limits (downstream-limits.ts) on the TLS listener, which the plain listener gets from
// node:http's options. HTTP/1.1 over TLS is node:http's parser inside the HTTP/2 server: it reads the
// same limits from the server object, and node starts its timeout checker on 'listening', which this
// server (fed sockets by the front listener) never emits by itself. HTTP/2 has no such parser, so the
// same settings are enforced per session and per stream here, as nginx does for HTTP/2:
// - header size: a request whose header list is larger gets 431;
// - client_header_timeout: a session must send its first request within the headers timeout;
// - keepalive_timeout: a session with no request in flight is closed (GOAWAY) after the keep-alive timeout;
//   a client trickling an unfinished header block is in neither, and is closed the same way;
// - request timeout: a request body not complete in time gets 408 (or, once answering, a reset).
import type { ServerResponse } from 'node:http';
import type { Http2SecureServer, Http2ServerRequest, Http2ServerResponse, ServerHttp2Session, ServerHttp2Stream } from 'node:http2';
import { DEFAULT_LIMITS, answerRequestTimeout, serverOptions, type DownstreamLimits } from './downstream-limits';
import { sendGatewayError } from './gateway-response';
import { newRequestId } from './request-id';

export function resolveLimits(limits: Partial<DownstreamLimits> = {}): DownstreamLimits {
  return { ...DEFAULT_LIMITS, ...limits };
}

/** HTTP/1.1 over TLS: node:http's limits, read from the server object (setting them before any connection). */
export function applyHttp1Limits(server: Http2SecureServer, limits: DownstreamLimits): void {
  const o = serverOptions(limits);
  Object.assign(server, {
    maxHeaderSize: o.maxHeaderSize,
    headersTimeout: o.headersTimeout,
    requestTimeout: o.requestTimeout,
    keepAliveTimeout: o.keepAliveTimeout,
    connectionsCheckingInterval: o.connectionsCheckingInterval,
  });
  // node's http1-in-http2 tracks connections and checks their timeouts from 'listening' on
  server.emit('listening');
}

/** Stops node's HTTP/1.1 timeout checker (a close of the never-listening server does only that). */
export function stopHttp1Limits(server: Http2SecureServer): void {
  server.close(() => undefined);
}

const kTimer = Symbol('archway.h2Timer');
const kActive = Symbol('archway.h2Active');
const kSession = Symbol('archway.h2Session');
type TimedSession = ServerHttp2Session & { [kTimer]?: NodeJS.Timeout | null; [kActive]?: number };
type TimedRequest = Http2ServerRequest & { [kTimer]?: NodeJS.Timeout };
// node drops a stream's session reference when it is destroyed, before 'close': keep our own
type TrackedStream = ServerHttp2Stream & { [kSession]?: TimedSession };

function closeIdleSession(session: TimedSession): void {
  session[kTimer] = null;
  if (!session.closed && !session.destroyed) session.close();
}

function onStreamClose(this: TrackedStream): void {
  const session = this[kSession];
  if (session === undefined) return;
  const active = (session[kActive] ?? 1) - 1;
  session[kActive] = active;
  if (active === 0) H2_LIMITS.get(session)?.arm(session, false);
}

// shared listeners and timer callbacks (no per-request closures)
function clearRequestTimer(this: TimedRequest): void {
  const t = this[kTimer];
  if (t !== undefined) clearTimeout(t);
}
function requestTimedOut(req: TimedRequest, res: Http2ServerResponse): void {
  req[kTimer] = undefined;
  answerRequestTimeout(res as unknown as ServerResponse);
  // the client may still be sending its body: the stream ends once the answer is out (node sends
  // RST_STREAM NO_ERROR after the response's last frame, RFC 9113 8.1)
  if (!res.stream.closed) res.stream.close();
}

const H2_LIMITS = new WeakMap<ServerHttp2Session, Http2Limits>();

/** The limits on HTTP/2 sessions and streams of one listener. */
export class Http2Limits {
  readonly #limits: DownstreamLimits;

  constructor(limits: DownstreamLimits) {
    this.#limits = limits;
  }

  /** SETTINGS_MAX_HEADER_LIST_SIZE advertised to clients. */
  get settings(): { maxHeaderListSize: number } {
    return { maxHeaderListSize: this.#limits.maxHeaderSize };
  }

  /** A new session: it has the headers timeout to send its first request. */
  watch(session: TimedSession): void {
    H2_LIMITS.set(session, this);
    session[kActive] = 0;
    this.arm(session, true);
    session.on('stream', (stream: TrackedStream) => {
      session[kActive] = (session[kActive] ?? 0) + 1;
      const t = session[kTimer];
      if (t) clearTimeout(t);
      session[kTimer] = null;
      stream[kSession] = session;
      stream.once('close', onStreamClose);
    });
    session.once('close', () => {
      const t = session[kTimer];
      if (t) clearTimeout(t);
    });
  }

  /** Closes the session after the headers timeout (no request yet) or the keep-alive timeout (idle). */
  arm(session: TimedSession, first: boolean): void {
    const ms = first ? this.#limits.headersTimeoutMs : this.#limits.keepAliveTimeoutMs;
    if (ms <= 0 || session.closed || session.destroyed) return;
    const t = session[kTimer];
    if (t) clearTimeout(t);
    session[kTimer] = setTimeout(closeIdleSession, ms, session).unref();
  }

  /**
   * Checks one HTTP/2 request before it is served: false when it was answered here (431). A request
   * with a body gets the request timeout to send all of it.
   */
  admit(req: Http2ServerRequest, res: Http2ServerResponse): boolean {
    const raw = req.rawHeaders;
    let size = 0;
    for (let i = 0; i < raw.length; i++) size += raw[i].length + 2; // name: value\r\n, as HTTP/1.1 counts
    if (size > this.#limits.maxHeaderSize) {
      sendGatewayError(res as unknown as ServerResponse, 'headersTooLarge', newRequestId(), req.headers.accept, performance.now());
      return false;
    }
    const ms = this.#limits.requestTimeoutMs;
    if (ms > 0 && !req.stream.endAfterHeaders && !req.readableEnded) {
      (req as TimedRequest)[kTimer] = setTimeout(requestTimedOut, ms, req, res);
      req.once('end', clearRequestTimer);
      req.once('close', clearRequestTimer);
    }
    return true;
  }
}
