// Deltas between two configs (docs/sync-protocol.md, "Deltas"): what the control plane sends instead of a
// whole snapshot when a data plane already serves the previous one, and how a data plane applies one to
// its validated config, checking only what changed: the changed entities against their schemas, the
// references from them and to removed entities, and the unique keys they hold. Pure: no I/O.
import { CONFIG_COLLECTIONS, type ConfigCollection } from './canonical';
import { applyToListSteps, entities } from './config-diff';
import { foreignFields, uniqueKey, uniqueSets, type StoredEntity, type UniqueSet } from './config-integrity';
import type { PluginLookup } from './entities/plugin';
import { ArchwayError } from './errors';
import { forEachInSteps, runSteps, type Steps } from './steps';
import type { ConfigSet } from './types';
import { validateStored } from './validate-config';

/** What turns the config base_version/base_hash into version/hash. */
export interface ConfigDelta {
  baseVersion: number;
  baseHash: string;
  version: number;
  hash: string;
  /** added or changed entities, whole (every collection present, most empty) */
  upserted: ConfigSet;
  /** removed ids per collection (every collection present, most empty) */
  removed: Record<ConfigCollection, string[]>;
}

/**
 * A validated config's id and unique-key lookups, kept across deltas by the data plane (built once from
 * a whole config, then updated by each delta that passes).
 */
export class ConfigIndex {
  /** collection -> id -> entity */
  readonly byId = new Map<ConfigCollection, Map<string, StoredEntity>>();
  /** `${collection}|${fields}` -> unique key -> owner id */
  readonly owners = new Map<string, Map<string, string>>();

  /** The index of `config`, built at once (specs); a data plane builds it in steps (buildSteps). */
  constructor(config?: ConfigSet) {
    if (config) runSteps(this.#fill(config));
  }

  /** The index of `config`, one step per few hundred entities. */
  static *buildSteps(config: ConfigSet): Steps<ConfigIndex> {
    const index = new ConfigIndex();
    yield* index.#fill(config);
    return index;
  }

  *#fill(config: ConfigSet): Steps<void> {
    for (const kind of CONFIG_COLLECTIONS) {
      const ids = new Map<string, StoredEntity>();
      const list = entities(config, kind);
      yield* forEachInSteps(list, (e) => ids.set(e.id, e), 512);
      this.byId.set(kind, ids);
      for (const set of uniqueSets(kind)) {
        const owners = new Map<string, string>();
        yield* forEachInSteps(list, (e) => {
          const k = uniqueKey(e, set);
          if (k) owners.set(k.key, e.id);
        });
        this.owners.set(setName(kind, set), owners);
      }
    }
  }
}

function setName(kind: ConfigCollection, set: UniqueSet): string {
  return `${kind}|${set.fields.join(',')}`;
}

/** Collections with a foreign key to `kind`, and the field. */
const REFERRERS = new Map<ConfigCollection, [ConfigCollection, string][]>();
for (const kind of CONFIG_COLLECTIONS)
  for (const [field, target] of foreignFields(kind)) {
    const list = REFERRERS.get(target) ?? [];
    list.push([kind, field]);
    REFERRERS.set(target, list);
  }

/** The result of validateDeltaSteps: the new validated config; commit() moves the index to it. */
export interface AppliedDelta {
  config: ConfigSet;
  /** validated form of each upserted entity, by `${collection}:${id}` */
  validated: Map<string, StoredEntity>;
  commit(): void;
}

/**
 * Applies a delta's changes to `base` (a validated config, `index` its lookups) and checks only what
 * they touch: every upserted entity against its schema (plugins against their plugin's), its foreign
 * keys, the references of unchanged entities to removed ones, and unique keys. Throws one ArchwayError
 * listing every problem; `index` is changed only by commit(). One upserted entity per step.
 */
export function* applyDeltaSteps(
  base: ConfigSet,
  index: ConfigIndex,
  delta: Pick<ConfigDelta, 'upserted' | 'removed'>,
  lookup: PluginLookup,
): Steps<AppliedDelta> {
  const problems: string[] = [];
  const validated = new Map<string, StoredEntity>();
  const removedSets = new Map<ConfigCollection, Set<string>>();
  const upsertIds = new Map<ConfigCollection, Map<string, StoredEntity>>();
  for (const kind of CONFIG_COLLECTIONS) {
    const ids = index.byId.get(kind) as Map<string, StoredEntity>;
    const removed = new Set(delta.removed[kind]);
    for (const id of removed) if (!ids.has(id)) problems.push(`${kind} ${id}: removed, but not in the base config`);
    removedSets.set(kind, removed);
    const ups = new Map<string, StoredEntity>();
    for (const raw of (delta.upserted[kind] ?? []) as unknown as Record<string, unknown>[]) {
      const label = typeof raw?.id === 'string' ? raw.id : '?';
      try {
        const e = validateStored(kind, raw, lookup);
        if (ups.has(e.id) || removed.has(e.id)) problems.push(`${kind} ${e.id}: more than once in the delta`);
        ups.set(e.id, e);
        validated.set(`${kind}:${e.id}`, e);
      } catch (err) {
        problems.push(`${kind} ${label}: ${err instanceof Error ? err.message : String(err)}`);
      }
      yield;
    }
    upsertIds.set(kind, ups);
  }
  const exists = (kind: ConfigCollection, id: string): boolean =>
    (upsertIds.get(kind) as Map<string, StoredEntity>).has(id) ||
    ((index.byId.get(kind) as Map<string, StoredEntity>).has(id) && !(removedSets.get(kind) as Set<string>).has(id));
  // references from the upserted entities
  for (const [kind, ups] of upsertIds)
    for (const e of ups.values()) {
      for (const [field, target] of foreignFields(kind)) {
        const ref = e[field] as { id: string } | null;
        if (ref && !exists(target, ref.id)) problems.push(`${kind} ${e.id}: ${field} ${ref.id} does not exist`);
      }
      if (kind === 'services')
        for (const ca of (e.ca_certificates as string[] | null) ?? [])
          if (!exists('ca_certificates', ca)) problems.push(`services ${e.id}: ca_certificate ${ca} does not exist`);
    }
  // references of unchanged entities to removed ones
  for (const [kind, removed] of removedSets) {
    if (removed.size === 0) continue;
    for (const [referrer, field] of REFERRERS.get(kind) ?? []) {
      const ups = upsertIds.get(referrer) as Map<string, StoredEntity>;
      const gone = removedSets.get(referrer) as Set<string>;
      let n = 0;
      for (const e of (index.byId.get(referrer) as Map<string, StoredEntity>).values()) {
        const ref = e[field] as { id: string } | null;
        if (ref && removed.has(ref.id) && !ups.has(e.id) && !gone.has(e.id)) problems.push(`${referrer} ${e.id}: ${field} ${ref.id} does not exist`);
        if (++n % 512 === 0) yield;
      }
      yield;
    }
    if (kind === 'ca_certificates')
      for (const s of (index.byId.get('services') as Map<string, StoredEntity>).values())
        if (!upsertIds.get('services')?.has(s.id) && !removedSets.get('services')?.has(s.id))
          for (const ca of (s.ca_certificates as string[] | null) ?? [])
            if (removed.has(ca)) problems.push(`services ${s.id}: ca_certificate ${ca} does not exist`);
  }
  // unique keys: those of removed and replaced entities are freed, those of upserted ones taken
  const freed: [Map<string, string>, string, string][] = [];
  const taken: [Map<string, string>, string, string][] = [];
  for (const kind of CONFIG_COLLECTIONS) {
    const ups = upsertIds.get(kind) as Map<string, StoredEntity>;
    const removed = removedSets.get(kind) as Set<string>;
    if (ups.size === 0 && removed.size === 0) continue;
    const ids = index.byId.get(kind) as Map<string, StoredEntity>;
    for (const set of uniqueSets(kind)) {
      const owners = index.owners.get(setName(kind, set)) as Map<string, string>;
      const released = new Set<string>();
      for (const id of [...removed, ...ups.keys()]) {
        const old = ids.get(id);
        const k = old && uniqueKey(old, set);
        if (k && owners.get(k.key) === id) {
          released.add(k.key);
          freed.push([owners, k.key, id]);
        }
      }
      const claimed = new Map<string, string>();
      for (const e of ups.values()) {
        const k = uniqueKey(e, set);
        if (!k) continue;
        const owner = claimed.get(k.key) ?? (released.has(k.key) ? undefined : owners.get(k.key));
        if (owner !== undefined && owner !== e.id) problems.push(`${kind} ${e.id}: ${k.label} already used by ${owner}`);
        claimed.set(k.key, e.id);
        taken.push([owners, k.key, e.id]);
      }
    }
  }
  if (problems.length) throw new ArchwayError(2, `invalid config: ${problems.join('; ')}`);
  const config = { ...base } as unknown as Record<ConfigCollection, StoredEntity[]>;
  for (const kind of CONFIG_COLLECTIONS) {
    const ups = upsertIds.get(kind) as Map<string, StoredEntity>;
    const removed = removedSets.get(kind) as Set<string>;
    if (ups.size || removed.size) config[kind] = yield* applyToListSteps(entities(base, kind), [...ups.values()], removed);
  }
  return {
    config: config as unknown as ConfigSet,
    validated,
    commit: () => {
      for (const [owners, key, id] of freed) if (owners.get(key) === id) owners.delete(key);
      for (const [owners, key, id] of taken) owners.set(key, id);
      for (const kind of CONFIG_COLLECTIONS) {
        const ids = index.byId.get(kind) as Map<string, StoredEntity>;
        for (const id of removedSets.get(kind) as Set<string>) ids.delete(id);
        for (const e of (upsertIds.get(kind) as Map<string, StoredEntity>).values()) ids.set(e.id, e);
      }
    },
  };
}
