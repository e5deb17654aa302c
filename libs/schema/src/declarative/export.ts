// Writes entities out as a Kong declarative document (format 3.0, `_transform: false` as Kong's own
// export, since basic-auth passwords are already hashed). Nested: routes under their service, plugins
// under their one owner, credentials and consumer plugins under their consumer, targets under their
// upstream, snis under their certificate; whatever has no single owner stays at the top level with
// its references as `{id}`. Flat: every collection at the top level.
import type { EntityName } from '../types';
import { DECLARATIVE_COLLECTIONS, DECLARATIVE_FORMAT_VERSION } from './model';

type Entity = Record<string, unknown>;

export interface DeclarativeDocument {
  _format_version: string;
  _transform: boolean;
  [collection: string]: unknown;
}

export interface ExportOptions {
  nested: boolean;
}

/** The parent field an entity nests under in the nested form, for the kinds that nest. */
const NEST_UNDER: Partial<Record<EntityName, readonly string[]>> = {
  routes: ['service'],
  plugins: ['route', 'service', 'consumer'],
  targets: ['upstream'],
  snis: ['certificate'],
  keyauth_credentials: ['consumer'],
  basicauth_credentials: ['consumer'],
  jwt_secrets: ['consumer'],
  acls: ['consumer'],
};

const PARENT_KIND: Record<string, EntityName> = {
  service: 'services',
  route: 'routes',
  consumer: 'consumers',
  upstream: 'upstreams',
  certificate: 'certificates',
};

const refId = (v: unknown): string | null =>
  v !== null && typeof v === 'object' && typeof (v as { id?: unknown }).id === 'string' ? (v as { id: string }).id : null;

/** The one field naming this entity's owner: a plugin on a route and a consumer has no single owner. */
function ownerField(kind: EntityName, entity: Entity): string | null {
  const fields = NEST_UNDER[kind];
  if (!fields) return null;
  const set = fields.filter((f) => refId(entity[f]) !== null);
  return set.length === 1 ? set[0] : null;
}

function flat(entities: Partial<Record<EntityName, Entity[]>>): DeclarativeDocument {
  const doc: DeclarativeDocument = { _format_version: DECLARATIVE_FORMAT_VERSION, _transform: false };
  for (const kind of DECLARATIVE_COLLECTIONS) {
    const list = entities[kind] ?? [];
    if (list.length) doc[kind] = list.map((e) => ({ ...e }));
  }
  return doc;
}

function nested(entities: Partial<Record<EntityName, Entity[]>>): DeclarativeDocument {
  const copies = new Map<string, Entity>();
  const keyOf = (kind: EntityName, id: string) => `${kind}/${id}`;
  for (const kind of DECLARATIVE_COLLECTIONS) for (const e of entities[kind] ?? []) copies.set(keyOf(kind, e.id as string), { ...e });
  const top: Partial<Record<EntityName, Entity[]>> = {};
  for (const kind of DECLARATIVE_COLLECTIONS)
    for (const e of entities[kind] ?? []) {
      const copy = copies.get(keyOf(kind, e.id as string)) as Entity;
      const field = ownerField(kind, e);
      const owner = field ? copies.get(keyOf(PARENT_KIND[field], refId(e[field]) as string)) : undefined;
      if (field && owner) {
        delete copy[field];
        ((owner[kind] ??= []) as Entity[]).push(copy);
      } else (top[kind] ??= []).push(copy);
    }
  const doc: DeclarativeDocument = { _format_version: DECLARATIVE_FORMAT_VERSION, _transform: false };
  for (const kind of DECLARATIVE_COLLECTIONS) if (top[kind]?.length) doc[kind] = top[kind];
  return doc;
}

/** The Kong document for a set of stored entities (references as `{id}`). */
export function exportDeclarative(entities: Partial<Record<EntityName, Entity[]>>, opts: ExportOptions = { nested: true }): DeclarativeDocument {
  return opts.nested ? nested(entities) : flat(entities);
}
