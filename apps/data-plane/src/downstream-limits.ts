// Limits on what clients send (Kong/nginx: large_client_header_buffers, client_header_timeout,
// keepalive_timeout): node's server options computed once at start, and the raw answers to requests
// node's parser refuses before any handler runs (400 malformed, 408 too slow, 431 headers too large).
import type { ServerOptions, ServerResponse } from 'node:http';
import { PROXY_ERRORS } from '@archway/schema';
import { SERVER_HEADER, sendGatewayError } from './gateway-response';
import { abandonExchange } from './proxy-exchange';
import { newRequestId, requestIdOf } from './request-id';
import { RESPONSE_HEADERS } from './response-headers-setting';

export interface DownstreamLimits {
  /** request line + headers, bytes */
  maxHeaderSize: number;
  /** slow-client protection: the headers must have arrived this long after the request began */
  headersTimeoutMs: number;
  /** the whole request must have arrived by then; 0 = no limit */
  requestTimeoutMs: number;
  /** idle keep-alive connections are closed after this */
  keepAliveTimeoutMs: number;
}

/** Kong's defaults (nginx's 60 s timeouts, 4 x 8k header buffers) and node's 300 s request timeout. */
export const DEFAULT_LIMITS: Readonly<DownstreamLimits> = Object.freeze({
  maxHeaderSize: 32 * 1024,
  headersTimeoutMs: 60_000,
  requestTimeoutMs: 300_000,
  keepAliveTimeoutMs: 60_000,
});

/** node:http server options for the limits. */
export function serverOptions(limits: Partial<DownstreamLimits> = {}): ServerOptions {
  const l = { ...DEFAULT_LIMITS, ...limits };
  // node refuses a headers timeout above the request timeout; the request timeout bounds it anyway
  const headersTimeout = l.requestTimeoutMs > 0 ? Math.min(l.headersTimeoutMs, l.requestTimeoutMs) : l.headersTimeoutMs;
  const shortest = l.requestTimeoutMs > 0 ? Math.min(headersTimeout, l.requestTimeoutMs) : headersTimeout;
  return {
    maxHeaderSize: l.maxHeaderSize,
    headersTimeout,
    requestTimeout: l.requestTimeoutMs,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    // node checks both timeouts on this interval (default 30 s): make it a fraction of the shortest, at most 1 s
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(shortest / 4))),
  };
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

function clientErrorOf(code: string | undefined): { status: number; message: string } {
  if (code === 'HPE_HEADER_OVERFLOW') return PROXY_ERRORS.headersTooLarge;
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return PROXY_ERRORS.requestTimeout;
  return PROXY_ERRORS.badRequest;
}

/**
 * The request on `res` did not arrive in time (its body stalled past the request timeout): Kong's 408
 * in the format its Accept header asks for, with its request id, and the connection closes. The
 * upstream exchange, if one started, is dropped (the client's fault, not the upstream's); a response
 * already under way can only be cut.
 */
export function answerRequestTimeout(res: ServerResponse): void {
  abandonExchange(res);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.shouldKeepAlive = false;
  sendGatewayError(res, 'requestTimeout', requestIdOf(res) ?? newRequestId(), res.req.headers.accept, performance.now());
}

/** The raw response for a request node's parser rejected (no ServerResponse exists); the connection closes after it. */
export function clientErrorResponse(code: string | undefined): string {
  const { status, message } = clientErrorOf(code);
  const id = newRequestId();
  const body = `{\n  "message":"${message}",\n  "request_id":"${id}"\n}`;
  return (
    `HTTP/1.1 ${status} ${REASONS[status]}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\n` +
    (RESPONSE_HEADERS.server ? `Server: ${SERVER_HEADER}\r\n` : '') +
    (RESPONSE_HEADERS.requestId ? `X-Archway-Request-Id: ${id}\r\n` : '') +
    `\r\n${body}`
  );
}

/** The limits the settings ask for. */
export function limitsOf(settings: {
  maxHeaderSize: number;
  clientHeaderTimeoutMs: number;
  requestTimeoutMs: number;
  keepaliveTimeoutMs: number;
}): DownstreamLimits {
  return {
    maxHeaderSize: settings.maxHeaderSize,
    headersTimeoutMs: settings.clientHeaderTimeoutMs,
    requestTimeoutMs: settings.requestTimeoutMs,
    keepAliveTimeoutMs: settings.keepaliveTimeoutMs,
  };
}
