// Kong's `headers` setting (ARCHWAY_HEADERS): which informational headers the proxy adds to responses.
// One process-wide object, set once at start before the listeners open; the response paths read a
// boolean from it, so turning headers off costs nothing per request.
import { ALL_RESPONSE_HEADERS, type ResponseHeaderFlags } from '@archway/config';

/** Read by the response paths (gateway-response.ts, upstream-headers.ts, websocket-proxy.ts). */
export const RESPONSE_HEADERS: ResponseHeaderFlags = { ...ALL_RESPONSE_HEADERS };

/** Sets which headers are sent; call at start (specs call it and restore the default after). */
export function configureResponseHeaders(flags: Readonly<ResponseHeaderFlags>): void {
  Object.assign(RESPONSE_HEADERS, flags);
}
