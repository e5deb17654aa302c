// Header rewriting between client and upstream (kong/runloop/handler.lua): hop-by-hop headers dropped,
// X-Real-IP / X-Forwarded-* set, Via appended. Lookup sets are built at module load, not per request.
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { ARCHWAY_VERSION } from '@archway/config';
import { RESPONSE_HEADERS } from './response-headers-setting';

export const VIA_TOKEN = `1.1 archway/${ARCHWAY_VERSION}`;

/** RFC 9110 hop-by-hop headers; any `proxy-*` header is dropped as well. */
const HOP_BY_HOP = ['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade'];

/** Dropped from the client's request: hop-by-hop, plus everything the gateway sets itself. */
const REQUEST_SKIP = new Set([
  ...HOP_BY_HOP,
  'host',
  'via',
  'expect', // node answers 100-continue itself; undici refuses to forward it
  'x-real-ip',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-path',
  'x-forwarded-prefix',
  'x-archway-request-id',
]);

const RESPONSE_SKIP = new Set([...HOP_BY_HOP, 'via']);

export interface ForwardContext {
  /** the Host header to send: the service's, or the client's when the route preserves it */
  host: string;
  /** client address as seen by the proxy */
  clientIp: string;
  /** the proxy listener's port, for X-Forwarded-Port */
  proxyPort: string;
  /** request path without the query, for X-Forwarded-Path */
  path: string;
  requestId: string;
  /** 'https' on the TLS listener; default 'http' */
  proto?: 'http' | 'https';
  /** the direct peer is in ARCHWAY_TRUSTED_IPS: its X-Forwarded-Proto/Host/Port/Path/Prefix are kept */
  trusted?: boolean;
}

/** HTTP/2 pseudo-headers (`:authority`, `:path`...): never forwarded, the upstream request is HTTP/1.1. */
function isPseudoHeader(name: string): boolean {
  return name.charCodeAt(0) === 58; /* : */
}

function isProxyHeader(name: string): boolean {
  return name.length > 6 && name.charCodeAt(5) === 45 /* - */ && name.startsWith('proxy-');
}

/** What nearly every Connection header says, answered without splitting (the sets are never changed). */
const KEEP_ALIVE_TOKENS: ReadonlySet<string> = new Set(['keep-alive']);
const CLOSE_TOKENS: ReadonlySet<string> = new Set(['close']);

/** Names listed in a Connection header are hop-by-hop for this message only. */
function connectionTokens(value: string | string[] | undefined): ReadonlySet<string> | null {
  if (value === undefined) return null;
  if (value === 'keep-alive' || value === 'Keep-Alive') return KEEP_ALIVE_TOKENS;
  if (value === 'close' || value === 'Close') return CLOSE_TOKENS;
  const tokens = new Set<string>();
  for (const part of (Array.isArray(value) ? value.join(',') : value).split(','))
    tokens.add(part.trim().toLowerCase());
  return tokens;
}

function joinValue(value: string | string[]): string {
  return Array.isArray(value) ? value.join(', ') : value;
}

const kClientAddress = Symbol('archway.clientAddress');
type AddressedSocket = IncomingMessage['socket'] & { [kClientAddress]?: string };

/**
 * ::ffff:10.0.0.1 (an IPv4 client on a dual-stack listener) -> 10.0.0.1, as nginx reports it. Worked
 * out once per connection: keep-alive requests read it from their socket.
 */
export function clientAddress(req: IncomingMessage): string {
  const socket = req.socket as AddressedSocket;
  let address = socket[kClientAddress];
  if (address === undefined) {
    const ip = socket.remoteAddress ?? '';
    address = ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
    socket[kClientAddress] = address;
  }
  return address;
}

/** Host without port, lower-cased: nginx's $host, which Kong sends as X-Forwarded-Host. */
function hostOnly(host: string): string {
  // consecutive requests mostly carry the same Host: the last answer is kept
  if (host === lastHost) return lastHostOnly;
  const end = host.startsWith('[') ? host.indexOf(']') + 1 : host.indexOf(':');
  lastHostOnly = (end > 0 ? host.slice(0, end) : host).toLowerCase();
  lastHost = host;
  return lastHostOnly;
}
let lastHost = '';
let lastHostOnly = '';

/** A client's X-Forwarded-* value, when the peer is trusted and sent one. */
function trustedValue(trusted: boolean, value: string | string[] | undefined): string | undefined {
  return trusted && value !== undefined ? joinValue(value) : undefined;
}

/** The upstream request's headers, as the flat [name, value, ...] list undici accepts. */
export function upstreamRequestHeaders(headers: IncomingHttpHeaders, ctx: ForwardContext): string[] {
  const named = connectionTokens(headers.connection);
  const out: string[] = ['host', ctx.host];
  for (const name in headers) {
    if (REQUEST_SKIP.has(name) || isProxyHeader(name) || isPseudoHeader(name) || (named !== null && named.has(name))) continue;
    const value = headers[name];
    if (value !== undefined) out.push(name, joinValue(value));
  }
  const xff = headers['x-forwarded-for'];
  const via = headers.via;
  // client-supplied X-Forwarded-Proto/Host/Port/Path/Prefix are kept only from ARCHWAY_TRUSTED_IPS
  // peers (Kong's trusted_ips, empty by default); X-Forwarded-For is appended to either way
  const trusted = ctx.trusted === true;
  out.push(
    'x-real-ip', ctx.clientIp,
    'x-forwarded-for', xff ? `${joinValue(xff)}, ${ctx.clientIp}` : ctx.clientIp,
    'x-forwarded-proto', trustedValue(trusted, headers['x-forwarded-proto']) ?? ctx.proto ?? 'http',
    'x-forwarded-host', trustedValue(trusted, headers['x-forwarded-host']) ?? hostOnly(headers.host ?? ctx.host),
    'x-forwarded-port', trustedValue(trusted, headers['x-forwarded-port']) ?? ctx.proxyPort,
    'x-forwarded-path', trustedValue(trusted, headers['x-forwarded-path']) ?? ctx.path,
    'via', via ? `${joinValue(via)}, ${VIA_TOKEN}` : VIA_TOKEN,
    'x-archway-request-id', ctx.requestId,
  );
  const prefix = trustedValue(trusted, headers['x-forwarded-prefix']);
  if (prefix !== undefined) out.push('x-forwarded-prefix', prefix);
  return out;
}

/** The client response's headers from the upstream's (undici lower-cases names and groups repeats). */
export function clientResponseHeaders(
  upstream: IncomingHttpHeaders,
  requestId: string,
  upstreamLatencyMs: number,
  proxyLatencyMs: number,
): OutgoingHttpHeaders {
  const named = connectionTokens(upstream.connection);
  const out: OutgoingHttpHeaders = {};
  for (const name in upstream) {
    if (RESPONSE_SKIP.has(name) || isProxyHeader(name) || (named !== null && named.has(name))) continue;
    out[name] = upstream[name];
  }
  // ARCHWAY_HEADERS decides which of these are sent; an upstream's own Via passes either way
  const via = upstream.via;
  if (RESPONSE_HEADERS.via) out.via = via ? `${joinValue(via)}, ${VIA_TOKEN}` : VIA_TOKEN;
  else if (via !== undefined) out.via = via;
  if (RESPONSE_HEADERS.upstreamLatency) out['x-archway-upstream-latency'] = String(upstreamLatencyMs);
  if (RESPONSE_HEADERS.proxyLatency) out['x-archway-proxy-latency'] = String(proxyLatencyMs);
  if (RESPONSE_HEADERS.requestId) out['x-archway-request-id'] = requestId;
  return out;
}

/**
 * clientResponseHeaders as the flat [name, value, ...] list node's writeHead also takes, for a
 * response no plugin reads: pushing to a list is cheaper than adding keys one by one to an object
 * node then walks again. `trailer`: the reply goes out chunked, so the upstream's Trailer header is
 * relayed (last) unless a Content-Length is sent.
 */
export function clientResponseHeaderList(
  upstream: IncomingHttpHeaders,
  requestId: string,
  upstreamLatencyMs: number,
  proxyLatencyMs: number,
  trailer: boolean,
): (string | string[])[] {
  const named = connectionTokens(upstream.connection);
  const out: (string | string[])[] = [];
  let length = false;
  for (const name in upstream) {
    if (RESPONSE_SKIP.has(name) || isProxyHeader(name) || (named !== null && named.has(name))) continue;
    if (name === 'content-length') length = true;
    out.push(name, upstream[name] as string | string[]);
  }
  const via = upstream.via;
  if (RESPONSE_HEADERS.via) out.push('via', via ? `${joinValue(via)}, ${VIA_TOKEN}` : VIA_TOKEN);
  else if (via !== undefined) out.push('via', via);
  if (RESPONSE_HEADERS.upstreamLatency) out.push('x-archway-upstream-latency', String(upstreamLatencyMs));
  if (RESPONSE_HEADERS.proxyLatency) out.push('x-archway-proxy-latency', String(proxyLatencyMs));
  if (RESPONSE_HEADERS.requestId) out.push('x-archway-request-id', requestId);
  if (trailer && !length && upstream.trailer !== undefined) out.push('trailer', upstream.trailer);
  return out;
}
