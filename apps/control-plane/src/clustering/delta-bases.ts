// The published snapshots a delta to the newest may start from (docs/sync-protocol.md, "Deltas"). A data
// plane that fell a few snapshots behind (still applying one while a burst of writes was published,
// or back on a new stream after a moment away) gets what changed since the config it serves instead of
// the whole config. The snapshots kept share every unchanged entity with the newest, so keeping one
// costs the lists its writes replaced and the entities they replaced; a base from which half the
// newest snapshot's entities changed is let go, as its delta would be no smaller than the snapshot.
import { deltaSize, diffConfigs, type EntityDigests, type Snapshot, type SnapshotChanges } from '@archway/schema';

/** At most this many snapshots published before the newest are kept as bases. */
export const DELTA_BASES = 64;

/** A published snapshot, with its builder's delta from the snapshot it was built from when it has one. */
export type PublishedSnapshot = Snapshot & { readonly changes?: SnapshotChanges };

/** What turns one config into another: the entities upserted and the ids removed. */
export type Changes = Pick<SnapshotChanges, 'upserted' | 'removed'>;

interface Base {
  snapshot: PublishedSnapshot;
  /** entities changed since it, summed publish by publish (an entity changed twice counts twice) */
  changedSince: number;
}

function entityCount(snapshot: Snapshot): number {
  let n = 0;
  for (const list of Object.values(snapshot.config)) n += (list as unknown[]).length;
  return n;
}

export class DeltaBases {
  /** oldest first; the last is the snapshot published just before the newest */
  readonly #bases: Base[] = [];
  /** what turns the last base into the newest */
  #lastChanges: Changes | null = null;

  /** `digests`: entity digests by object, so a comparison hashes only entities the builder did not reuse */
  constructor(private readonly digests: EntityDigests) {}

  /**
   * `next` is published after `current`: `current` becomes a base. Its changes to `next` are the
   * builder's when it built `next` from `current` (an incremental build); otherwise the two configs
   * compared (by id, then content).
   */
  advance(current: PublishedSnapshot, next: PublishedSnapshot): void {
    const built = next.changes;
    const changes = built && built.from.version === current.version && built.from.hash === current.hash ? built : diffConfigs(current.config, next.config, this.digests);
    const size = deltaSize(changes);
    for (const base of this.#bases) base.changedSince += size;
    this.#bases.push({ snapshot: current, changedSince: size });
    this.#lastChanges = changes;
    const half = entityCount(next) / 2;
    while (this.#bases.length > DELTA_BASES || (this.#bases.length > 1 && this.#bases[0].changedSince > half)) this.#bases.shift();
  }

  /** The base that is the config `served` (same version and hash), if one is kept. */
  find(served: { version: number | null; hash: string | null }): PublishedSnapshot | null {
    for (let i = this.#bases.length - 1; i >= 0; i--) {
      const { snapshot } = this.#bases[i];
      if (snapshot.version === served.version && snapshot.hash === served.hash) return snapshot;
    }
    return null;
  }

  /**
   * What turns `base` (from find) into `newest`, the snapshot published last: known for the base just
   * before it; for an older one, the two configs compared (one pass over the collections that differ:
   * a few ms per 10,000 entities, as unchanged entities are the same objects).
   */
  changes(base: PublishedSnapshot, newest: PublishedSnapshot): Changes {
    const last = this.#bases.at(-1);
    if (last && last.snapshot === base && this.#lastChanges) return this.#lastChanges;
    return diffConfigs(base.config, newest.config, this.digests);
  }
}
