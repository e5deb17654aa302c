// The value a consistent-hashing upstream hashes (Kong's get_value_to_hash in runloop/balancer/init.lua):
// `hash_on`, and when it yields nothing, `hash_fallback`; nothing at all hashes the empty string.
import { randomUUID } from 'node:crypto';
import type { HashOn, Upstream } from '@archway/schema';
import type { PickContext } from './types';

interface HashRule {
  on: HashOn;
  header: string | null;
  queryArg: string | null;
  uriCapture: string | null;
}

export interface HashPlan {
  primary: HashRule;
  fallback: HashRule;
  cookie: string | null;
  cookiePath: string;
}

export function hashPlan(u: Upstream): HashPlan {
  return {
    primary: { on: u.hash_on, header: u.hash_on_header, queryArg: u.hash_on_query_arg, uriCapture: u.hash_on_uri_capture },
    fallback: {
      on: u.hash_fallback,
      header: u.hash_fallback_header,
      queryArg: u.hash_fallback_query_arg,
      uriCapture: u.hash_fallback_uri_capture,
    },
    cookie: u.hash_on_cookie,
    cookiePath: u.hash_on_cookie_path,
  };
}

/** Computes the hash value for a request; may set `ctx.setCookie` (hash_on cookie without the cookie). */
export function hashValue(plan: HashPlan, ctx: PickContext): string {
  if (plan.primary.on === 'none') return '';
  return identify(plan.primary, plan, ctx) ?? (plan.fallback.on === 'none' ? null : identify(plan.fallback, plan, ctx)) ?? '';
}

function identify(rule: HashRule, plan: HashPlan, ctx: PickContext): string | null {
  switch (rule.on) {
    case 'consumer':
      return ctx.consumerId ?? ctx.credentialId;
    case 'ip':
      return ctx.clientIp || null;
    case 'header':
      return headerValue(ctx, rule.header);
    case 'cookie':
      return cookieValue(plan, ctx);
    case 'path':
      return ctx.path;
    case 'query_arg':
      return rule.queryArg === null ? null : queryArg(ctx.query, rule.queryArg);
    case 'uri_capture':
      return (rule.uriCapture !== null && ctx.uriCaptures?.[rule.uriCapture]) || null;
    default:
      return null;
  }
}

/** nginx joins repeated headers into one value; node already does for most, arrays are joined here. */
function headerValue(ctx: PickContext, name: string | null): string | null {
  if (name === null) return null;
  const v = ctx.headers[name.toLowerCase()];
  if (v === undefined) return null;
  return Array.isArray(v) ? v.join(', ') : v;
}

/** Kong generates the cookie when it is missing and sends it back: the client sticks from then on. */
function cookieValue(plan: HashPlan, ctx: PickContext): string {
  const name = plan.cookie as string; // required by the schema when hashing on a cookie
  const existing = readCookie(ctx.headers.cookie, name);
  if (existing !== null) return existing;
  const value = randomUUID();
  ctx.setCookie = `${name}=${value}; Path=${plan.cookiePath}; Same-Site=Lax; HttpOnly`;
  return value;
}

function readCookie(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/** Kong's normalisation: `?a` is "true", repeated args are sorted and joined with ",". */
function queryArg(query: string, name: string): string | null {
  if (!query) return null;
  const values: string[] = [];
  for (const pair of query.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const key = decode(eq === -1 ? pair : pair.slice(0, eq));
    if (key !== name) continue;
    values.push(eq === -1 ? 'true' : decode(pair.slice(eq + 1)));
  }
  if (values.length === 0) return null;
  return values.length === 1 ? values[0] : values.sort().join(',');
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}
