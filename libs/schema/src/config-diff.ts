// What changed between two configs, and a config with changes put in, unchecked (config-delta.ts
// checks them): the control plane's diff (by id, then content digest), the data plane primary's diff
// for its workers (by object identity), and the list surgery both ends share. Pure: no I/O.
import { CONFIG_COLLECTIONS, emptyConfig, type ConfigCollection, type EntityDigests } from './canonical';
import type { StoredEntity } from './config-integrity';
import type { ConfigSet } from './types';
import type { ConfigDelta } from './config-delta';
import { patchSortedList } from './sorted-list';
import { forEachInSteps, runSteps, type Steps } from './steps';

/**
 * Entities walked between two steps of the list work below: a data plane runs it in time slices on its
 * proxy's event loop, and one pass over a 10,000-entity collection is a few ms, longer than a slice.
 */
const LIST_STEP = 512;

export function emptyRemoved(): Record<ConfigCollection, string[]> {
  return Object.fromEntries(CONFIG_COLLECTIONS.map((k) => [k, []])) as unknown as Record<ConfigCollection, string[]>;
}

/** One collection of a config, as plain records. */
export function entities(config: ConfigSet, kind: ConfigCollection): StoredEntity[] {
  return (config[kind] ?? []) as unknown as StoredEntity[];
}

/** Entities in a config, all collections together. */
export function entityCount(config: ConfigSet): number {
  let n = 0;
  for (const list of Object.values(config)) if (Array.isArray(list)) n += list.length;
  return n;
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
function* diffListSteps(
  before: readonly StoredEntity[],
  after: readonly StoredEntity[],
  same: (old: StoredEntity, next: StoredEntity) => boolean,
): Steps<{ upserted: StoredEntity[]; removed: string[] }> {
  const gone = new Map<string, StoredEntity>();
  yield* forEachInSteps(before, (e) => gone.set(e.id, e), LIST_STEP);
  const upserted: StoredEntity[] = [];
  for (let i = 0; i < after.length; i++) {
    const e = after[i];
    const old = gone.get(e.id);
    if (old === undefined) upserted.push(e);
    else {
      gone.delete(e.id);
      if (old !== e && !same(old, e)) upserted.push(e);
    }
    if (i % LIST_STEP === LIST_STEP - 1) yield;
  }
  return { upserted, removed: [...gone.keys()] };
}

/** What turns one snapshot's config into the next's: a delta before it is encoded (sync-protocol.md). */
export interface SnapshotChanges extends Pick<ConfigDelta, 'upserted' | 'removed'> {
  /** the snapshot these changes apply to */
  readonly from: { version: number; hash: string };
}

/** The entities `next` adds or changes and the ids it removes, against `prev` (by id, then content). */
export function diffConfigs(prev: ConfigSet, next: ConfigSet, digests: EntityDigests): Pick<ConfigDelta, 'upserted' | 'removed'> {
  const upserted = emptyConfig() as unknown as Record<ConfigCollection, StoredEntity[]>;
  const removed = emptyRemoved();
  for (const kind of CONFIG_COLLECTIONS) {
    const before = entities(prev, kind);
    const after = entities(next, kind);
    if (before === after) continue;
    const changes = runSteps(diffListSteps(before, after, (old, e) => digests.of(kind, old) === digests.of(kind, e)));
    upserted[kind] = changes.upserted;
    removed[kind] = changes.removed;
  }
  return { upserted: upserted as unknown as ConfigSet, removed };
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Consecutive changes (`links[0]` applies to `base`, each next one to the config the one before gives)
 * as one: each entity's last state, in id order. An id removed in the end is removed only if `base`
 * held it: known when the chain removes it before it upserts it; looked up in `base` otherwise (an
 * entity created and deleted within the chain), rarely. O(entities in the links), not O(config).
 */
export function composeChanges(links: readonly Pick<ConfigDelta, 'upserted' | 'removed'>[], base: ConfigSet): Pick<ConfigDelta, 'upserted' | 'removed'> {
  const upserted = emptyConfig() as unknown as Record<ConfigCollection, StoredEntity[]>;
  const removed = emptyRemoved();
  for (const kind of CONFIG_COLLECTIONS) {
    /** id -> its last state (null: removed); the first state met tells whether the base held it */
    const last = new Map<string, StoredEntity | null>();
    const heldByBase = new Set<string>();
    for (const link of links) {
      for (const id of link.removed[kind] ?? []) {
        if (!last.has(id)) heldByBase.add(id);
        last.set(id, null);
      }
      for (const e of entities(link.upserted, kind)) last.set(e.id, e);
    }
    if (last.size === 0) continue;
    let baseIds: Set<string> | null = null;
    for (const [id, e] of last) {
      if (e !== null) upserted[kind].push(e);
      else if (heldByBase.has(id) || (baseIds ??= new Set(entities(base, kind).map(idOf))).has(id)) removed[kind].push(id);
    }
    upserted[kind].sort(byId);
    removed[kind].sort();
  }
  return { upserted: upserted as unknown as ConfigSet, removed };
}
const idOf = (e: StoredEntity) => e.id;

/**
 * Lists known to be in id order: those applyToListSteps made from a list in id order, or found to be in
 * it on its pass. Config lists are never written after they are made (a delta makes new ones), and a
 * checked config has no id twice.
 */
const ID_ORDERED = new WeakSet<readonly StoredEntity[]>();

/**
 * `list` without `removed`, with `upserts` replacing their namesakes in place; new ones inserted in id
 * order; the entities of `list` taken out (removed or replaced) pushed onto `dropped` when given. A list
 * known to be in id order (the case of every delta after the first on a config) is edited where a few
 * hundred changes at most fall, found by binary search, and copied around them: O(changes × log n)
 * lookups instead of two map lookups per entity. Otherwise the list is walked, one step per few
 * hundred entities.
 */
export function* applyToListSteps(
  list: readonly StoredEntity[],
  upserts: readonly StoredEntity[],
  removed: ReadonlySet<string>,
  dropped?: StoredEntity[],
): Steps<StoredEntity[]> {
  if (ID_ORDERED.has(list) && upserts.length + removed.size <= LIST_STEP) return applyToOrderedList(list, upserts, removed, dropped);
  const replace = new Map<string, StoredEntity>();
  for (const e of upserts) replace.set(e.id, e);
  const out: StoredEntity[] = [];
  // whether `out` is in id order, which the control plane sends and a delta keeps
  let sorted = true;
  for (let i = 0; i < list.length; i++) {
    const e = list[i];
    if (i % LIST_STEP === LIST_STEP - 1) yield;
    if (removed.has(e.id)) {
      dropped?.push(e);
      continue;
    }
    const r = replace.get(e.id);
    if (r !== undefined) {
      replace.delete(e.id);
      dropped?.push(e);
    }
    const next = r ?? e;
    if (sorted && out.length > 0 && out[out.length - 1].id > next.id) sorted = false;
    out.push(next);
  }
  if (replace.size === 0) {
    if (sorted) ID_ORDERED.add(out);
    return out;
  }
  const added = [...replace.values()].sort(byId);
  if (!sorted) return out.concat(added);
  // merge the new ones in
  const merged: StoredEntity[] = [];
  let i = 0;
  for (const a of added) {
    while (i < out.length && out[i].id < a.id) {
      merged.push(out[i++]);
      if (i % LIST_STEP === 0) yield;
    }
    merged.push(a);
  }
  while (i < out.length) {
    merged.push(out[i++]);
    if (i % LIST_STEP === 0) yield;
  }
  ID_ORDERED.add(merged);
  return merged;
}

/** applyToListSteps on a list in id order, in one step (a copy): each change put where its id belongs. */
function applyToOrderedList(
  list: readonly StoredEntity[],
  upserts: readonly StoredEntity[],
  removed: ReadonlySet<string>,
  dropped?: StoredEntity[],
): StoredEntity[] {
  // as on the walk: the last upsert of an id wins, and an upsert of a removed id takes its place
  const changes = new Map<string, StoredEntity | null>();
  for (const id of removed) changes.set(id, null);
  for (const e of upserts) changes.set(e.id, e);
  const out = patchSortedList(list, changes, idOf, dropped);
  ID_ORDERED.add(out);
  return out;
}

/**
 * `base` with `removed` taken out and `upserted` put in (in place of their namesakes; new ones in id
 * order), nothing checked: for a config checked elsewhere (a data plane's primary passing a change to
 * its workers, the disk cache's journal). Unchanged collections are `base`'s own arrays.
 */
export function* patchConfigSteps(
  base: ConfigSet,
  upserted: Partial<Record<ConfigCollection, unknown[]>>,
  removed: Partial<Record<ConfigCollection, string[]>>,
  /** given: gets, per collection changed, `base`'s entities taken out (removed or replaced) */
  dropped?: Partial<Record<ConfigCollection, StoredEntity[]>>,
): Steps<ConfigSet> {
  const out = { ...base } as unknown as Record<ConfigCollection, StoredEntity[]>;
  for (const kind of CONFIG_COLLECTIONS) {
    const ups = (upserted[kind] ?? []) as StoredEntity[];
    const gone = removed[kind] ?? [];
    if (ups.length || gone.length) out[kind] = yield* applyToListSteps(entities(base, kind), ups, new Set(gone), dropped && (dropped[kind] = []));
  }
  return out as unknown as ConfigSet;
}

/** patchConfigSteps at once. */
export function patchConfig(base: ConfigSet, upserted: Partial<Record<ConfigCollection, unknown[]>>, removed: Partial<Record<ConfigCollection, string[]>>): ConfigSet {
  return runSteps(patchConfigSteps(base, upserted, removed));
}

/** What diffByIdentity finds: changed entities and removed ids, only the collections that have some. */
export interface IdentityChanges {
  upserted: Partial<Record<ConfigCollection, unknown[]>>;
  removed: Partial<Record<ConfigCollection, string[]>>;
}

/**
 * What `next` adds or changes against `prev`, by object identity (an unchanged entity is the same object
 * in both: what a data plane's checker keeps), with the ids it removes; null when at least `limit`
 * entities changed. One step per few hundred entities.
 */
export function* diffByIdentitySteps(prev: ConfigSet, next: ConfigSet, limit: number): Steps<IdentityChanges | null> {
  const upserted: IdentityChanges['upserted'] = {};
  const removed: IdentityChanges['removed'] = {};
  let changes = 0;
  for (const kind of CONFIG_COLLECTIONS) {
    const before = entities(prev, kind);
    const after = entities(next, kind);
    if (before === after) continue;
    const list = yield* diffListSteps(before, after, () => false);
    changes += list.upserted.length + list.removed.length;
    if (changes >= limit) return null;
    if (list.upserted.length) upserted[kind] = list.upserted;
    if (list.removed.length) removed[kind] = list.removed;
  }
  return { upserted, removed };
}

/** diffByIdentitySteps at once. */
export function diffByIdentity(prev: ConfigSet, next: ConfigSet, limit: number): IdentityChanges | null {
  return runSteps(diffByIdentitySteps(prev, next, limit));
}
