// The shape of Kong's declarative config 3.0 (kong/db/schema/others/declarative_config.lua): one
// top-level array per entity collection, children nested under any parent they reference (routes
// under services, plugins under services, routes and consumers, credentials under consumers, targets
// under upstreams, snis under certificates), and the problems a file can have, each with its place.
import { ENTITY_SCHEMAS } from '../entities/registry';
import type { EntityName } from '../types';

export const DECLARATIVE_FORMAT_VERSION = '3.0';

/** Every collection a file may hold, parents before children (the order entities are written in). */
export const DECLARATIVE_COLLECTIONS: readonly EntityName[] = ENTITY_SCHEMAS.map((s) => s.name);

export type DeclarativeEntities = Record<EntityName, Record<string, unknown>[]>;

export function emptyEntities(): DeclarativeEntities {
  return Object.fromEntries(DECLARATIVE_COLLECTIONS.map((k) => [k, []])) as unknown as DeclarativeEntities;
}

/** A child collection that may be nested under a parent, and the child's field naming that parent. */
export interface ChildRelation {
  kind: EntityName;
  field: string;
}

/**
 * Kong's nest_foreign_relationships: every foreign key makes the child nestable under its parent
 * (collection name as the key), unless the parent has a stored field of that name (a service's
 * `ca_certificates` is a list of ids, not nested entities); a write-only field of that name (a
 * certificate's `snis`) gives way to the nested form.
 */
export function childRelations(parent: EntityName): ChildRelation[] {
  const parentSchema = ENTITY_SCHEMAS.find((s) => s.name === parent);
  const out: ChildRelation[] = [];
  for (const schema of ENTITY_SCHEMAS)
    for (const [field, def] of Object.entries(schema.fields)) {
      if (def.type !== 'foreign' || def.reference !== parent) continue;
      const clash = parentSchema?.fields[schema.name] !== undefined && !parentSchema?.transient?.includes(schema.name);
      if (!clash) out.push({ kind: schema.name, field });
    }
  return out;
}

/** The foreign-key fields of a collection and what they reference. */
export function foreignFieldsOf(kind: EntityName): { field: string; reference: EntityName }[] {
  const schema = ENTITY_SCHEMAS.find((s) => s.name === kind);
  return Object.entries(schema?.fields ?? {}).flatMap(([field, def]) =>
    def.type === 'foreign' ? [{ field, reference: def.reference as EntityName }] : [],
  );
}

export type PathSegment = string | number;

/** `['services', 2, 'routes', 0, 'paths']` -> `services[2].routes[0].paths` */
export function renderPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out ? `.${seg}` : seg;
  return out;
}

/** One problem of a file. All of them are collected; none stops the others from being found. */
export interface DeclarativeError {
  /** where it is, as segments: ['services', 2, 'routes', 0, 'paths'] */
  path: PathSegment[];
  /** the same written out: `services[2].routes[0].paths` */
  where: string;
  message: string;
  /** the entity it belongs to (its collection, place and input as given), when it belongs to one */
  entity?: { kind: EntityName; path: PathSegment[]; input: Record<string, unknown> };
  /** the field within that entity, as Kong's flattened errors name it (`config.minute`, `paths[1]`); absent for the whole entity */
  field?: string;
}

export function problem(
  path: PathSegment[],
  message: string,
  entity?: DeclarativeError['entity'],
): DeclarativeError {
  const err: DeclarativeError = { path, where: renderPath(path), message };
  if (entity) {
    err.entity = entity;
    const rest = path.slice(entity.path.length);
    if (rest.length) err.field = renderPath(rest);
  }
  return err;
}
