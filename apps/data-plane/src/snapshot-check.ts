// The one check a data plane runs on a snapshot before anything uses it: shape, canonical hash, and
// every entity, reference and unique key (validateConfig). It runs once per snapshot, in the process
// that received it (the sync client's process, or whoever reads the disk cache); what passed is
// remembered, so compiling it later does not hash or validate it again. The data plane trusts nothing
// it did not check itself: a proxy worker trusts only snapshots its own primary checked.
// The sync client's SnapshotChecker also remembers the entities of the last snapshot that passed, by
// their canonical JSON (computed for the hash anyway): an entity whose canonical JSON is unchanged is
// exactly the content validated before, so only new or changed entities are validated again.
// It also keeps what a delta (docs/sync-protocol.md, "Deltas") needs: the last config that passed, the
// digest of each of its entities and their sum (the hash), and its id and unique-key index; a delta is
// checked against those in O(changed entities). When the caller hands it the bytes each entity came in
// (the sync client does), it keeps them too: a whole snapshot is then read as a delta against the last
// one by its entities' bytes (sync/whole-as-delta.ts).
import { pluginSchema } from '@archway/plugins';
import {
  addDigest, applyDeltaSteps, canonicalEntity, CONFIG_COLLECTIONS, ConfigIndex, configHashFromSum, configHashSteps, entityDigest,
  runSteps, validateConfigSteps, type ConfigDelta, type PluginLookup, type Snapshot, type Steps, type ValidationMemo,
} from '@archway/schema';
import { recordChanges } from './snapshot-changes';

export class ConfigRejectedError extends Error {
  readonly code = 'ARCHWAY_CONFIG_REJECTED';
}

declare const checkedBrand: unique symbol;
/** A snapshot whose hash matched and whose config passed validation; `config` is the validated set. */
export type CheckedSnapshot = Snapshot & { readonly [checkedBrand]: true };

const checked = new WeakSet<object>();

export function isChecked(snapshot: Snapshot): snapshot is CheckedSnapshot {
  return checked.has(snapshot);
}

/**
 * Marks a snapshot as checked without checking it. Only for a snapshot this data plane checked in
 * another of its processes: a proxy worker receives the primary's checked snapshot over IPC.
 */
export function trustCheckedSnapshot(snapshot: Snapshot): CheckedSnapshot {
  checked.add(snapshot);
  return snapshot as CheckedSnapshot;
}

function checkShape(snapshot: Snapshot): void {
  if (snapshot === null || typeof snapshot !== 'object') throw new ConfigRejectedError('snapshot: expected an object');
  if (!Number.isSafeInteger(snapshot.version) || snapshot.version < 0)
    throw new ConfigRejectedError(`snapshot: version must be a non-negative integer, got ${String(snapshot.version)}`);
  if (typeof snapshot.hash !== 'string' || !/^[0-9a-f]{64}$/.test(snapshot.hash))
    throw new ConfigRejectedError('snapshot: hash must be 64 hex characters (sha256)');
  const config = snapshot.config as unknown;
  if (config === null || typeof config !== 'object' || Array.isArray(config))
    throw new ConfigRejectedError('snapshot: config must be an object');
  for (const key of CONFIG_COLLECTIONS) {
    const list = (config as Record<string, unknown>)[key];
    if (list !== undefined && !Array.isArray(list)) throw new ConfigRejectedError(`snapshot: config.${key} must be an array`);
  }
}

type ValidatedEntity = Record<string, unknown> & { id: string };

/** What a whole snapshot read against the last config needs of each of its entities (whole-as-delta.ts). */
export interface KnownWire {
  readonly canonical: string;
  /**
   * the bytes it came in, when known: they decode to an entity of this canonical JSON (set by a reader
   * that decoded bytes to it, for the entities of a config checked without them: the disk cache's)
   */
  bytes: Uint8Array | undefined;
  /** the reader's mark (nextMark): set on the entities a snapshot sends again, without a set of them */
  mark: number;
}

interface KnownEntity extends KnownWire {
  readonly digest: bigint;
  readonly entity: ValidatedEntity;
}

/** One shape for every KnownEntity. */
function knownEntity(c: { canonical: string; digest: bigint }, entity: ValidatedEntity, bytes: Uint8Array | undefined): KnownEntity {
  return { canonical: c.canonical, digest: c.digest, entity, bytes, mark: 0 };
}

/** Each decoded entity's bytes on the wire, keyed by the decoded (raw) entity. */
export type WireBytes = ReadonlyMap<object, Uint8Array>;

/** Checks snapshots one after another, validating only the entities that changed since the last one that passed. */
export class SnapshotChecker {
  /** `${kind}:${id}` -> canonical JSON, digest and validated form of the entities of the last snapshot that passed */
  #known = new Map<string, KnownEntity>();
  /** the last snapshot that passed, and the sum of its entities' digests */
  #base: CheckedSnapshot | null = null;
  #sum = 0n;
  /** #base's id and unique-key lookups, built at its first delta */
  #index: ConfigIndex | null = null;
  #marks = 0;

  constructor(private readonly schemas: PluginLookup = pluginSchema) {}

  /** The last snapshot that passed a check (whole or delta), or null. */
  get base(): CheckedSnapshot | null {
    return this.#base;
  }

  /** How many entities the last snapshot that passed holds. */
  get knownCount(): number {
    return this.#known.size;
  }

  /**
   * Entity `key` (`${collection}:${id}`) of the last snapshot that passed, if it holds one: one object per
   * entity for as long as it is unchanged, with the bytes it came in when they were handed over.
   */
  known(key: string): KnownWire | undefined {
    return this.#known.get(key);
  }

  /** A mark no entity holds yet, for one reading of a snapshot against this config (KnownWire.mark). */
  nextMark(): number {
    return ++this.#marks;
  }

  /**
   * Shape, hash, validation, one entity per step; returns the snapshot with its validated config.
   * `wire` gives the bytes the entities came in, kept for the next whole snapshot (see known).
   */
  *checkSteps(snapshot: Snapshot, wire?: WireBytes): Steps<CheckedSnapshot> {
    if (isChecked(snapshot)) return snapshot;
    checkShape(snapshot);
    const canonicalOf = new Map<object, { canonical: string; digest: bigint }>();
    let sum = 0n;
    const actual = yield* configHashSteps(snapshot.config, (_kind, entity, canonical, digest) => {
      canonicalOf.set(entity, { canonical, digest });
      sum = addDigest(sum, digest);
    });
    if (actual !== snapshot.hash)
      throw new ConfigRejectedError(`snapshot ${snapshot.version}: config hash mismatch (announced ${snapshot.hash}, computed ${actual})`);
    const next = new Map<string, KnownEntity>();
    const memo: ValidationMemo = {
      known: (kind, raw) => {
        const key = `${kind}:${String(raw.id)}`;
        const before = this.#known.get(key);
        if (before === undefined || before.canonical !== canonicalOf.get(raw)?.canonical) return undefined;
        // the same canonical JSON: these bytes decode to it as well as the ones kept did
        const bytes = wire?.get(raw);
        next.set(key, bytes ? knownEntity(before, before.entity, bytes) : before);
        return before.entity;
      },
      validated: (kind, raw, entity) => {
        const c = canonicalOf.get(raw);
        if (c !== undefined) next.set(`${kind}:${entity.id}`, knownEntity(c, entity, wire?.get(raw)));
      },
    };
    // plugin configs are checked by this data plane's plugin schemas, as the control plane checked them
    const config = yield* validateConfigSteps(snapshot.config, this.schemas, memo);
    this.#known = next;
    this.#sum = sum;
    this.#index = null;
    return (this.#base = trustCheckedSnapshot(Object.freeze({ version: snapshot.version, hash: snapshot.hash, config })));
  }

  /** The lookups the next delta is checked against are built (prepareDeltaSteps, or a delta since the last whole check). */
  get readyForDelta(): boolean {
    return this.#base !== null && this.#index !== null;
  }

  /**
   * Builds what the next delta needs (the lookups of the last snapshot that passed) ahead of it: run
   * once a whole snapshot is applied and ACKed, and when a sync client starts with a config that passed
   * before (the disk cache's), so the first delta after it does not pay for it.
   */
  *prepareDeltaSteps(): Steps<void> {
    const base = this.#base;
    if (!base || this.#index) return;
    const index = yield* ConfigIndex.buildSteps(base.config);
    if (this.#base === base && this.#index === null) this.#index = index;
  }

  /**
   * Applies a delta to the last snapshot that passed, which must be the one `served` (the data plane
   * serves) and the delta's base: the hash is updated from the changed entities' digests and must be
   * the announced one; only the changed entities are validated, with the references and unique keys
   * they touch. Returns the new snapshot, checked; throws (and changes nothing) otherwise. `wire` gives
   * the bytes the upserted entities came in, as for checkSteps.
   */
  *checkDeltaSteps(delta: ConfigDelta, served: { version: number; hash: string } | null, wire?: WireBytes): Steps<CheckedSnapshot> {
    const base = this.#base;
    const what = `delta ${delta.baseVersion} -> ${delta.version}`;
    if (!base || base.version !== delta.baseVersion || base.hash !== delta.baseHash || !served || served.version !== base.version || served.hash !== base.hash) {
      const has = served ? `version ${served.version} (${served.hash})` : 'nothing';
      throw new ConfigRejectedError(`${what}: its base (version ${delta.baseVersion}, ${delta.baseHash}) is not the config this data plane serves: ${has}; send the whole snapshot`);
    }
    if (!Number.isSafeInteger(delta.version) || delta.version <= base.version) throw new ConfigRejectedError(`${what}: the new version must be above the base's`);
    // the hash first: the digests of the removed and replaced entities out, the upserted ones in
    let sum = this.#sum;
    const changed = new Map<string, { canonical: string; digest: bigint; bytes?: Uint8Array } | null>();
    for (const kind of CONFIG_COLLECTIONS) {
      for (const id of delta.removed[kind]) {
        const key = `${kind}:${id}`;
        const old = this.#known.get(key);
        if (!old) throw new ConfigRejectedError(`${what}: removes ${kind} ${id}, which the base does not hold`);
        sum = addDigest(sum, -old.digest);
        changed.set(key, null);
      }
      for (const raw of delta.upserted[kind] as unknown as ValidatedEntity[]) {
        const key = `${kind}:${String(raw.id)}`;
        const canonical = canonicalEntity(raw);
        const digest = entityDigest(kind, canonical);
        const old = this.#known.get(key);
        if (old) sum = addDigest(sum, -old.digest);
        sum = addDigest(sum, digest);
        changed.set(key, { canonical, digest, bytes: wire?.get(raw) });
        yield;
      }
    }
    const actual = configHashFromSum(sum);
    if (actual !== delta.hash) throw new ConfigRejectedError(`${what}: config hash mismatch after applying it (announced ${delta.hash}, computed ${actual})`);
    this.#index ??= yield* ConfigIndex.buildSteps(base.config);
    const applied = yield* applyDeltaSteps(base.config, this.#index, delta, this.schemas);
    // what it changed, as this config's objects; the base's objects of the routes removed or replaced
    // are read before commit() updates the index
    const upserted: Record<string, unknown[]> = {};
    const removed: Record<string, string[]> = {};
    for (const kind of CONFIG_COLLECTIONS) {
      if (delta.removed[kind].length) removed[kind] = delta.removed[kind];
      if (delta.upserted[kind].length) upserted[kind] = delta.upserted[kind].map((raw) => applied.validated.get(`${kind}:${raw.id}`));
    }
    const dropped: Record<string, unknown[]> = {};
    for (const kind of CONFIG_COLLECTIONS) {
      const byId = this.#index.byId.get(kind);
      const olds = [...delta.removed[kind], ...delta.upserted[kind].map((e) => String(e.id))].flatMap((id) => byId?.get(id) ?? []);
      if (olds.length) dropped[kind] = olds;
    }
    applied.commit();
    for (const [key, c] of changed) {
      if (c === null) this.#known.delete(key);
      else this.#known.set(key, knownEntity(c, applied.validated.get(key) as ValidatedEntity, c.bytes));
    }
    this.#sum = sum;
    this.#base = trustCheckedSnapshot(Object.freeze({ version: delta.version, hash: delta.hash, config: applied.config }));
    recordChanges(this.#base, { from: base, upserted, removed, dropped });
    return this.#base;
  }
}

/** Shape, hash, validation (of every entity), one entity per step; returns the snapshot with its validated config. */
export function checkSnapshotSteps(snapshot: Snapshot, schemas: PluginLookup = pluginSchema): Steps<CheckedSnapshot> {
  return new SnapshotChecker(schemas).checkSteps(snapshot);
}

/** checkSnapshotSteps at once (the disk cache at start-up, specs). Throws on anything invalid. */
export function checkSnapshot(snapshot: Snapshot, schemas: PluginLookup = pluginSchema): CheckedSnapshot {
  return runSteps(checkSnapshotSteps(snapshot, schemas));
}
