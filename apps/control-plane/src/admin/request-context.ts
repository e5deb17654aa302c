// Per-request facts that the Admin API's services need but controllers should not pass along: who is
// calling (the admin token's name, recorded in the config history) and the request's If-Match, which
// a write checks against the entity it has locked. Set by adminContextMiddleware (admin-auth.ts).
import { AsyncLocalStorage } from 'node:async_hooks';

export interface AdminRequestContext {
  actor: string | null;
  /** the raw If-Match header; null when absent */
  ifMatch: string | null;
}

export const adminContext = new AsyncLocalStorage<AdminRequestContext>();

export function currentActor(): string | null {
  return adminContext.getStore()?.actor ?? null;
}

export function currentIfMatch(): string | null {
  return adminContext.getStore()?.ifMatch ?? null;
}
