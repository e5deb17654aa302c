// What the delta that made a snapshot changed, remembered by the snapshot's config object (off the
// wire, in this process; a delta always makes a new one), so that it is found from the snapshot or a
// copy of it (ConfigStore caches { version, hash, config } of its runtime, not the checker's object),
// by whoever goes from the snapshot before to this one: the compile (which routes to file and take
// out of the router, instead of comparing every route) and the primary's sender to its proxy workers
// and the disk cache's journal (which entities to write, instead of comparing every collection). The
// sync client's checker records it for a delta it checked, a worker's parts receiver for a change its
// primary sent.
import { diffByIdentitySteps, type ConfigCollection, type IdentityChanges, type Snapshot, type Steps } from '@archway/schema';

export interface AppliedChanges {
  /** the snapshot the changes were applied to */
  readonly from: Snapshot;
  /** the entities put in (this snapshot's own objects) and the ids taken out, by collection (only those with some) */
  readonly upserted: Partial<Record<ConfigCollection, unknown[]>>;
  readonly removed: Partial<Record<ConfigCollection, string[]>>;
  /** `from`'s entities taken out (removed or replaced), by collection (only those with some): the compile's route changes, the plugin indexes' updates */
  readonly dropped: Partial<Record<ConfigCollection, unknown[]>>;
}

const changes = new WeakMap<Snapshot['config'], AppliedChanges>();

export function recordChanges(snapshot: Snapshot, made: AppliedChanges): void {
  changes.set(snapshot.config, made);
}

/** What made `snapshot` from the snapshot before it, when a delta did in this process. */
export function changesOf(snapshot: Snapshot): AppliedChanges | undefined {
  return changes.get(snapshot.config);
}

/**
 * What changed from `from` to `snapshot` (as diffByIdentity gives it), or null from `limit` changed
 * entities on (a whole snapshot is then the better message): as recorded when a delta made `snapshot`
 * from `from`, else found by comparing the two configs by identity, a few hundred entities per step.
 */
export function* changesSinceSteps(from: Snapshot, snapshot: Snapshot, limit: number): Steps<IdentityChanges | null> {
  const made = changes.get(snapshot.config);
  if (made?.from.config !== from.config) return yield* diffByIdentitySteps(from.config, snapshot.config, limit);
  let n = 0;
  for (const list of Object.values(made.upserted)) n += list.length;
  for (const ids of Object.values(made.removed)) n += ids.length;
  return n < limit ? { upserted: made.upserted, removed: made.removed } : null;
}
