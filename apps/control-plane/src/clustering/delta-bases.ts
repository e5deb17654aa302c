// The published snapshots a delta to the newest may start from (docs/sync-protocol.md, "Deltas"). A data
// plane that fell a few snapshots behind (still applying one while a burst of writes was published,
// or back on a new stream after a moment away) gets what changed since the config it serves instead of
// the whole config. The snapshots kept share every unchanged entity with the newest, so keeping one
// costs the lists its writes replaced and the entities they replaced; a base from which half the
// newest snapshot's entities changed is let go, as its delta would be no smaller than the snapshot.
// Each base keeps what the publish after it changed; a delta from an older base composes those.
import { composeChanges, deltaSize, diffConfigs, entityCount, type EntityDigests, type Snapshot, type SnapshotChanges } from '@archway/schema';
import type { ServedConfig } from './data-plane-registry';

/** At most this many snapshots published before the newest are kept as bases. */
export const DELTA_BASES = 64;

/** A published snapshot, with its builder's delta from the snapshot it was built from when it has one. */
export type PublishedSnapshot = Snapshot & { readonly changes?: SnapshotChanges };

/** What turns one config into another: the entities upserted and the ids removed. */
export type Changes = Pick<SnapshotChanges, 'upserted' | 'removed'>;

interface Base {
  snapshot: PublishedSnapshot;
  /** what turns it into the snapshot published after it */
  toNext: Changes;
  /** entities changed since it, summed publish by publish (an entity changed twice counts twice) */
  changedSince: number;
}

export class DeltaBases {
  /** oldest first; the last is the snapshot published just before the newest */
  readonly #bases: Base[] = [];

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
    this.#bases.push({ snapshot: current, toNext: changes, changedSince: size });
    const half = entityCount(next.config) / 2;
    while (this.#bases.length > DELTA_BASES || (this.#bases.length > 1 && this.#bases[0].changedSince > half)) this.#bases.shift();
  }

  /** The base that is the config `served` (same version and hash), if one is kept. */
  find(served: ServedConfig): PublishedSnapshot | null {
    for (let i = this.#bases.length - 1; i >= 0; i--) {
      const { snapshot } = this.#bases[i];
      if (snapshot.version === served.version && snapshot.hash === served.hash) return snapshot;
    }
    return null;
  }

  /**
   * What turns `base` (from find) into the snapshot published last: the changes of each publish since
   * it, composed (in the entities they name, not the config's: comparing a 10,000-route config with
   * the newest took 7–61 ms each on a loaded control plane, and a fleet lagging at many bases asks
   * for many in a burst).
   */
  changes(base: PublishedSnapshot): Changes {
    const from = this.#bases.findIndex((b) => b.snapshot === base);
    if (from < 0) throw new Error(`version ${base.version} is not a delta base`);
    if (from === this.#bases.length - 1) return this.#bases[from].toNext;
    return composeChanges(this.#bases.slice(from).map((b) => b.toNext), base.config);
  }
}
