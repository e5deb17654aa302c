// proxy-cache's cache key (kong/plugins/proxy-cache/cache_key.lua): the consumer and route, the
// method, the path, the query arguments (all, or only vary_query_params) and the vary_headers, hashed.
import { createHash } from 'node:crypto';

type Args = Record<string, string | true | (string | true)[] | undefined>;

/** "name=value" pairs joined by ':' for the names in `fields` that are present (repeats sorted, as Kong). */
function keyFrom(args: Args, fields: readonly string[], lookup: (name: string) => string = (n) => n): string {
  const parts: string[] = [];
  for (const field of fields) {
    const v = args[lookup(field)];
    if (v === undefined) continue;
    parts.push(`${field}=${Array.isArray(v) ? v.map(String).sort().join(',') : String(v)}`);
  }
  return parts.join(':');
}

/** Kong's prefix_uuid: consumer and route, the route alone, or "default". */
function prefix(consumerId: string | null, routeId: string | null): string {
  if (consumerId && routeId) return `${consumerId}:${routeId}`;
  return routeId ?? 'default';
}

export interface KeyParts {
  consumerId: string | null;
  routeId: string | null;
  method: string;
  path: string;
  query: Args;
  headers: Record<string, string | string[] | undefined>;
}

export interface KeyConfig {
  /** null: every query argument, sorted by name */
  varyQueryParams: readonly string[] | null;
  /** null: no header */
  varyHeaders: readonly string[] | null;
}

export function buildCacheKey(p: KeyParts, c: KeyConfig): string {
  const params = keyFrom(p.query, c.varyQueryParams ?? Object.keys(p.query).sort());
  const headers = c.varyHeaders ? keyFrom(p.headers, c.varyHeaders, (n) => n.toLowerCase()) : '';
  return createHash('sha256').update(`${prefix(p.consumerId, p.routeId)}|${p.method}|${p.path}|${params}|${headers}`).digest('hex');
}
