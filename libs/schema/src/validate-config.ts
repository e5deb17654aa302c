// Validates a whole config set as a data plane receives it: every entity against its schema and every
// reference resolvable. A data plane trusts nothing it did not validate; the errors say which entity.
import { routeSchema } from './entities/route';
import { serviceSchema } from './entities/service';
import { ArchwayError } from './errors';
import { validateEntity, type EntitySchema } from './entity';
import type { ConfigSet } from './types';

function validateAll<T extends { id: string }>(schema: EntitySchema, list: T[], problems: string[]): T[] {
  const seen = new Set<string>();
  return list.map((raw) => {
    try {
      const e = validateEntity<T>(schema, raw as unknown as Record<string, unknown>, 'replace', {
        existing: raw as unknown as Record<string, unknown>,
        now: (raw as unknown as { updated_at: number }).updated_at,
      });
      if (seen.has(e.id)) problems.push(`${schema.name} ${e.id}: duplicate id`);
      seen.add(e.id);
      return e;
    } catch (err) {
      problems.push(`${schema.name} ${raw?.id ?? '?'}: ${err instanceof Error ? err.message : String(err)}`);
      return raw;
    }
  });
}

export function validateConfig(config: ConfigSet): ConfigSet {
  const problems: string[] = [];
  const services = validateAll(serviceSchema, config.services ?? [], problems);
  const routes = validateAll(routeSchema, config.routes ?? [], problems);
  const serviceIds = new Set(services.map((s) => s.id));
  for (const r of routes)
    if (r.service && !serviceIds.has(r.service.id))
      problems.push(`routes ${r.id}: service ${r.service.id} does not exist`);
  if (problems.length) throw new ArchwayError(2, `invalid config: ${problems.join('; ')}`);
  return { services, routes };
}
