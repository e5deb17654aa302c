// Kong's log record (kong/pdk/log.lua, serialize, Kong 3.9): what http-log and file-log send for
// each request, built in the log phase from the request context. Field names, nesting and the
// redaction of credentials are Kong's, so collectors written for Kong read it unchanged.
import type { ConsumerRef, PluginContext } from '@archway/pipeline';
import type { Route, Service } from '@archway/schema';

type UpstreamTries = NonNullable<PluginContext['tries']>;
type Headers = Record<string, string | string[]>;

export interface LogRecord {
  request: {
    id: string;
    uri: string;
    url: string;
    /** decoded query arguments: a repeated name gives an array, a name without `=` gives true */
    querystring: Record<string, string | true | (string | true)[]>;
    method: string;
    headers: Headers;
    size: number;
    tls?: PluginContext['tls'];
  };
  upstream_uri: string;
  upstream_status?: string;
  response: { status: number; headers: Headers; size: number };
  latencies: { kong: number; proxy: number; request: number };
  tries?: UpstreamTries;
  authenticated_entity?: { id: string; consumer_id: string | null };
  route?: Route;
  service?: Service;
  consumer?: ConsumerRef;
  client_ip: string;
  started_at: number;
  /** 'service' (the upstream answered), 'exit' (a plugin answered), 'error' (the gateway failed) */
  source: 'service' | 'exit' | 'error';
  workspace: string;
  workspace_name: string;
  /** set when correlation-id ran (Kong's set_serialize_value) */
  correlation_id?: string;
}

/** Archway has one workspace; Kong's is a random id per installation, so a fixed one stands in. */
export const DEFAULT_WORKSPACE_ID = '00000000-0000-0000-0000-000000000000';

/** Kong's default serialize values: these request headers are logged as REDACTED (when present). */
const REDACTED = ['authorization', 'proxy-authorization'];

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** ngx.req.get_uri_args as kong.request.get_query returns it. */
export function parseQuery(query: string): LogRecord['request']['querystring'] {
  const out: LogRecord['request']['querystring'] = {};
  if (!query) return out;
  for (const part of query.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const name = decode(eq === -1 ? part : part.slice(0, eq));
    const value: string | true = eq === -1 ? true : decode(part.slice(eq + 1));
    const seen = out[name];
    if (seen === undefined) out[name] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else out[name] = [seen, value];
  }
  return out;
}

function requestHeaders(ctx: PluginContext): Headers {
  const out: Headers = {};
  for (const name in ctx.headers) {
    const v = ctx.headers[name];
    if (v !== undefined) out[name] = v;
  }
  for (const name of REDACTED) if (out[name] !== undefined) out[name] = 'REDACTED';
  return out;
}

/** Lower-case names and string values, as ngx.resp.get_headers gives them. */
function responseHeaders(ctx: PluginContext): Headers {
  const out: Headers = {};
  const h = ctx.responseHeaders;
  for (const name in h) {
    const v = h[name];
    if (v !== undefined) out[name.toLowerCase()] = Array.isArray(v) ? v : String(v);
  }
  return out;
}

/** nginx's $host: the Host header without its port, lower-cased. */
function hostOf(ctx: PluginContext): string {
  const host = ctx.header('host') ?? '';
  const end = host.startsWith('[') ? host.indexOf(']') + 1 : host.indexOf(':');
  return (end > 0 ? host.slice(0, end) : host).toLowerCase();
}

/** var.upstream_status: every attempt's status, "502, 200" after a retry. */
function upstreamStatus(ctx: PluginContext): string | undefined {
  const codes: number[] = [];
  for (const t of ctx.tries ?? []) if (t.state === 'failed' && t.code !== undefined) codes.push(t.code);
  if (ctx.upstreamStatus > 0) codes.push(ctx.upstreamStatus);
  return codes.length ? codes.join(', ') : undefined;
}

function source(ctx: PluginContext): LogRecord['source'] {
  if (ctx.exitResponse) return 'exit';
  return ctx.upstreamStatus > 0 ? 'service' : 'error';
}

/** The record for the request `ctx` describes, at the time of the log phase. */
export function logRecord(ctx: PluginContext): LogRecord {
  const requestMs = Math.max(0, Math.round(performance.now() - ctx.startedAt));
  const proxyMs = ctx.upstreamLatencyMs;
  const src = source(ctx);
  const correlationId = ctx.shared.get('correlation_id');
  return {
    request: {
      id: ctx.requestId,
      uri: ctx.requestUri,
      url: `${ctx.scheme}://${hostOf(ctx)}:${ctx.serverPort}${ctx.requestUri}`,
      querystring: parseQuery(ctx.query),
      method: ctx.method,
      headers: requestHeaders(ctx),
      size: ctx.requestSize,
      tls: ctx.tls ?? undefined,
    },
    // nothing went upstream when a plugin answered
    upstream_uri: src === 'exit' ? '' : ctx.query ? `${ctx.path}?${ctx.query}` : ctx.path,
    upstream_status: upstreamStatus(ctx),
    response: { status: ctx.status, headers: responseHeaders(ctx), size: ctx.responseSize },
    // Kong: kong = time spent in the gateway (plugins, reading the upstream's body), proxy = waiting for the upstream
    latencies: { kong: Math.max(0, requestMs - Math.max(0, proxyMs)), proxy: proxyMs, request: requestMs },
    tries: ctx.tries ?? undefined,
    authenticated_entity: ctx.credential ? { id: ctx.credential.id, consumer_id: ctx.consumer?.id ?? null } : undefined,
    route: ctx.route ?? undefined,
    service: ctx.service ?? undefined,
    consumer: ctx.consumer ?? undefined,
    client_ip: ctx.clientIp,
    started_at: Math.round(performance.timeOrigin + ctx.startedAt),
    source: src,
    workspace: DEFAULT_WORKSPACE_ID,
    workspace_name: 'default',
    correlation_id: typeof correlationId === 'string' ? correlationId : undefined,
  };
}
