// Responses the gateway itself generates (no route, bad gateway, timeout...): Kong's bodies and
// templates (kong/tools/http.lua), in the format the client's Accept header asks for; JSON by default.
import type { ServerResponse } from 'node:http';
import { PROXY_ERRORS, type ProxyErrorName } from '@archway/schema';
import { ARCHWAY_VERSION } from '@archway/config';
import { RESPONSE_HEADERS } from './response-headers-setting';
import { copyHeaders } from './header-copy';

type Format = 'json' | 'html' | 'xml' | 'text';

const CONTENT_TYPES: Record<Format, string> = {
  json: 'application/json; charset=utf-8',
  html: 'text/html; charset=utf-8',
  xml: 'application/xml; charset=utf-8',
  text: 'text/plain; charset=utf-8',
};

const TEMPLATES: Record<Format, (message: string, id: string) => string> = {
  json: (m, id) => `{\n  "message":${JSON.stringify(m)},\n  "request_id":"${id}"\n}`,
  html: (m, id) =>
    `<!doctype html>\n<html>\n  <head>\n    <meta charset="utf-8">\n    <title>Error</title>\n  </head>\n  <body>\n    <h1>Error</h1>\n    <p>${m}.</p>\n    <p>request_id: ${id}</p>\n  </body>\n</html>\n`,
  xml: (m, id) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<error>\n  <message>${m}</message>\n  <requestid>${id}</requestid>\n</error>\n`,
  text: (m, id) => `${m}\nrequest_id: ${id}\n`,
};

/** Kong's media type table: exact types, `type/*` by family, anything else the default (JSON). */
const MEDIA: Record<string, Format> = {
  'application/json': 'json',
  'text/html': 'html',
  'application/xml': 'xml',
  'text/plain': 'text',
  'application/*': 'json',
  'text/*': 'text',
};

const ACCEPT_ITEM = /^\s*([a-z0-9][a-z0-9!#$&^_+.-]*|\*)\/([a-z0-9][a-z0-9!#$&^_+.-]*|\*)\s*((?:;[^;]*)*)$/i;
const Q_PARAM = /;\s*q\s*=\s*([01](?:\.\d{0,3})?)\s*(?:;|$)/i;

/** Kong's get_response_type: the first media range with the highest q decides. */
export function responseFormat(accept: string | undefined): Format {
  if (!accept) return 'json';
  let format: Format = 'json';
  let best = 0;
  for (const item of accept.split(',')) {
    const m = ACCEPT_ITEM.exec(item);
    if (!m) continue;
    const q = Q_PARAM.exec(m[3]);
    const quality = q ? Number(q[1]) : 1;
    if (quality > best) {
      best = quality;
      format = MEDIA[`${m[1]}/${m[2]}`.toLowerCase()] ?? 'json';
    }
  }
  return format;
}

// Accept headers repeat a lot (browsers, SDKs): remember the answer for the common ones
const formatCache = new Map<string, Format>();
function cachedFormat(accept: string | undefined): Format {
  if (!accept) return 'json';
  let f = formatCache.get(accept);
  if (f === undefined) {
    f = responseFormat(accept);
    if (formatCache.size < 512) formatCache.set(accept, f);
  }
  return f;
}

export const SERVER_HEADER = `archway/${ARCHWAY_VERSION}`;

/** Server, X-Archway-Response-Latency and X-Archway-Request-Id, as far as ARCHWAY_HEADERS keeps them. */
function addGatewayHeaders(out: Record<string, string | number>, requestId: string, startedAt: number): void {
  if (RESPONSE_HEADERS.server) out.Server = SERVER_HEADER;
  if (RESPONSE_HEADERS.responseLatency) out['X-Archway-Response-Latency'] = String(Math.round(performance.now() - startedAt));
  if (RESPONSE_HEADERS.requestId) out['X-Archway-Request-Id'] = requestId;
}

/** Sends a gateway-generated error; `startedAt` is performance.now() when the request arrived. */
export function sendGatewayError(
  res: ServerResponse,
  name: ProxyErrorName,
  requestId: string,
  accept: string | undefined,
  startedAt: number,
): void {
  if (res.headersSent) {
    // a response is already on its way: the only honest signal left is cutting the connection
    res.destroy();
    return;
  }
  const { status, message } = PROXY_ERRORS[name];
  sendError(res, status, message, requestId, accept, startedAt, null);
}

/** Any gateway error (a plugin's kong.response.error too): Kong's body in the Accept format, plus extra headers. */
export function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  requestId: string,
  accept: string | undefined,
  startedAt: number,
  extraHeaders: Record<string, string> | null,
): void {
  const format = cachedFormat(accept);
  const body = TEMPLATES[format](message, requestId);
  const out: Record<string, string | number> = copyHeaders(extraHeaders);
  out['Content-Type'] = CONTENT_TYPES[format];
  out['Content-Length'] = Buffer.byteLength(body);
  addGatewayHeaders(out, requestId, startedAt);
  res.writeHead(status, out);
  res.end(body);
}

/**
 * A plugin's `exit` (Kong's kong.response.exit): a table body becomes JSON, a string is sent as is;
 * the plugin's headers win over the defaults.
 */
export function sendExit(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> | null,
  requestId: string,
  startedAt: number,
): void {
  const isText = typeof body === 'string' || Buffer.isBuffer(body);
  const payload = body === null || body === undefined ? '' : isText ? body : JSON.stringify(body);
  const out: Record<string, string | number> = {};
  addGatewayHeaders(out, requestId, startedAt);
  if (payload !== '' && !isText) out['Content-Type'] = 'application/json; charset=utf-8';
  Object.assign(out, headers);
  out['Content-Length'] = Buffer.byteLength(payload as string | Buffer);
  res.writeHead(status, out);
  res.end(payload);
}
