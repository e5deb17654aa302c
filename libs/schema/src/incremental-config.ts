// A validated config kept whole across changes, one entity at a time. The rules validateConfig checks
// across the set (references resolve, unique keys are unique: config-integrity.ts) are checked again
// only where a changed entity can break them: its own references, the references to it, its unique
// keys. The control plane keeps one between snapshot builds (snapshots/build-snapshot.ts). Sound, not
// verbose: a change it reports problems for leaves the index unusable, and the caller validates the
// whole config instead, which names every problem as validateConfig always does.
import { CONFIG_COLLECTIONS, type ConfigCollection } from './canonical';
import { foreignFields, uniqueKey, uniqueSets, type Collections, type StoredEntity } from './config-integrity';
import { patchSortedList } from './sorted-list';
import type { ConfigSet } from './types';

/**
 * An entity's identity in the index: its id in lower case. A uuid's letters may be written in either
 * case and the database's uuid column ignores it (its order is the order of these keys).
 */
export function entityKey(id: string): string {
  return id.toLowerCase();
}

/** One entity created, replaced (`entity` validated) or deleted (`entity` null). */
export interface EntityChange {
  kind: ConfigCollection;
  /** entityKey of its id */
  key: string;
  entity: StoredEntity | null;
}

const keyOf = (e: StoredEntity) => entityKey(e.id);
const byKey = (a: StoredEntity, b: StoredEntity) => {
  const x = entityKey(a.id);
  const y = entityKey(b.id);
  return x < y ? -1 : x > y ? 1 : 0;
};

/** One id an entity names: `kind` is the collection it must be in (checkReferences' rules). */
interface Reference {
  kind: ConfigCollection;
  id: string;
}

const FOREIGN = new Map<ConfigCollection, ReturnType<typeof foreignFields>>();

/** Every id `e`, an entity of `kind`, names: its foreign keys, and a service's trusted CAs. */
function referencesOf(kind: ConfigCollection, e: StoredEntity): Reference[] {
  let foreign = FOREIGN.get(kind);
  if (!foreign) FOREIGN.set(kind, (foreign = foreignFields(kind)));
  const out: Reference[] = [];
  for (const [field, reference] of foreign) {
    const ref = e[field] as { id: string } | null;
    if (ref) out.push({ kind: reference, id: ref.id });
  }
  if (kind === 'services') for (const ca of (e.ca_certificates as string[] | null) ?? []) out.push({ kind: 'ca_certificates', id: ca });
  return out;
}

/** Up to this many changes to one collection are put in where their keys belong (sorted-list.ts), more are merged. */
const SPLICE_MAX = 64;

export class IncrementalConfig {
  /** every collection, sorted by entityKey; a changed collection gets a new array (published ones are never mutated) */
  readonly #lists = {} as Collections;
  readonly #entities = new Map<ConfigCollection, Map<string, StoredEntity>>();
  /** per collection, per unique key set (uniqueKeySets order): key -> id of the entity holding it */
  readonly #owners = new Map<ConfigCollection, Map<string, string>[]>();
  /** `${kind}\0${id}` -> how many references (referencesOf) name that entity */
  readonly #referenced = new Map<string, number>();

  /** Indexes a config validateConfig accepted (so its keys are unique and its references resolve). */
  constructor(config: ConfigSet) {
    const source = config as unknown as Collections;
    for (const kind of CONFIG_COLLECTIONS) {
      const list = source[kind] ?? [];
      let sorted = true;
      for (let i = 1; i < list.length && sorted; i++) sorted = byKey(list[i - 1], list[i]) <= 0;
      this.#lists[kind] = sorted ? list : [...list].sort(byKey);
      this.#entities.set(kind, new Map(list.map((e) => [entityKey(e.id), e])));
      this.#owners.set(kind, uniqueSets(kind).map(() => new Map<string, string>()));
      for (const e of list) this.#index(kind, e, []);
    }
  }

  /** The config as it now is. Collections no change touched are the arrays of the previous config. */
  config(): ConfigSet {
    return { ...this.#lists } as unknown as ConfigSet;
  }

  /** The entity of `kind` with entityKey `key`, if any. */
  get(kind: ConfigCollection, key: string): StoredEntity | undefined {
    return this.#entities.get(kind)?.get(key);
  }

  /**
   * Applies `changes` (the last change of an entity wins) and returns the problems they leave: a
   * reference that does not resolve, an entity still referenced after its deletion, a unique key held
   * twice. Any problem: the index no longer describes a valid config; do not use it again.
   */
  apply(changes: readonly EntityChange[]): string[] {
    const byKind = new Map<ConfigCollection, Map<string, StoredEntity | null>>();
    for (const c of changes) {
      let m = byKind.get(c.kind);
      if (!m) byKind.set(c.kind, (m = new Map()));
      m.set(c.key, c.entity);
    }
    const problems: string[] = [];
    const gone: [ConfigCollection, string][] = [];
    // every old version out of the indexes before any new one goes in (two entities may swap a key)
    for (const [kind, m] of byKind) {
      const entities = this.#entities.get(kind) as Map<string, StoredEntity>;
      for (const [key, next] of m) {
        const old = entities.get(key);
        if (old) {
          this.#unindex(kind, old);
          if (!next || next.id !== old.id) gone.push([kind, old.id]);
        }
        if (next) entities.set(key, next);
        else entities.delete(key);
      }
    }
    for (const [kind, m] of byKind) for (const next of m.values()) if (next) this.#index(kind, next, problems);
    for (const [kind, m] of byKind)
      for (const next of m.values()) {
        if (!next) continue;
        for (const ref of referencesOf(kind, next))
          if (this.get(ref.kind, entityKey(ref.id))?.id !== ref.id) problems.push(`${kind} ${next.id}: ${ref.kind} ${ref.id} does not exist`);
      }
    for (const [kind, id] of gone)
      if ((this.#referenced.get(`${kind}\0${id}`) ?? 0) > 0) problems.push(`${kind} ${id}: deleted but still referenced`);
    for (const [kind, m] of byKind) this.#lists[kind] = patchList(this.#lists[kind], m);
    return problems;
  }

  #index(kind: ConfigCollection, e: StoredEntity, problems: string[]): void {
    const sets = uniqueSets(kind);
    const owners = this.#owners.get(kind) as Map<string, string>[];
    for (let i = 0; i < sets.length; i++) {
      const k = uniqueKey(e, sets[i]);
      if (k === null) continue;
      const owner = owners[i].get(k.key);
      if (owner !== undefined && owner !== e.id) problems.push(`${kind} ${e.id}: ${k.label} already used by ${owner}`);
      else owners[i].set(k.key, e.id);
    }
    for (const ref of referencesOf(kind, e)) {
      const k = `${ref.kind}\0${ref.id}`;
      this.#referenced.set(k, (this.#referenced.get(k) ?? 0) + 1);
    }
  }

  #unindex(kind: ConfigCollection, e: StoredEntity): void {
    const sets = uniqueSets(kind);
    const owners = this.#owners.get(kind) as Map<string, string>[];
    for (let i = 0; i < sets.length; i++) {
      const k = uniqueKey(e, sets[i]);
      if (k !== null && owners[i].get(k.key) === e.id) owners[i].delete(k.key);
    }
    for (const ref of referencesOf(kind, e)) {
      const k = `${ref.kind}\0${ref.id}`;
      const n = (this.#referenced.get(k) ?? 0) - 1;
      if (n > 0) this.#referenced.set(k, n);
      else this.#referenced.delete(k);
    }
  }
}

/** A new sorted list: `list` with the entities of `changes` (by key) replaced, added or (null) removed. */
function patchList(list: readonly StoredEntity[], changes: Map<string, StoredEntity | null>): StoredEntity[] {
  if (changes.size <= SPLICE_MAX) return patchSortedList(list, changes, keyOf);
  const kept = list.filter((e) => !changes.has(entityKey(e.id)));
  const added = [...changes.values()].filter((e): e is StoredEntity => e !== null).sort(byKey);
  const out: StoredEntity[] = new Array(kept.length + added.length);
  let i = 0;
  let j = 0;
  for (let k = 0; k < out.length; k++) out[k] = j >= added.length || (i < kept.length && byKey(kept[i], added[j]) <= 0) ? kept[i++] : added[j++];
  return out;
}
