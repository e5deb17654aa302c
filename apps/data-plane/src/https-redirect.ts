// Kong's answer to a plain-http request on an https-only route (kong/runloop/handler.lua, access
// phase): 426 "Please use HTTPS protocol" with `Upgrade: TLS/1.2, HTTP/1.1`, or, when the route's
// https_redirect_status_code says so, a 301/302/307/308 to `https://<host><request uri>`.
import type { ServerResponse } from 'node:http';
import type { Route } from '@archway/schema';
import { sendExit } from './gateway-response';

/**
 * Route id -> https_redirect_status_code, for routes that accept https but not http (Kong's test:
 * `protocols.https and not protocols.http`). Built at snapshot apply; a plain request pays one lookup.
 */
export function compileHttpsOnly(routes: readonly Route[]): ReadonlyMap<string, number> {
  const out = new Map<string, number>();
  for (const r of routes) if (httpsOnly(r)) out.set(r.id, r.https_redirect_status_code);
  return out;
}

const httpsOnly = (r: Route) => r.protocols.includes('https') && !r.protocols.includes('http');

/**
 * compileHttpsOnly for routes that differ from those `previous` was compiled from by `changes` (routes
 * removed, routes added): `previous` itself when no https-only route is among them, else a changed copy.
 */
export function updateHttpsOnly(
  previous: ReadonlyMap<string, number>,
  changes: { readonly added: readonly Route[]; readonly removed: readonly Route[] },
): ReadonlyMap<string, number> {
  if (!changes.added.some(httpsOnly) && !changes.removed.some(httpsOnly)) return previous;
  const out = new Map(previous);
  for (const r of changes.removed) out.delete(r.id);
  for (const r of changes.added) if (httpsOnly(r)) out.set(r.id, r.https_redirect_status_code);
  return out;
}

/** nginx's $host: the Host header without its port, lower-cased. */
function hostWithoutPort(host: string): string {
  const end = host.startsWith('[') ? host.indexOf(']') + 1 : host.indexOf(':');
  return (end > 0 ? host.slice(0, end) : host).toLowerCase();
}

export function sendHttpsRequired(
  res: ServerResponse,
  status: number,
  host: string | undefined,
  url: string,
  requestId: string,
  startedAt: number,
): void {
  if (status === 426) {
    sendExit(res, 426, { message: 'Please use HTTPS protocol' }, { Connection: 'Upgrade', Upgrade: 'TLS/1.2, HTTP/1.1' }, requestId, startedAt);
    return;
  }
  // Kong writes `https://` .. forwarded_host .. request_uri: no port, the client is sent to 443
  sendExit(res, status, null, { Location: `https://${hostWithoutPort(host ?? '')}${url}` }, requestId, startedAt);
}
