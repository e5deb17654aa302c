// One proxied request: the undici dispatch handler for it (one object per request, methods on the
// prototype, no per-request closures), retries (nginx's proxy_next_upstream error), client aborts, and error mapping.
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { ProxyErrorName } from '@archway/schema';
import type { Logger } from '@archway/telemetry';
import type { Dispatcher } from 'undici';
import { addSetCookie, type BalancedPick } from './balanced-pick';
import { sendGatewayError } from './gateway-response';
import type { PluginRun } from './plugin-run';
import type { Upstream } from './runtime-config';
import { noteUpstreamLatency } from './response-metrics';
import { clientResponseHeaderList, clientResponseHeaders } from './upstream-headers';
import { copyHeaders } from './header-copy';
import { responseClosed } from './response-closed';

/** Errors that mean "could not reach the upstream": safe to retry while no byte of the request was sent. */
const CONNECT_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/**
 * Methods nginx sends to the next try only when told to (`proxy_next_upstream non_idempotent`), which
 * Kong does not: once such a request went out, a failure is the client's 502.
 */
const NON_IDEMPOTENT = new Set(['POST', 'LOCK', 'PATCH']);

/** undici / socket error code -> Kong's gateway error (PROXY_ERRORS). Anything else is a 502. */
const ERROR_RESPONSES: Record<string, ProxyErrorName> = {
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  ETIMEDOUT: 'timeout',
  ENOTFOUND: 'nameResolutionFailed',
  EAI_AGAIN: 'nameResolutionFailed',
  EAI_NONAME: 'nameResolutionFailed',
  UND_ERR_CLOSED: 'unavailable',
  UND_ERR_DESTROYED: 'unavailable',
};

/** PluginError's code (@archway/pipeline): the exchange was aborted because a plugin threw. */
const PLUGIN_FAILED = 'ARCHWAY_PLUGIN_FAILED';

export function errorCode(err: unknown): string {
  const e = err as { code?: unknown; errors?: { code?: unknown }[] };
  if (typeof e?.code === 'string') return e.code;
  // happy-eyeballs connects fail with an AggregateError holding one error per address
  const first = e?.errors?.[0]?.code;
  return typeof first === 'string' ? first : '';
}

export class ClientAbortedError extends Error {
  readonly code = 'ARCHWAY_CLIENT_ABORTED';
  constructor() {
    super('the client closed the connection before the response was complete');
  }
}

const kExchange = Symbol('archway.exchange');
type TaggedResponse = ServerResponse & { [kExchange]?: ProxyExchange };

// Shared listeners: `this` is the response, which carries its exchange until the exchange is over
// (then they do nothing: a response lives for one request, so they are never removed)
function onResponseDrain(this: TaggedResponse): void {
  this[kExchange]?.controller?.resume();
}
function onResponseClose(this: TaggedResponse): void {
  const ex = this[kExchange];
  if (ex && !this.writableFinished) ex.clientGone();
}

/**
 * The client is being answered by someone else (a 408 for a request body that stalled): the exchange
 * proxying to `res`, if any, stops as if the client had gone (no upstream health penalty, no 502).
 */
export function abandonExchange(res: ServerResponse): void {
  (res as TaggedResponse)[kExchange]?.clientGone();
}

function hasAny(headers: IncomingHttpHeaders): boolean {
  for (const _ in headers) return true;
  return false;
}

export class ProxyExchange implements Dispatcher.DispatchHandler {
  controller: Dispatcher.DispatchController | null = null;
  #requestStarted = false;
  /** the upstream answered (a status line past 1xx): from here on nothing is tried again */
  #responseStarted = false;
  #clientGone = false;
  #attempts = 0;
  #sentAt = 0;
  /** with plugins: response chunks held until the header filter ran (or, with a body filter, until the end) */
  #held: Buffer[] | null = null;
  #head: { status: number; message: string | undefined; headers: OutgoingHttpHeaders } | null = null;
  /** the upstream response has ended */
  #ended = false;
  /** trailers the upstream sent after a chunked body, relayed at the end */
  #trailers: IncomingHttpHeaders | null = null;
  /** balanced services (upstream.balancer), set before start(): each attempt goes to the peer this picks */
  pick: BalancedPick | null = null;
  /** the client's response is listened to for 'drain' (from the first write it could not take) */
  #drainHooked = false;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly upstream: Upstream,
    readonly options: Dispatcher.DispatchOptions,
    readonly requestId: string,
    readonly startedAt: number,
    readonly logger: Logger,
    readonly plugins: PluginRun | null = null,
  ) {
    (res as TaggedResponse)[kExchange] = this;
    res.on('close', onResponseClose);
    // the client left while a plugin's request phase awaited: its 'close' has been and gone
    if (responseClosed(res)) this.#clientGone = true;
  }

  start(): void {
    if (this.#clientGone) {
      // nginx drops the upstream request of a client that went away (proxy_ignore_client_abort off)
      // and logs a 499: here nothing was sent yet, so nothing is
      this.#detach();
      return;
    }
    this.#sentAt = performance.now();
    let pool = this.upstream.pool;
    if (this.pick !== null) {
      pool = this.pick.next(this.options.headers as string[]);
      if (pool === null) {
        this.#detach();
        sendGatewayError(this.res, 'noPeer', this.requestId, this.req.headers.accept, this.startedAt);
        return;
      }
    }
    // the log record's tries name the address tried: the picked peer's on a balanced service
    this.plugins?.upstreamTry(this.upstream.origin, this.pick?.peer ?? null, this.#sentAt);
    try {
      if (pool === null) throw Object.assign(new Error('balanced service without a peer picker'), { code: 'UND_ERR_CLOSED' });
      pool.dispatch(this.options, this);
    } catch (err) {
      this.onResponseError(null, err as Error);
    }
  }

  clientGone(): void {
    if (this.#clientGone) return;
    this.#clientGone = true;
    this.controller?.abort(new ClientAbortedError());
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    // from here on undici may consume the request body, so a failure can no longer be retried
    this.#requestStarted = true;
    if (this.#clientGone) controller.abort(new ClientAbortedError());
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
    statusMessage?: string,
  ): void {
    if (statusCode < 200) return; // informational (103 Early Hints...): not relayed
    this.#responseStarted = true;
    const now = performance.now();
    noteUpstreamLatency(this.res, now - this.#sentAt);
    if (this.plugins === null && this.pick === null) {
      // nothing reads these headers before they go out: a flat list for writeHead
      const trailer = headers.trailer !== undefined && this.#chunkedReply(statusCode);
      const list = clientResponseHeaderList(headers, this.requestId, Math.round(now - this.#sentAt), Math.round(this.#sentAt - this.startedAt), trailer);
      this.#writeHead(controller, statusCode, statusMessage, list);
      return;
    }
    this.plugins?.upstreamAnswered(statusCode, Math.round(now - this.#sentAt));
    const out = clientResponseHeaders(
      headers,
      this.requestId,
      Math.round(now - this.#sentAt),
      Math.round(this.#sentAt - this.startedAt),
    );
    if (this.pick !== null) {
      this.pick.responded(statusCode, now - this.#sentAt);
      if (this.pick.setCookie !== null) addSetCookie(out, this.pick.setCookie);
    }
    // Trailer announces trailers; node refuses it (throws) on a response it will not send chunked
    if (headers.trailer !== undefined && out['content-length'] === undefined && this.#chunkedReply(statusCode))
      out.trailer = headers.trailer;
    if (this.plugins) return this.#pluginHead(controller, statusCode, statusMessage, out);
    this.#writeHead(controller, statusCode, statusMessage, out);
  }

  /** The upstream's reason phrase, relayed over HTTP/1.x only (HTTP/2 has none: node warns when given one). */
  #statusMessage(message: string | undefined): string | undefined {
    return message && this.req.httpVersionMajor < 2 ? message : undefined;
  }

  #writeHead(controller: Dispatcher.DispatchController, status: number, message: string | undefined, headers: OutgoingHttpHeaders | (string | string[])[]): boolean {
    try {
      this.res.writeHead(status, this.#statusMessage(message), headers);
      return true;
    } catch (err) {
      // an upstream header node refuses to send (invalid characters): the response is unusable
      this.logger.warn('upstream response headers rejected', { request_id: this.requestId, err });
      controller.abort(err as Error);
      return false;
    }
  }

  /**
   * Plugins see the response headers first. Synchronous plugins answer at once; when one returns a
   * promise, data waits (paused) until they are done.
   */
  #pluginHead(controller: Dispatcher.DispatchController, status: number, message: string | undefined, out: OutgoingHttpHeaders): void {
    const plugins = this.plugins as PluginRun;
    let filtered: OutgoingHttpHeaders | Promise<OutgoingHttpHeaders>;
    try {
      filtered = plugins.headerFilter(status, out);
    } catch (err) {
      this.#headerFilterFailed(controller, err);
      return;
    }
    if (!(filtered instanceof Promise)) {
      this.#headerFiltered(controller, status, message, filtered, false);
      return;
    }
    this.#held = [];
    controller.pause();
    filtered.then(
      (headers) => this.#headerFiltered(controller, status, message, headers, true),
      (err: unknown) => this.#headerFilterFailed(controller, err),
    );
  }

  /** The header filter ran: send the head (or keep it for the end, when a body filter needs the body). */
  #headerFiltered(controller: Dispatcher.DispatchController, status: number, message: string | undefined, headers: OutgoingHttpHeaders, paused: boolean): void {
    if ((this.plugins as PluginRun).buffersResponse) {
      // sent at the end, once the body filter has produced the final body
      this.#head = { status, message, headers };
      this.#held ??= [];
      if (this.#ended) this.#finish();
      else if (paused) controller.resume();
      return;
    }
    if (!this.#writeHead(controller, status, message, headers)) return;
    const held = this.#held;
    this.#held = null;
    if (held !== null) for (const chunk of held) this.res.write(chunk);
    if (this.#ended) this.#finish();
    else if (paused) controller.resume();
  }

  #headerFilterFailed(controller: Dispatcher.DispatchController, err: unknown): void {
    this.logger.error('plugin failed in header filter', { request_id: this.requestId, err });
    controller.abort(err as Error);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#held) this.#held.push(chunk);
    else if (!this.res.write(chunk)) {
      // the client reads slower than the upstream sends: wait for it
      controller.pause();
      if (!this.#drainHooked) {
        this.#drainHooked = true;
        this.res.on('drain', onResponseDrain);
      }
    }
  }

  onResponseEnd(_controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    this.#ended = true;
    if (trailers !== undefined && hasAny(trailers)) this.#trailers = trailers;
    if (this.#held && !this.#head) return; // the header filter is still running; it finishes
    this.#finish();
  }

  #finish(): void {
    const head = this.#head;
    if (!head) {
      if (this.#trailers !== null) this.#relayTrailers(this.#trailers);
      this.res.end();
      this.#detach();
      return;
    }
    const plugins = this.plugins as PluginRun;
    const body = Buffer.concat(this.#held ?? []);
    this.#held = null;
    plugins.bodyFilter(body).then(
      (out) => {
        const headers = copyHeaders(head.headers);
        headers['content-length'] = out.length;
        delete headers['transfer-encoding'];
        this.res.writeHead(head.status, this.#statusMessage(head.message), headers);
        this.res.end(out);
        this.#detach();
      },
      (err: unknown) => {
        this.#detach();
        this.logger.error('plugin failed in body filter', { request_id: this.requestId, err });
        sendGatewayError(this.res, 'internal', this.requestId, this.req.headers.accept, this.startedAt);
      },
    );
  }

  /** Whether node will send the client's response chunked: HTTP/1.1 or later, a body allowed. */
  #chunkedReply(status: number): boolean {
    return this.req.httpVersion !== '1.0' && this.req.method !== 'HEAD' && status !== 204 && status !== 304;
  }

  /** Upstream trailers go out after the last chunk (node drops them when the reply is not chunked). */
  #relayTrailers(trailers: IncomingHttpHeaders): void {
    try {
      this.res.addTrailers(trailers as OutgoingHttpHeaders);
    } catch (err) {
      this.logger.warn('upstream response trailers rejected', { request_id: this.requestId, err });
    }
  }

  onResponseError(_controller: Dispatcher.DispatchController | null, err: Error): void {
    if (this.#clientGone) {
      this.#detach();
      return;
    }
    const code = errorCode(err);
    if (code === PLUGIN_FAILED) {
      // a header filter threw (and was logged): the upstream answered fine, so no 502 and no health penalty
      this.#detach();
      sendGatewayError(this.res, 'internal', this.requestId, this.req.headers.accept, this.startedAt);
      return;
    }
    this.plugins?.upstreamFailed(ERROR_RESPONSES[code] ?? 'badGateway');
    // passive health and the circuit breaker count the failure (a no-op once the peer had answered)
    this.pick?.failed(ERROR_RESPONSES[code] === 'timeout', performance.now() - this.#sentAt);
    if (this.#retryable(code)) {
      this.#attempts++;
      this.#requestStarted = false;
      this.pick?.done(true); // the retry goes to another peer while one is left
      this.start();
      return;
    }
    const name = ERROR_RESPONSES[code] ?? 'badGateway';
    this.logger.error('upstream request failed', {
      request_id: this.requestId,
      upstream: this.upstream.origin,
      peer: this.pick?.peer?.address,
      tries: this.#attempts + 1,
      err,
    });
    this.#detach();
    sendGatewayError(this.res, name, this.requestId, this.req.headers.accept, this.startedAt);
  }

  /**
   * Whether a failure with `code` goes to the next try (service.retries of them), as nginx's
   * `proxy_next_upstream error` does: a connection error before any byte of the request went out; or
   * after it, when the upstream did not answer at all (a keep-alive connection it closed as the request
   * arrived: "other side closed"), the method is idempotent and the body can be sent again (none, or
   * held in memory; a streamed body is gone).
   */
  #retryable(code: string): boolean {
    if (!CONNECT_ERRORS.has(code) || this.#attempts >= this.upstream.retries) return false;
    if (!this.#requestStarted) return true;
    const body = this.options.body;
    return !this.#responseStarted && !NON_IDEMPOTENT.has(this.options.method) && (body == null || Buffer.isBuffer(body) || typeof body === 'string');
  }

  #detach(): void {
    this.pick?.done(false); // the balancer's in-flight count (least-connections) drops
    (this.res as TaggedResponse)[kExchange] = undefined;
  }
}
