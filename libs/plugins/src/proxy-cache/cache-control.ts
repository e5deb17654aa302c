// Cache-Control as proxy-cache reads it (kong/plugins/proxy-cache/handler.lua, parse_directive_header
// and resource_ttl): directive names lower-cased, a numeric value as a number, a bare directive true.
export type Directives = Record<string, string | number | true>;

const NONE: Directives = Object.freeze({}) as Directives;

export function parseDirectives(header: string | string[] | number | undefined): Directives {
  if (header === undefined) return NONE;
  const text = Array.isArray(header) ? header.join(', ') : String(header);
  const out: Directives = {};
  for (const part of text.split(',')) {
    const m = /^\s*([^=]+?)\s*(?:=\s*(.+?))?\s*$/.exec(part);
    if (!m || !m[1]) continue;
    const raw = m[2]?.replace(/^"(.*)"$/, '$1');
    const n = raw === undefined ? NaN : Number(raw);
    out[m[1].toLowerCase()] = raw === undefined ? true : raw !== '' && !Number.isNaN(n) ? n : raw;
  }
  return out;
}

/** Seconds the upstream says its response stays fresh: s-maxage, max-age, else Expires; 0 = not at all. */
export function resourceTtl(cc: Directives, expires: string | string[] | number | undefined, nowSec: number): number {
  let maxAge = typeof cc['s-maxage'] === 'number' ? cc['s-maxage'] : typeof cc['max-age'] === 'number' ? cc['max-age'] : undefined;
  if (maxAge === undefined && expires !== undefined) {
    // with several Expires headers the last one wins
    const last = Array.isArray(expires) ? expires[expires.length - 1] : String(expires);
    const at = Date.parse(last);
    if (!Number.isNaN(at)) maxAge = Math.floor(at / 1000) - nowSec;
  }
  return maxAge === undefined ? 0 : Math.max(maxAge, 0);
}
