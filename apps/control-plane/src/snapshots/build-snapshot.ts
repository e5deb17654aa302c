// Builds the snapshot to publish: the config at one consistent version, checked whole (every entity
// valid, every plugin config valid for its plugin, no dangling reference, no unique key held twice)
// and hashed. The builder keeps its last build in memory (the entities, an index of their keys and
// references, the sum of their digests) and after a write reads only the rows written since, from the
// config history (store/changed-rows.ts): it validates those rows, checks the references to and from
// them and their unique keys (IncrementalConfig), and moves the digest sum by the changed entities'
// digests alone; what it changed is the delta the sync server sends (SnapshotChanges), so nothing
// compares the whole config again. A full build (every row read; validated again only when its
// revision, the row's xmin, changed) runs first, when asked (periodically, main.ts), when the history
// cannot vouch for every change since the last build, and whenever an incremental build finds a
// problem, so a failed build says what a full validation says. Either way the snapshot is the same:
// same entities, same order, same hash.
import { pluginSchema } from '@archway/plugins';
import {
  IncrementalConfig,
  addDigest,
  configDigestSum,
  configHashFromSum,
  emptyConfig,
  emptyRemoved,
  EntityDigests,
  entityKey,
  validateConfig,
  validateStored,
  type ConfigCollection,
  type ConfigSet,
  type EntityChange,
  type PluginLookup,
  type Snapshot,
  type SnapshotChanges,
  type ValidationMemo,
} from '@archway/schema';
import type { ChangedRows } from '../store/changed-rows';
import type { EntityStore } from '../store/entity-store';

type StoredEntity = Record<string, unknown> & { id: string };

/** A built snapshot; `changes` (the delta from the build before it) only when it was built incrementally. */
export interface BuiltSnapshot extends Snapshot {
  readonly changes?: SnapshotChanges;
}

/** How the last build went (logs, specs, the bench). */
export interface BuildInfo {
  mode: 'full' | 'incremental' | 'unchanged';
  /** why a full build ran when the builder had a previous one */
  reason?: string;
  /** rows read from the database */
  rows: number;
}

type Store = Pick<EntityStore, 'readConfig' | 'changedSince'>;

export class SnapshotBuilder {
  /** `${kind}:${id}` -> the row's revision and the entity validated from it (for full builds) */
  #validated = new Map<string, { rev: string; entity: StoredEntity }>();
  /** digests by entity object: unchanged entities are the same objects from build to build */
  readonly #digests = new EntityDigests();
  /** the last build, its index and the sum of its entities' digests (its hash is made from it) */
  #last: { snapshot: BuiltSnapshot; index: IncrementalConfig; sum: bigint } | null = null;
  #fullWanted: string | null = null;
  #info: BuildInfo = { mode: 'full', rows: 0 };
  #queue: Promise<unknown> = Promise.resolve();

  /** `plugins` checks plugin configs: the same lookup the Admin API validated them with (main.ts). */
  constructor(
    private readonly store: Store,
    private readonly plugins: PluginLookup = pluginSchema,
  ) {}

  get lastBuild(): BuildInfo {
    return this.#info;
  }

  /** The next build reads and checks everything (`reason` is logged). */
  requestFullBuild(reason = 'requested'): void {
    this.#fullWanted = reason;
  }

  /** Builds the snapshot of the current config; builds run one at a time, in call order. */
  build(): Promise<BuiltSnapshot> {
    const run = this.#queue.then(() => this.#build());
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #build(): Promise<BuiltSnapshot> {
    const last = this.#last;
    let reason = this.#fullWanted ?? 'first build';
    if (last && this.#fullWanted === null) {
      const changes = await this.store.changedSince(last.snapshot.version);
      const out = this.#incremental(last, changes);
      if (typeof out !== 'string') return out;
      reason = out;
    }
    return this.#full(reason);
  }

  async #full(reason: string): Promise<BuiltSnapshot> {
    this.#last = null;
    this.#fullWanted = null;
    const { version, entities, revisions } = await this.store.readConfig();
    const revOf = new Map<object, string>();
    let rows = 0;
    for (const [kind, list] of Object.entries(entities)) {
      rows += list.length;
      list.forEach((e, i) => revOf.set(e, revisions[kind as keyof typeof revisions][i]));
    }
    const next = new Map<string, { rev: string; entity: StoredEntity }>();
    const memo: ValidationMemo = {
      known: (kind, raw) => {
        const key = `${kind}:${String(raw.id)}`;
        const before = this.#validated.get(key);
        if (before === undefined || before.rev !== revOf.get(raw)) return undefined;
        next.set(key, before);
        return before.entity;
      },
      validated: (kind, raw, entity) => {
        const rev = revOf.get(raw);
        if (rev !== undefined) next.set(`${kind}:${entity.id}`, { rev, entity });
      },
    };
    // every collection is published; validateConfig reads the ones ConfigSet names and ignores the rest
    const config = validateConfig(entities as unknown as Partial<ConfigSet>, this.plugins, memo);
    this.#validated = next;
    const sum = configDigestSum(config, this.#digests);
    const snapshot: BuiltSnapshot = Object.freeze({ version, hash: configHashFromSum(sum), config });
    this.#last = { snapshot, index: new IncrementalConfig(config), sum };
    this.#info = { mode: 'full', reason, rows };
    return snapshot;
  }

  /** The snapshot from the previous one and the rows changed since; a string: why it takes a full build. */
  #incremental(last: { snapshot: BuiltSnapshot; index: IncrementalConfig; sum: bigint }, read: ChangedRows): BuiltSnapshot | string {
    const from = last.snapshot;
    if (read.version === from.version) {
      this.#info = { mode: 'unchanged', rows: 0 };
      return from;
    }
    if (read.version < from.version) return `the config version went back (${from.version} -> ${read.version})`;
    if (!read.complete) return `the history does not hold every change since version ${from.version}`;
    // one change per entity (the history lists each once; the last would win)
    const rows = new Map<string, { kind: ConfigCollection; key: string; entity: StoredEntity | null; rev: string | null }>();
    for (const row of read.rows) {
      const kind = row.kind as ConfigCollection;
      let entity: StoredEntity | null = null;
      if (row.data !== null) {
        try {
          entity = validateStored(kind, row.data, this.plugins);
        } catch {
          return `${kind} ${row.id} is not valid`;
        }
        if (entityKey(entity.id) !== row.id) return `${kind} ${row.id} holds another id`;
      }
      rows.set(`${kind}\0${row.id}`, { kind, key: row.id, entity, rev: row.rev });
    }
    // the digest sum moves by what each change takes out and puts in; an entity written again with the
    // same content is no change to send
    let sum = last.sum;
    const changes: EntityChange[] = [];
    const upserted = emptyConfig() as unknown as Record<ConfigCollection, StoredEntity[]>;
    const removed = emptyRemoved();
    for (const { kind, key, entity } of rows.values()) {
      const old = last.index.get(kind, key);
      if (!old && !entity) continue; // created and deleted since the last build
      const before = old ? this.#digests.of(kind, old) : 0n;
      const after = entity ? this.#digests.of(kind, entity) : 0n;
      sum = addDigest(addDigest(sum, -before), after);
      changes.push({ kind, key, entity });
      if (old && (!entity || entity.id !== old.id)) removed[kind].push(old.id);
      if (entity && (before !== after || old?.id !== entity.id)) upserted[kind].push(entity);
    }
    // from here the index is changed: it is the last build's again only once this one succeeds
    this.#last = null;
    const problems = last.index.apply(changes);
    if (problems.length) return `an incremental check found: ${problems.slice(0, 3).join('; ')}`;
    for (const [kind, ids] of Object.entries(removed)) for (const id of ids) this.#validated.delete(`${kind}:${id}`);
    for (const { kind, entity, rev } of rows.values()) if (entity) this.#validated.set(`${kind}:${entity.id}`, { rev: rev as string, entity });
    for (const kind of Object.keys(upserted) as ConfigCollection[]) {
      upserted[kind].sort(byId);
      removed[kind].sort();
    }
    const snapshot: BuiltSnapshot = Object.freeze({
      version: read.version,
      hash: configHashFromSum(sum),
      config: last.index.config(),
      changes: { from: { version: from.version, hash: from.hash }, upserted: upserted as unknown as ConfigSet, removed },
    });
    this.#last = { snapshot, index: last.index, sum };
    this.#info = { mode: 'incremental', rows: read.rows.length };
    return snapshot;
  }
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** One build with nothing remembered (every row read and validated). */
export function buildSnapshot(store: Pick<EntityStore, 'readConfig'>, plugins: PluginLookup = pluginSchema): Promise<Snapshot> {
  return new SnapshotBuilder({ readConfig: () => store.readConfig(), changedSince: () => Promise.reject(new Error('unused')) }, plugins).build();
}
