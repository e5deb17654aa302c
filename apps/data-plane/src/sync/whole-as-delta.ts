// A whole snapshot read as a delta against the last config that passed the check. A data plane gets
// the whole snapshot when the config it serves is older than the control plane keeps as delta bases,
// after a NACKed delta, and on every change when it does not take deltas. Decoding, hashing and validating all of
// its entities and compiling them again costs ≈ 0.7 s of CPU on the proxy's event loop at 10,000
// routes + 10,000 consumers (docs/benchmarks.md), most often for a few changed entities.
// The checker keeps the bytes each entity of the last config came in. An entity whose bytes are the
// same is the entity checked before (decoding is deterministic), so it is neither decoded nor hashed
// again; the others are decoded, and with the base's entities no longer sent they make a delta, which
// the checker checks and the compile applies as the control plane's deltas (docs/sync-protocol.md).
// An unchanged entity costs an id read, a lookup, a bytes compare and a mark on the checker's entry,
// and leaves nothing behind: no object per entity outlives its step, so the young generation's
// collections have nothing of the snapshot's to copy, and nothing of it reaches the old generation.
import { canonicalEntity, CONFIG_COLLECTIONS, emptyConfig, emptyRemoved, type ConfigDelta, type Steps } from '@archway/schema';
import { decodeWireEntity, sameWireBytes, wireCollection, wireEntityBytes, wireEntityId, type SnapshotWire } from '@archway/sync';
import type { SnapshotChecker } from '../snapshot-check';

/** Unchanged entities (a bytes compare each) and base entities looked up per step. */
const PER_STEP = 512;

export interface WholeAsDelta {
  delta: ConfigDelta;
  /** the upserted entities' bytes (copies: a view would keep the whole snapshot's bytes alive) */
  wire: Map<object, Uint8Array>;
}

/**
 * The delta from the checker's last config to `wire`'s, or null when the whole check is the one to run:
 * nothing passed before, the version is not above the last one's, an id comes twice (the whole check
 * names it), or half of the entities or more changed.
 */
export function* wholeAsDeltaSteps(wire: SnapshotWire, checker: SnapshotChecker): Steps<WholeAsDelta | null> {
  const base = checker.base;
  if (!base || !(wire.version > base.version)) return null;
  const limit = wire.count / 2;
  const upserted = emptyConfig();
  const bytesOf = new Map<object, Uint8Array>();
  /** set on the base's entities sent again, changed or not */
  const mark = checker.nextMark();
  let kept = 0;
  /** the ids sent that the base does not hold */
  const added = new Set<string>();
  let changes = 0;
  for (let i = 0; i < wire.count; i++) {
    const collection = wireCollection(wire, i);
    const id = wireEntityId(wire, i);
    const same = id === null ? undefined : checker.known(`${collection}:${id}`);
    if (same?.bytes !== undefined && sameWireBytes(wire, i, same.bytes)) {
      if (same.mark === mark) return null;
      same.mark = mark;
      if (++kept % PER_STEP === 0) yield;
      continue;
    }
    const entity = decodeWireEntity(wire, i);
    if (same !== undefined && same.bytes === undefined && same.canonical === canonicalEntity(entity as object)) {
      // an entity of a config taken without its bytes (the disk cache's), unchanged: its bytes from now on
      if (same.mark === mark) return null;
      same.mark = mark;
      same.bytes = wireEntityBytes(wire, i);
      kept++;
      yield;
      continue;
    }
    const key = `${collection}:${String((entity as { id?: unknown }).id)}`;
    const before = checker.known(key);
    if (before ? before.mark === mark : added.has(key)) return null;
    if (before) {
      before.mark = mark;
      kept++;
    } else added.add(key);
    (upserted[collection] as unknown[]).push(entity);
    bytesOf.set(entity as object, new Uint8Array(wireEntityBytes(wire, i)));
    if (++changes >= limit) return null;
    yield;
  }
  const removed = emptyRemoved();
  // the base's entities not sent any more; none when every one of them was
  if (kept < checker.knownCount) {
    let looked = 0;
    for (const kind of CONFIG_COLLECTIONS) {
      for (const entity of base.config[kind] as readonly { id: string }[]) {
        const before = checker.known(`${kind}:${entity.id}`);
        if (before && before.mark !== mark) {
          removed[kind].push(entity.id);
          if (++changes >= limit) return null;
        }
        if (++looked % PER_STEP === 0) yield;
      }
    }
  }
  const delta: ConfigDelta = { baseVersion: base.version, baseHash: base.hash, version: wire.version, hash: wire.hash, upserted, removed };
  return { delta, wire: bytesOf };
}
