// What changed between two configs, and a config with changes put in, unchecked (config-delta.ts
// checks them): the control plane's diff (by id, then content digest), the data plane primary's diff
// for its workers (by object identity), and the list surgery both ends share. Pure: no I/O.
import { CONFIG_COLLECTIONS, emptyConfig, type ConfigCollection, type EntityDigests } from './canonical';
import type { StoredEntity } from './config-integrity';
import type { ConfigSet } from './types';
import type { ConfigDelta } from './config-delta';

export function emptyRemoved(): Record<ConfigCollection, string[]> {
  return Object.fromEntries(CONFIG_COLLECTIONS.map((k) => [k, []])) as unknown as Record<ConfigCollection, string[]>;
}

/** One collection of a config, as plain records. */
export function entities(config: ConfigSet, kind: ConfigCollection): StoredEntity[] {
  return (config[kind] ?? []) as unknown as StoredEntity[];
}

/** Entities changed by a delta (upserted + removed). */
export function deltaSize(delta: Pick<ConfigDelta, 'upserted' | 'removed'>): number {
  let n = 0;
  for (const k of CONFIG_COLLECTIONS) n += delta.upserted[k].length + delta.removed[k].length;
  return n;
}

/**
 * One collection's changes from `before` to `after`: the entities added or changed (an entity under the
 * same id counts as changed unless `same(old, new)`) and the ids removed.
 */
function diffList(
  before: readonly StoredEntity[],
  after: readonly StoredEntity[],
  same: (old: StoredEntity, next: StoredEntity) => boolean,
): { upserted: StoredEntity[]; removed: string[] } {
  const gone = new Map<string, StoredEntity>();
  for (const e of before) gone.set(e.id, e);
  const upserted: StoredEntity[] = [];
  for (const e of after) {
    const old = gone.get(e.id);
    if (old === undefined) upserted.push(e);
    else {
      gone.delete(e.id);
      if (old !== e && !same(old, e)) upserted.push(e);
    }
  }
  return { upserted, removed: [...gone.keys()] };
}

/** The entities `next` adds or changes and the ids it removes, against `prev` (by id, then content). */
export function diffConfigs(prev: ConfigSet, next: ConfigSet, digests: EntityDigests): Pick<ConfigDelta, 'upserted' | 'removed'> {
  const upserted = emptyConfig() as unknown as Record<ConfigCollection, StoredEntity[]>;
  const removed = emptyRemoved();
  for (const kind of CONFIG_COLLECTIONS) {
    const before = entities(prev, kind);
    const after = entities(next, kind);
    if (before === after) continue;
    const changes = diffList(before, after, (old, e) => digests.of(kind, old) === digests.of(kind, e));
    upserted[kind] = changes.upserted;
    removed[kind] = changes.removed;
  }
  return { upserted: upserted as unknown as ConfigSet, removed };
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** `list` without `removed`, with `upserts` replacing their namesakes in place; new ones inserted in id order. */
export function applyToList(list: readonly StoredEntity[], upserts: readonly StoredEntity[], removed: ReadonlySet<string>): StoredEntity[] {
  const replace = new Map<string, StoredEntity>();
  for (const e of upserts) replace.set(e.id, e);
  const out: StoredEntity[] = [];
  for (const e of list) {
    if (removed.has(e.id)) continue;
    const r = replace.get(e.id);
    if (r !== undefined) replace.delete(e.id);
    out.push(r ?? e);
  }
  if (replace.size === 0) return out;
  const added = [...replace.values()].sort(byId);
  const sorted = out.every((e, i) => i === 0 || out[i - 1].id <= e.id);
  if (!sorted) return out.concat(added);
  // merge: the control plane sends collections in id order, and a delta keeps them so
  const merged: StoredEntity[] = [];
  let i = 0;
  for (const a of added) {
    while (i < out.length && out[i].id < a.id) merged.push(out[i++]);
    merged.push(a);
  }
  while (i < out.length) merged.push(out[i++]);
  return merged;
}

/**
 * `base` with `removed` taken out and `upserted` put in (in place of their namesakes; new ones in id
 * order), nothing checked: for a config checked elsewhere (a data plane's primary passing a change to
 * its workers). Unchanged collections are `base`'s own arrays.
 */
export function patchConfig(base: ConfigSet, upserted: Partial<Record<ConfigCollection, unknown[]>>, removed: Partial<Record<ConfigCollection, string[]>>): ConfigSet {
  const out = { ...base } as unknown as Record<ConfigCollection, StoredEntity[]>;
  for (const kind of CONFIG_COLLECTIONS) {
    const ups = (upserted[kind] ?? []) as StoredEntity[];
    const gone = removed[kind] ?? [];
    if (ups.length || gone.length) out[kind] = applyToList(entities(base, kind), ups, new Set(gone));
  }
  return out as unknown as ConfigSet;
}

/**
 * What `next` adds or changes against `prev`, by object identity (an unchanged entity is the same object
 * in both: what a data plane's checker keeps), with the ids it removes; null when at least `limit`
 * entities changed.
 */
export function diffByIdentity(prev: ConfigSet, next: ConfigSet, limit: number): { upserted: Partial<Record<ConfigCollection, unknown[]>>; removed: Partial<Record<ConfigCollection, string[]>> } | null {
  const upserted: Partial<Record<ConfigCollection, unknown[]>> = {};
  const removed: Partial<Record<ConfigCollection, string[]>> = {};
  let changes = 0;
  for (const kind of CONFIG_COLLECTIONS) {
    const before = entities(prev, kind);
    const after = entities(next, kind);
    if (before === after) continue;
    const list = diffList(before, after, () => false);
    changes += list.upserted.length + list.removed.length;
    if (changes >= limit) return null;
    if (list.upserted.length) upserted[kind] = list.upserted;
    if (list.removed.length) removed[kind] = list.removed;
  }
  return { upserted, removed };
}
