// proxy-cache (kong/plugins/proxy-cache/handler.lua, Kong 3.9), memory strategy. access: a request
// whose method is cacheable gets a cache key; a fresh stored response answers at once (Hit, the
// upstream is not called), otherwise the request goes upstream (Miss, or Refresh for a stale entry).
// header filter: a response with a cacheable status and Content-Type (and Cache-Control, when
// cache_control is on) is marked for storing, anything else is a Bypass. body filter: the marked
// response is stored; only marked responses are buffered (needsResponseBody per response).
import type { PluginContext, PluginHandler } from '@archway/pipeline';
import { parseQuery } from '../shared/log-record';
import { buildCacheKey, type KeyConfig } from './cache-key';
import { parseDirectives, resourceTtl, type Directives } from './cache-control';
import { matchesMediaType, parseMediaType, type MediaType } from './media-type';
import { memoryDictionary, type MemoryStore } from './memory-store';
import { proxyCacheSchema } from './schema';

type CacheStatus = 'Miss' | 'Hit' | 'Refresh' | 'Bypass';

/** What one request carries between phases (Kong's ngx.ctx.proxy_cache). */
interface RequestCache {
  status: CacheStatus;
  key: string | null;
  /** the response is to be stored (decided in the header filter) */
  store: boolean;
  headers: Record<string, string | string[]> | null;
  ttl: number;
}

interface ProxyCacheState {
  methods: ReadonlySet<string>;
  codes: ReadonlySet<number>;
  types: readonly MediaType[];
  cacheTtl: number;
  storageTtl: number | null;
  cacheControl: boolean;
  ignoreUriCase: boolean;
  key: KeyConfig;
  show: { age: boolean; status: boolean; key: boolean };
  store: MemoryStore;
}

const SLOT = 'proxy_cache';
const NONE: Directives = {};

/** Not replayed from the cache: hop-by-hop, the length (recomputed), per-request gateway headers, ours. */
const NOT_STORED = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailers', 'transfer-encoding', 'upgrade', 'content-length', 'age', 'x-cache-status', 'x-cache-key']);

function storedHeaders(h: PluginContext['responseHeaders']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const raw in h) {
    const name = raw.toLowerCase();
    const v = h[raw];
    // Kong never replays a rate-limit counter; X-Archway-* describe the request that filled the cache
    if (v === undefined || NOT_STORED.has(name) || name.startsWith('x-archway-') || name.includes('ratelimit-remaining')) continue;
    out[name] = Array.isArray(v) ? v : String(v);
  }
  return out;
}

const nowSec = () => Math.floor(Date.now() / 1000);

function cacheableRequest(ctx: PluginContext, s: ProxyCacheState, cc: Directives): boolean {
  if (!s.methods.has(ctx.method)) return false;
  // RFC 7234: a shared cache does not answer no-store/no-cache requests, nor authorized ones, from cache
  return !(s.cacheControl && (cc['no-store'] || cc['no-cache'] || ctx.header('authorization') !== undefined));
}

function cacheableResponse(ctx: PluginContext, s: ProxyCacheState, cc: Directives): boolean {
  if (!s.codes.has(ctx.status)) return false;
  const type = ctx.responseHeaders['content-type'];
  if (typeof type !== 'string' || type === '') return false;
  const parsed = parseMediaType(type);
  if (!parsed || !s.types.some((t) => matchesMediaType(parsed, t))) return false;
  if (!s.cacheControl) return true;
  if (cc.private || cc['no-store'] || cc['no-cache']) return false;
  return resourceTtl(cc, ctx.responseHeaders.expires as string | string[] | undefined, nowSec()) > 0;
}

/** The stored entry may not serve this request (client's Cache-Control, or older than cache_ttl). */
function stale(res: { timestamp: number; ttl: number }, s: ProxyCacheState, cc: Directives): boolean {
  const age = nowSec() - res.timestamp;
  if (!s.cacheControl) return age > s.cacheTtl;
  const num = (d: string) => (typeof cc[d] === 'number' ? (cc[d] as number) : undefined);
  const maxAge = num('max-age');
  const maxStale = num('max-stale');
  const minFresh = num('min-fresh');
  return (
    (maxAge !== undefined && age > maxAge) ||
    (maxStale !== undefined && age - res.ttl > maxStale) ||
    (minFresh !== undefined && res.ttl - age < minFresh)
  );
}

function cacheKey(ctx: PluginContext, s: ProxyCacheState): string {
  const uri = ctx.requestUri || ctx.path;
  const q = uri.indexOf('?');
  const path = q === -1 ? uri : uri.slice(0, q);
  return buildCacheKey(
    {
      consumerId: ctx.consumer?.id ?? null,
      routeId: ctx.route?.id ?? null,
      method: ctx.method,
      path: s.ignoreUriCase ? path.toLowerCase() : path,
      query: parseQuery(ctx.query),
      headers: ctx.headers,
    },
    s.key,
  );
}

function answerFromCache(ctx: PluginContext, s: ProxyCacheState, key: string, res: NonNullable<ReturnType<MemoryStore['fetch']>>): void {
  const headers: Record<string, string | string[]> = { ...res.headers };
  if (s.show.age) headers.age = String(Math.max(0, nowSec() - res.timestamp));
  if (s.show.status) headers['x-cache-status'] = 'Hit';
  if (s.show.key) headers['x-cache-key'] = key;
  ctx.shared.set(SLOT, { status: 'Hit', key, store: false, headers: null, ttl: 0 } satisfies RequestCache);
  // repeated headers (Set-Cookie) stay lists: node writes them as separate lines
  ctx.exit(res.status, res.body, headers as Record<string, string>);
}

function compile(config: Record<string, unknown>): ProxyCacheState {
  const shown = (config.response_headers as Record<string, boolean | null> | null) ?? {};
  const lower = (v: unknown) => (Array.isArray(v) && v.length > 0 ? (v as string[]) : null);
  return {
    methods: new Set(config.request_method as string[]),
    codes: new Set(config.response_code as number[]),
    types: (config.content_type as string[]).map(parseMediaType).filter((t): t is MediaType => t !== null),
    cacheTtl: (config.cache_ttl as number | null) ?? 300,
    storageTtl: (config.storage_ttl as number | null) ?? null,
    cacheControl: config.cache_control === true,
    ignoreUriCase: config.ignore_uri_case === true,
    key: { varyQueryParams: lower(config.vary_query_params), varyHeaders: lower(config.vary_headers) },
    show: { age: shown.age !== false, status: shown['X-Cache-Status'] !== false, key: shown['X-Cache-Key'] !== false },
    store: memoryDictionary(((config.memory as Record<string, string> | null) ?? {}).dictionary_name ?? 'kong_db_cache'),
  };
}

export const proxyCacheHandler: PluginHandler<ProxyCacheState> = {
  name: proxyCacheSchema.name,
  priority: proxyCacheSchema.priority,
  version: proxyCacheSchema.version,
  configure: compile,
  access(ctx, s) {
    const cc = s.cacheControl ? parseDirectives(ctx.headers['cache-control']) : NONE;
    if (!cacheableRequest(ctx, s, cc)) {
      ctx.shared.set(SLOT, { status: 'Bypass', key: null, store: false, headers: null, ttl: 0 } satisfies RequestCache);
      return;
    }
    const key = cacheKey(ctx, s);
    const res = s.store.fetch(key, Date.now());
    let status: CacheStatus = 'Miss';
    if (res && !stale(res, s, cc)) return answerFromCache(ctx, s, key, res);
    if (res) status = 'Refresh';
    ctx.shared.set(SLOT, { status, key, store: false, headers: null, ttl: 0 } satisfies RequestCache);
    // RFC 7234 5.2.1.7: the client wants a cached answer only
    if (!res && s.cacheControl && cc['only-if-cached']) ctx.exit(504);
  },
  headerFilter(ctx, s) {
    const slot = ctx.shared.get(SLOT) as RequestCache | undefined;
    if (!slot || slot.status === 'Hit') return;
    if (slot.key !== null) {
      const cc = s.cacheControl ? parseDirectives(ctx.responseHeaders['cache-control']) : NONE;
      if (!ctx.exitResponse && cacheableResponse(ctx, s, cc)) {
        slot.store = true;
        slot.headers = storedHeaders(ctx.responseHeaders);
        slot.ttl = s.cacheControl ? resourceTtl(cc, ctx.responseHeaders.expires as string | string[] | undefined, nowSec()) : s.cacheTtl;
      } else slot.status = 'Bypass';
      if (s.show.key) ctx.responseHeaders['x-cache-key'] = slot.key;
    }
    if (s.show.status) ctx.responseHeaders['x-cache-status'] = slot.status;
  },
  needsResponseBody(s, ctx) {
    // before a response (chain compilation): this plugin may need bodies; for a response: only a cacheable one
    if (!ctx) return true;
    return (ctx.shared.get(SLOT) as RequestCache | undefined)?.store === true;
  },
  bodyFilter(ctx, s, body) {
    const slot = ctx.shared.get(SLOT) as RequestCache | undefined;
    if (!slot?.store || slot.key === null || !slot.headers) return body;
    const ttl = s.storageTtl ?? (s.cacheControl ? slot.ttl : s.cacheTtl);
    s.store.store(slot.key, { status: ctx.status, headers: slot.headers, body, timestamp: nowSec(), ttl: slot.ttl }, ttl, Date.now());
    return body;
  },
};
