// Deterministic ids for entities a declarative file gives without one, as Kong's declarative loader
// makes them (kong/db/schema/others/declarative_config.lua: generate_ids, get_key_for_uuid_gen,
// build_cache_key): a UUID v5 of the entity's identity, in a namespace per entity kind, itself a
// UUID v5 of the kind's name in Kong's namespace. The same file therefore always gives the same ids.
import { createHash } from 'node:crypto';
import type { EntitySchema } from '../entity';


/** Kong's `_entities` namespace for declarative ids. */
export const KONG_DECLARATIVE_NAMESPACE = 'fd02801f-0957-4a15-a55a-c8d9606f30b5';

/** RFC 4122 UUID version 5 (SHA-1 of the namespace's 16 bytes and the name's UTF-8 bytes). */
export function uuidV5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const namespaces = new Map<string, string>();

/** The id Kong gives an entity of `kind` identified by `key`. */
export function declarativeId(kind: string, key: string): string {
  let ns = namespaces.get(kind);
  if (!ns) {
    ns = uuidV5(KONG_DECLARATIVE_NAMESPACE, kind);
    namespaces.set(kind, ns);
  }
  return uuidV5(ns, key);
}

/** Kong's cache keys, for the entities whose identity is not one unique endpoint key. */
const CACHE_KEYS: Partial<Record<string, readonly string[]>> = {
  plugins: ['name', 'route', 'service', 'consumer'],
  keyauth_credentials: ['key'],
  jwt_secrets: ['key'],
  acls: ['consumer', 'group'],
  targets: ['upstream', 'target'],
};

/** A reference as a key part: a name or id string as given, or the id of `{id}` (Kong skips tables; we use the id). */
function refPart(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object' && typeof (value as { id?: unknown }).id === 'string') return (value as { id: string }).id;
  return null;
}

function cacheKey(kind: string, item: Record<string, unknown>, schema: EntitySchema): string | null {
  const fields = CACHE_KEYS[kind];
  if (!fields) return null;
  const parts = [kind];
  for (const field of fields) {
    const value = item[field];
    if (value === undefined || value === null) {
      // an absent required part (e.g. a key-auth `key` that will be generated) identifies nothing
      if (schema.fields[field]?.required) return null;
      parts.push('');
      continue;
    }
    const part = refPart(value);
    if (part === null) return null;
    parts.push(part);
  }
  return parts.join(':');
}

/**
 * The identity an id is derived from, in Kong's order: the endpoint key (composed with the parent's
 * id when it is unique only under that parent, as a target under its upstream), else Kong's cache key.
 * Entities with neither (an unnamed route, a certificate) get Kong's random id in Kong; here they get
 * one derived from their place in the file (`position`), so a file posted twice changes nothing.
 */
export function identityKey(kind: string, item: Record<string, unknown>, schema: EntitySchema, position: string): string {
  const endpointKey = schema.endpointKey;
  const keyValue = endpointKey ? item[endpointKey] : undefined;
  if (endpointKey && typeof keyValue === 'string') {
    const def = schema.fields[endpointKey];
    if (def?.type === 'string' && def.unique) return keyValue;
    let key = keyValue;
    for (const [field, fdef] of Object.entries(schema.fields))
      if (fdef.type === 'foreign' && fdef.onDelete === 'cascade') key += `:${refPart(item[field]) ?? ''}`;
    return key;
  }
  return cacheKey(kind, item, schema) ?? `@position:${position}`;
}

/** The id an entity without one gets. */
export function generateId(kind: string, item: Record<string, unknown>, schema: EntitySchema, position: string): string {
  return declarativeId(kind, identityKey(kind, item, schema, position));
}

