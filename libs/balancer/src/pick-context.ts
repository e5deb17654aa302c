// A PickContext with every field present (a fixed shape), for callers that do not keep their own class.
import type { PickContext } from './types';

export function pickContext(init: Partial<PickContext> = {}): PickContext {
  return {
    clientIp: init.clientIp ?? '',
    consumerId: init.consumerId ?? null,
    credentialId: init.credentialId ?? null,
    headers: init.headers ?? {},
    path: init.path ?? '/',
    query: init.query ?? '',
    uriCaptures: init.uriCaptures ?? null,
    tried: init.tried ?? null,
    hashValue: init.hashValue ?? null,
    setCookie: init.setCookie ?? null,
  };
}
