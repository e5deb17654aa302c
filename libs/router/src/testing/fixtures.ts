// Spec helpers: entities built through the real schema (defaults filled exactly as a snapshot has them)
// and a request with Kong-ish defaults. Not exported from index.ts.
import { type Route, type Service, routeSchema, serviceSchema, validateEntity } from '@archway/schema';
import type { RouterRequest } from '../router';

let clock = 1_700_000_000;

export function makeService(fields: Record<string, unknown> = {}): Service {
  return validateEntity<Service>(serviceSchema, { host: 'upstream.test', ...fields }, 'create');
}

/** Each route is one second younger than the previous one unless `created_at` is given. */
export function makeRoute(service: Service | null, fields: Record<string, unknown>): Route {
  clock += 1;
  return validateEntity<Route>(
    routeSchema,
    { created_at: clock, service: service ? { id: service.id } : null, ...fields },
    'create',
  );
}

export function request(path: string, extra: Partial<RouterRequest> = {}): RouterRequest {
  return { method: 'GET', host: 'example.com', path, headers: {}, ...extra };
}
