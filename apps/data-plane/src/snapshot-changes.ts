// What the delta that made a snapshot changed, remembered by snapshot object (off the wire, in this
// process) for whoever goes from the snapshot before to this one: the compile (which routes to file
// and take out of the router, instead of comparing every route) and the primary's sender to its proxy
// workers and the disk cache's journal (which entities to write, instead of comparing every
// collection). The sync client's checker records it for a delta it checked, a worker's parts receiver
// for a change its primary sent.
import type { ConfigCollection, IdentityChanges, Route, Snapshot } from '@archway/schema';

export interface AppliedChanges {
  /** the snapshot the changes were applied to */
  readonly from: Snapshot;
  /** the entities put in (this snapshot's own objects) and the ids taken out, by collection (only those with some) */
  readonly upserted: Partial<Record<ConfigCollection, unknown[]>>;
  readonly removed: Partial<Record<ConfigCollection, string[]>>;
  /** the routes put in, and `from`'s route objects taken out (removed or replaced) */
  readonly routes: { readonly added: readonly Route[]; readonly removed: readonly Route[] };
}

const changes = new WeakMap<Snapshot, AppliedChanges>();

export function recordChanges(snapshot: Snapshot, made: AppliedChanges): void {
  changes.set(snapshot, made);
}

/** What made `snapshot` from the snapshot before it, when a delta did in this process. */
export function changesOf(snapshot: Snapshot): AppliedChanges | undefined {
  return changes.get(snapshot);
}

/**
 * The changes from `from` to `snapshot` as recorded (as diffByIdentity gives them), null when they reach
 * `limit` entities (a whole snapshot is then the better message), undefined when none were recorded
 * from `from`: the caller compares the two configs then.
 */
export function recordedChanges(from: Snapshot, snapshot: Snapshot, limit: number): IdentityChanges | null | undefined {
  const made = changes.get(snapshot);
  if (made?.from !== from) return undefined;
  let n = 0;
  for (const list of Object.values(made.upserted)) n += list.length;
  for (const ids of Object.values(made.removed)) n += ids.length;
  return n < limit ? { upserted: made.upserted, removed: made.removed } : null;
}
