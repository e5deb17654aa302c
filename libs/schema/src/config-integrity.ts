// Whole-config rules that no single entity can check: references resolve, and unique keys are unique
// across the set (as the control plane's database enforces them), so a data plane never has to guess
// which of two `key-auth` credentials with one key is meant.
import { CONFIG_COLLECTIONS, type ConfigCollection } from './canonical';
import { entitySchema } from './entities/registry';
import { uniqueFields } from './entity';
import type { Steps } from './steps';

export type StoredEntity = Record<string, unknown> & { id: string };
export type Collections = Record<ConfigCollection, StoredEntity[]>;

const FOREIGN = new Map<ConfigCollection, readonly (readonly [string, ConfigCollection])[]>();

/** The foreign-key fields of a collection's entities, with the collection each names. */
function foreignFields(kind: ConfigCollection): readonly (readonly [string, ConfigCollection])[] {
  let fields = FOREIGN.get(kind);
  if (!fields) {
    fields = Object.entries(entitySchema(kind).fields).flatMap(([field, def]) =>
      def.type === 'foreign' ? [[field, def.reference as ConfigCollection] as const] : [],
    );
    FOREIGN.set(kind, fields);
  }
  return fields;
}

/**
 * Every foreign key (route→service, plugin→route/service/consumer, credential→consumer, ...) names an
 * entity in the set; one step per entity (see steps.ts).
 */
export function* checkReferences(config: Collections, problems: string[]): Steps<void> {
  const ids = new Map<string, Set<string>>(CONFIG_COLLECTIONS.map((k) => [k, new Set(config[k].map((e) => e.id))]));
  for (const kind of CONFIG_COLLECTIONS) {
    const foreign = foreignFields(kind);
    for (const e of config[kind]) {
      for (const [field, reference] of foreign) {
        const ref = e[field] as { id: string } | null;
        if (ref && !ids.get(reference)?.has(ref.id)) problems.push(`${kind} ${e.id}: ${field} ${ref.id} does not exist`);
      }
      yield;
    }
  }
  // a service names its trusted CAs by id in a plain list, not a foreign key
  const cas = ids.get('ca_certificates') as Set<string>;
  for (const s of config.services)
    for (const ca of (s.ca_certificates as string[] | null) ?? [])
      if (!cas.has(ca)) problems.push(`services ${s.id}: ca_certificate ${ca} does not exist`);
}

/** One id an entity names: `kind` is the collection it must be in (checkReferences' rules). */
export interface EntityReference {
  kind: ConfigCollection;
  id: string;
}

/** Every id `e`, an entity of `kind`, names: its foreign keys, and a service's trusted CAs. */
export function referencesOf(kind: ConfigCollection, e: StoredEntity): EntityReference[] {
  const out: EntityReference[] = [];
  for (const [field, reference] of foreignFields(kind)) {
    const ref = e[field] as { id: string } | null;
    if (ref) out.push({ kind: reference, id: ref.id });
  }
  if (kind === 'services') for (const ca of (e.ca_certificates as string[] | null) ?? []) out.push({ kind: 'ca_certificates', id: ca });
  return out;
}

function keyPart(v: unknown): unknown {
  return v !== null && typeof v === 'object' && 'id' in v ? (v as { id: unknown }).id : v;
}

/** A unique field or field set of a collection; `nullsEqual`: a null is a value, not an exemption. */
export interface UniqueKeySet {
  fields: readonly string[];
  nullsEqual: boolean;
}

const UNIQUE_SETS = new Map<ConfigCollection, UniqueKeySet[]>();

/**
 * The unique keys of a collection. As in the database, an entity with a null in the set is exempt,
 * except in a plugin's (name, route, service, consumer), where null is a value (NULLS NOT DISTINCT):
 * one global `rate-limiting`, not two.
 */
export function uniqueKeySets(kind: ConfigCollection): readonly UniqueKeySet[] {
  let sets = UNIQUE_SETS.get(kind);
  if (!sets) {
    const schema = entitySchema(kind);
    sets = [
      ...uniqueFields(schema).map((f) => ({ fields: [f], nullsEqual: false })),
      ...(schema.uniques ?? []).map((s) => ({ fields: [...s], nullsEqual: kind === 'plugins' })),
    ];
    UNIQUE_SETS.set(kind, sets);
  }
  return sets;
}

/** `e`'s values in `set`, as one string key; null when a null exempts it. */
export function uniqueKeyOf(e: StoredEntity, set: UniqueKeySet): string | null {
  const values = set.fields.map((f) => keyPart(e[f] ?? null));
  if (!set.nullsEqual && values.some((v) => v === null)) return null;
  return JSON.stringify(values);
}

/** Unique fields and unique field sets hold across each collection (see uniqueKeySets). */
export function* checkUniques(config: Collections, problems: string[]): Steps<void> {
  for (const kind of CONFIG_COLLECTIONS) {
    for (const set of uniqueKeySets(kind)) {
      const { fields } = set;
      const owners = new Map<string, string>();
      for (const e of config[kind]) {
        const key = uniqueKeyOf(e, set);
        if (key === null) continue;
        const owner = owners.get(key);
        if (owner === undefined) owners.set(key, e.id);
        else problems.push(`${kind} ${e.id}: ${fields.join(', ')} ${fields.length === 1 ? JSON.stringify(keyPart(e[fields[0]] ?? null)) : key} already used by ${owner}`);
        yield;
      }
    }
  }
}
