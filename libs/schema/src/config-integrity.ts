// Whole-config rules that no single entity can check: references resolve, and unique keys are unique
// across the set (as the control plane's database enforces them), so a data plane never has to guess
// which of two `key-auth` credentials with one key is meant.
import { CONFIG_COLLECTIONS, type ConfigCollection } from './canonical';
import { entitySchema } from './entities/registry';
import { uniqueFields } from './entity';
import { forEachInSteps, type Steps } from './steps';

export type StoredEntity = Record<string, unknown> & { id: string };
export type Collections = Record<ConfigCollection, StoredEntity[]>;

/** A collection's foreign keys: [field, the collection it references]. */
export function foreignFields(kind: ConfigCollection): readonly (readonly [string, ConfigCollection])[] {
  return Object.entries(entitySchema(kind).fields).flatMap(([field, def]) =>
    def.type === 'foreign' ? [[field, def.reference as ConfigCollection] as const] : [],
  );
}

/**
 * Every foreign key (route→service, plugin→route/service/consumer, credential→consumer, ...) names an
 * entity in the set; one step per entity, and per few hundred ids gathered (see steps.ts).
 */
export function* checkReferences(config: Collections, problems: string[]): Steps<void> {
  // gathered in steps: 30,000 ids at once were a step of 10-30 ms
  const ids = new Map<string, Set<string>>();
  for (const kind of CONFIG_COLLECTIONS) {
    const set = new Set<string>();
    yield* forEachInSteps(config[kind], (e) => set.add(e.id));
    ids.set(kind, set);
  }
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

function keyPart(v: unknown): unknown {
  return v !== null && typeof v === 'object' && 'id' in v ? (v as { id: unknown }).id : v;
}

export interface UniqueSet {
  readonly fields: readonly string[];
  /** null counts as a value (a plugin's name, route, service, consumer); else an entity with a null is exempt */
  readonly nullsEqual: boolean;
}

/** A collection's unique fields and unique field sets, as the database enforces them. */
export function uniqueSets(kind: ConfigCollection): readonly UniqueSet[] {
  const schema = entitySchema(kind);
  return [
    ...uniqueFields(schema).map((f) => ({ fields: [f], nullsEqual: false })),
    ...(schema.uniques ?? []).map((s) => ({ fields: [...s], nullsEqual: kind === 'plugins' })),
  ];
}

/** The key of `e` in a unique set (null when the entity is exempt), and how a problem names it. */
export function uniqueKey(e: StoredEntity, set: UniqueSet): { key: string; label: string } | null {
  const values = set.fields.map((f) => keyPart(e[f] ?? null));
  if (!set.nullsEqual && values.some((v) => v === null)) return null;
  const key = JSON.stringify(values);
  return { key, label: `${set.fields.join(', ')} ${set.fields.length === 1 ? JSON.stringify(values[0]) : key}` };
}

/**
 * Unique fields and unique field sets hold across each collection. As in the database, an entity with
 * a null in the set is exempt, except in a plugin's (name, route, service, consumer), where null is a
 * value (NULLS NOT DISTINCT): one global `rate-limiting`, not two.
 */
export function* checkUniques(config: Collections, problems: string[]): Steps<void> {
  for (const kind of CONFIG_COLLECTIONS) {
    for (const set of uniqueSets(kind)) {
      const owners = new Map<string, string>();
      for (const e of config[kind]) {
        const k = uniqueKey(e, set);
        if (k === null) continue;
        const owner = owners.get(k.key);
        if (owner === undefined) owners.set(k.key, e.id);
        else problems.push(`${kind} ${e.id}: ${k.label} already used by ${owner}`);
        yield;
      }
    }
  }
}
