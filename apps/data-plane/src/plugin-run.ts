// One request through a route's plugin chain: request phases before proxying (rendering an exit if a
// plugin answers), then the response phases the ProxyExchange calls (header filter, body filter), and
// the log phase once the response is sent. Only requests whose route has plugins come here.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { PROXY_ERRORS, type ProxyErrorName } from '@archway/schema';
import type { Peer } from '@archway/balancer';
import { PluginContext, runBodyFilter, runHeaderFilterEager, runLog, runRequestPhasesEager, type Chain, type ExitResponse, PluginError, type UpstreamTry } from '@archway/pipeline';
import type { Logger } from '@archway/telemetry';
import { sendError, sendExit, sendGatewayError } from './gateway-response';
import { metricsOf } from './response-metrics';
import { copyHeaders } from './header-copy';
import { responseClosed } from './response-closed';

/** The most a plugin may make the gateway buffer of a request body (request-size-limiting guards more). */
const MAX_BUFFERED_BODY = 16 * 1024 * 1024;
const BODY_TOO_LARGE = 'ARCHWAY_BODY_TOO_LARGE';
const DIGITS = /^\s*\d+\s*$/;

function bodyTooLarge(): Error {
  return Object.assign(new Error('request body too large to buffer'), { code: BODY_TOO_LARGE });
}

/**
 * Buffers the request body; rejects (code ARCHWAY_BODY_TOO_LARGE) once it passes `limit`. What the
 * client still sends then is read and dropped rather than left unread (closing a socket with unread
 * bytes resets the connection, and the client could lose the 413 it is sent), and node reads the
 * rest of it after the response.
 */
export function readBody(req: IncomingMessage, limit = MAX_BUFFERED_BODY): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.off('data', onData).off('end', onEnd);
        chunks.length = 0;
        reject(bodyTooLarge());
        return;
      }
      chunks.push(c);
    };
    const onEnd = () => resolve(Buffer.concat(chunks));
    req.on('data', onData).on('end', onEnd).on('error', reject);
  });
}

function isEmpty(headers: object): boolean {
  for (const _ in headers) return false;
  return true;
}

/** nginx's $request_length: request line, header lines and body (the body as announced or buffered). */
function requestLength(req: IncomingMessage, body: Buffer | null): number {
  let n = (req.method?.length ?? 0) + (req.url?.length ?? 0) + 13; // 'M U HTTP/1.1\r\n' + final CRLF
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) n += raw[i].length + raw[i + 1].length + 4;
  return n + (body ? body.length : Number(req.headers['content-length'] ?? 0) || 0);
}

/** 'http://host:port' -> host and port, for the log record's tries. */
function parseOrigin(origin: string): { ip: string; port: number } {
  const colon = origin.lastIndexOf(':');
  const host = origin.slice(origin.indexOf('//') + 2, colon);
  return { ip: host.startsWith('[') ? host.slice(1, -1) : host, port: Number(origin.slice(colon + 1)) };
}

/** origins seen (a handful per config: services and balanced peers), parsed once; starts over when large */
const ORIGINS = new Map<string, { ip: string; port: number }>();
const MAX_ORIGINS = 1024;

function originParts(origin: string): { ip: string; port: number } {
  let parts = ORIGINS.get(origin);
  if (parts === undefined) {
    if (ORIGINS.size >= MAX_ORIGINS) ORIGINS.clear();
    parts = parseOrigin(origin);
    ORIGINS.set(origin, parts);
  }
  return parts;
}

const kRun = Symbol('archway.pluginRun');
type RunResponse = ServerResponse & { [kRun]?: PluginRun };

// shared 'finish' listener (no per-request closure): `this` is the response, which carries its run
function onResponseFinish(this: RunResponse): void {
  this[kRun]?.log();
}

export class PluginRun {
  chain: Chain;
  /** the client's request and response, for what the log phase reports (sizes, TLS, final status) */
  #req: IncomingMessage | null = null;
  #res: ServerResponse | null = null;
  #socket: Socket | null = null;
  #bytesBefore = 0;

  constructor(
    chain: Chain,
    readonly ctx: PluginContext,
    readonly logger: Logger,
  ) {
    this.chain = chain;
  }

  /** The log phase runs once `res` has been sent (nothing to do when no log plugin can run). */
  logAfter(res: ServerResponse): void {
    if (!this.chain.mayLog) return;
    (res as RunResponse)[kRun] = this;
    res.on('finish', onResponseFinish); // emitted once per response: no once() wrapper needed
  }

  /** The response body must be collected for a body filter (asked after the header filter ran). */
  get buffersResponse(): boolean {
    const steps = this.chain.bodyFilter;
    if (steps === null) return false;
    for (const s of steps) if (s.handler.needsResponseBody?.(s.state, this.ctx) ?? true) return true;
    return false;
  }

  /**
   * rewrite + access. Returns false when the request was answered here (exit, or a plugin failure);
   * synchronously unless a plugin returned a promise or the body must be read first.
   */
  requestPhases(req: IncomingMessage, res: ServerResponse): boolean | Promise<boolean> {
    const ctx = this.ctx;
    if (this.chain.mayLog) {
      // for the log phase; keep-alive connections count bytes across requests, so a response's size is a difference
      this.#req = req;
      this.#res = res;
      this.#socket = res.socket;
      this.#bytesBefore = res.socket?.bytesWritten ?? 0;
    }
    ctx.requestUri = req.url ?? '/';
    if (this.chain.readsRequestBody && (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) && this.#readsBody())
      return this.#afterBody(req, res);
    let chain: Chain | Promise<Chain>;
    try {
      chain = runRequestPhasesEager(this.chain, ctx);
    } catch (err) {
      this.#counted(err);
      this.#fail(res, err);
      return false;
    }
    if (chain instanceof Promise) return this.#afterPhases(chain, req, res);
    this.chain = chain;
    return this.#exit(req, res);
  }

  /** A plugin needs the body in access: buffer it (413 past the limit), then run the phases. */
  async #afterBody(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const ctx = this.ctx;
    try {
      const length = req.headers['content-length'];
      // an announced length over the buffer is refused before any of the body is read (nginx's client_max_body_size)
      if (length !== undefined && DIGITS.test(length) && Number(length) > MAX_BUFFERED_BODY) throw bodyTooLarge();
      ctx.body = await readBody(req);
      this.chain = await runRequestPhasesEager(this.chain, ctx);
    } catch (err) {
      // the client left before its body was in (nginx's 499, counted as such): no one to answer
      if (responseClosed(res)) return false;
      if ((err as { code?: unknown }).code === BODY_TOO_LARGE) {
        // 413, and nothing of the request goes upstream
        sendGatewayError(res, 'requestTooLarge', ctx.requestId, req.headers.accept, ctx.startedAt);
        return false;
      }
      this.#counted(err);
      this.#fail(res, err);
      return false;
    }
    return this.#exit(req, res);
  }

  async #afterPhases(pending: Promise<Chain>, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    try {
      this.chain = await pending;
    } catch (err) {
      this.#counted(err);
      this.#fail(res, err);
      return false;
    }
    return this.#exit(req, res);
  }

  /** True to proxy; false when a plugin exited: its answer went out (after the response phases, as Kong's kong.response.exit). */
  #exit(req: IncomingMessage, res: ServerResponse): boolean | Promise<boolean> {
    const exit = this.ctx.exitResponse;
    if (!exit) return true;
    let headers: OutgoingHttpHeaders | Promise<OutgoingHttpHeaders>;
    try {
      headers = this.headerFilter(exit.status, copyHeaders(exit.headers));
    } catch (err) {
      this.#fail(res, err);
      return false;
    }
    if (!(headers instanceof Promise)) {
      this.#sendExit(req, res, headers);
      return false;
    }
    return headers.then(
      (h) => {
        this.#sendExit(req, res, h);
        return false;
      },
      (err: unknown) => {
        this.#fail(res, err);
        return false;
      },
    );
  }

  #sendExit(req: IncomingMessage, res: ServerResponse, headers: OutgoingHttpHeaders): void {
    const ctx = this.ctx;
    const exit = ctx.exitResponse as ExitResponse;
    const extra = headers as Record<string, string>;
    if (exit.error) sendError(res, exit.status, (exit.body as { message: string }).message, ctx.requestId, req.headers.accept, ctx.startedAt, extra);
    else sendExit(res, exit.status, exit.body, extra, ctx.requestId, ctx.startedAt);
  }

  /** Whether a plugin needs this request's body buffered (asked per request: e.g. only a chunked one). */
  #readsBody(): boolean {
    const steps = this.chain.access;
    if (steps === null) return false;
    for (const s of steps) if (s.handler.readsRequestBody?.(s.state, this.ctx)) return true;
    return false;
  }

  /**
   * header filter over the response about to be sent; returns the headers to send, synchronously
   * unless a plugin returned a promise. A plugin failing synchronously throws its PluginError.
   */
  headerFilter(status: number, headers: OutgoingHttpHeaders): OutgoingHttpHeaders | Promise<OutgoingHttpHeaders> {
    const ctx = this.ctx;
    ctx.status = status;
    // the response's headers become the context's (a copy only when a plugin already put some there)
    if (isEmpty(ctx.responseHeaders)) ctx.responseHeaders = headers as PluginContext['responseHeaders'];
    else Object.assign(ctx.responseHeaders, headers);
    let pending: Promise<void> | undefined;
    try {
      pending = runHeaderFilterEager(this.chain, ctx);
    } catch (err) {
      this.#counted(err); // the caller logs it and answers 500
      throw err;
    }
    if (pending === undefined) return ctx.responseHeaders as OutgoingHttpHeaders;
    return pending.then(
      () => ctx.responseHeaders as OutgoingHttpHeaders,
      (err: unknown) => {
        this.#counted(err);
        throw err;
      },
    );
  }

  async bodyFilter(body: Buffer): Promise<Buffer> {
    try {
      return await runBodyFilter(this.chain, this.ctx, body);
    } catch (err) {
      this.#counted(err); // the caller logs it and answers 500
      throw err;
    }
  }

  /**
   * The ProxyExchange starts an attempt (Kong's balancer tries): to `peer` when the service is balanced,
   * else to the service's `origin`. `startedAt` (performance.now()) is when the balancer began to pick.
   */
  upstreamTry(origin: string, peer: Peer | null, startedAt: number): void {
    // the tries are the log record's: not collected when no log plugin will run (the chain is final here)
    if (this.chain.log === null) return;
    const ctx = this.ctx;
    const pickNs = Math.round((performance.now() - startedAt) * 1e6);
    const startMs = performance.timeOrigin + startedAt;
    const target = peer !== null ? { ip: peer.host, port: peer.port } : originParts(origin);
    const entry: UpstreamTry = {
      ip: target.ip,
      port: target.port,
      balancer_start: Math.round(startMs),
      balancer_start_ns: Math.round(startMs * 1e6),
      balancer_latency: Math.round(pickNs / 1e6),
      balancer_latency_ns: pickNs,
    };
    if (ctx.tries) ctx.tries.push(entry);
    else ctx.tries = [entry];
  }

  /** The attempt failed; the gateway answers (or retries) as for `name`. */
  upstreamFailed(name: ProxyErrorName): void {
    const last = this.ctx.tries?.[this.ctx.tries.length - 1];
    if (!last) return;
    last.state = 'failed';
    last.code = PROXY_ERRORS[name].status;
  }

  /** The upstream's response head arrived `latencyMs` after the request was sent. */
  upstreamAnswered(status: number, latencyMs: number): void {
    this.ctx.upstreamStatus = status;
    this.ctx.upstreamLatencyMs = latencyMs;
  }

  /** What log plugins read about the exchange as a whole, known only once the response is sent. */
  #noteDownstream(): void {
    const ctx = this.ctx;
    const req = this.#req;
    const res = this.#res;
    if (!req || !res) return;
    const socket = this.#socket;
    ctx.status = res.statusCode;
    ctx.httpVersion = req.httpVersion;
    ctx.serverPort = socket?.localPort ?? 0;
    ctx.requestSize = requestLength(req, ctx.body);
    ctx.responseSize = socket ? socket.bytesWritten - this.#bytesBefore : 0;
    const tls = socket as TLSSocket | null;
    if (tls?.encrypted) {
      ctx.scheme = 'https';
      ctx.tls = { version: tls.getProtocol() ?? '', cipher: tls.getCipher()?.standardName ?? '', client_verify: tls.authorized ? 'SUCCESS' : 'NONE' };
    }
  }

  /** After the response went out; failures are logged, never surface to the client. */
  log(): void {
    if (!this.chain.log) return;
    this.#noteDownstream();
    void runLog(this.chain, this.ctx, (err) => {
      this.#counted(err);
      this.logger.error('plugin failed in log phase', { request_id: this.ctx.requestId, plugin: err.plugin, err });
    });
  }

  /** A plugin's exception counts in archway_plugin_errors_total (a body too large to buffer is no plugin's). */
  #counted(err: unknown): void {
    if (err instanceof PluginError) metricsOf(this.#res)?.pluginError(err.plugin, err.phase);
  }

  /** A plugin threw: 500 with the request id; the error is logged (the proxy keeps serving). */
  #fail(res: ServerResponse, err: unknown): void {
    const e = err as PluginError;
    this.logger.error('plugin failed', { request_id: this.ctx.requestId, plugin: e.plugin, phase: e.phase, err });
    if (res.headersSent) res.destroy();
    else sendGatewayError(res, 'internal', this.ctx.requestId, this.ctx.header('accept'), this.ctx.startedAt);
  }
}


