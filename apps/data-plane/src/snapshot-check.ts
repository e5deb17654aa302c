// The one check a data plane runs on a snapshot before anything uses it: shape, canonical hash, and
// every entity, reference and unique key (validateConfig). It runs once per snapshot, in the process
// that received it (the sync client's process, or whoever reads the disk cache); what passed is
// remembered, so compiling it later does not hash or validate it again. The data plane trusts nothing
// it did not check itself: a proxy worker trusts only snapshots its own primary checked.
// The sync client's SnapshotChecker also remembers the entities of the last snapshot that passed, by
// their canonical JSON (computed for the hash anyway): an entity whose canonical JSON is unchanged is
// exactly the content validated before, so only new or changed entities are validated again.
import { pluginSchema } from '@archway/plugins';
import {
  CONFIG_COLLECTIONS, configHashSteps, runSteps, validateConfigSteps,
  type PluginLookup, type Snapshot, type Steps, type ValidationMemo,
} from '@archway/schema';

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

/** Checks snapshots one after another, validating only the entities that changed since the last one that passed. */
export class SnapshotChecker {
  /** `${kind}:${id}` -> canonical JSON and validated form of the entities of the last snapshot that passed */
  #known = new Map<string, { canonical: string; entity: ValidatedEntity }>();

  constructor(private readonly schemas: PluginLookup = pluginSchema) {}

  /** Shape, hash, validation, one entity per step; returns the snapshot with its validated config. */
  *checkSteps(snapshot: Snapshot): Steps<CheckedSnapshot> {
    if (isChecked(snapshot)) return snapshot;
    checkShape(snapshot);
    const canonicalOf = new Map<object, string>();
    const actual = yield* configHashSteps(snapshot.config, (_kind, entity, canonical) => canonicalOf.set(entity, canonical));
    if (actual !== snapshot.hash)
      throw new ConfigRejectedError(`snapshot ${snapshot.version}: config hash mismatch (announced ${snapshot.hash}, computed ${actual})`);
    const next = new Map<string, { canonical: string; entity: ValidatedEntity }>();
    const memo: ValidationMemo = {
      known: (kind, raw) => {
        const key = `${kind}:${String(raw.id)}`;
        const before = this.#known.get(key);
        if (before === undefined || before.canonical !== canonicalOf.get(raw)) return undefined;
        next.set(key, before);
        return before.entity;
      },
      validated: (kind, raw, entity) => {
        const canonical = canonicalOf.get(raw);
        if (canonical !== undefined) next.set(`${kind}:${entity.id}`, { canonical, entity });
      },
    };
    // plugin configs are checked by this data plane's plugin schemas, as the control plane checked them
    const config = yield* validateConfigSteps(snapshot.config, this.schemas, memo);
    this.#known = next;
    return trustCheckedSnapshot(Object.freeze({ version: snapshot.version, hash: snapshot.hash, config }));
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
