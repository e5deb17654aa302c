// Per-request facts that the Admin API's services need but controllers should not pass along: who is
// calling (the admin token's name, recorded in the config history).
import { AsyncLocalStorage } from 'node:async_hooks';

export interface AdminRequestContext {
  actor: string | null;
}

export const adminContext = new AsyncLocalStorage<AdminRequestContext>();

export function currentActor(): string | null {
  return adminContext.getStore()?.actor ?? null;
}
