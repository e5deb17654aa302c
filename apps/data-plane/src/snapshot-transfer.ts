// How a snapshot travels from the primary to its proxy workers (ARCHWAY_WORKERS > 1). Node's IPC
// channel JSON-parses each message at once on the receiving side: one 8 MB snapshot would hold a
// worker's event loop (its proxy) for the whole JSON.parse. So a message that carries a snapshot is
// sent as parts of a few hundred entities each, then the message itself with a reference in place of
// the snapshot; the worker reassembles it. Parts are small, so the worker keeps serving between them.
// A PartsSender (one per worker) also remembers the last snapshot it sent: the next one goes as a
// delta against it when few entities changed (the primary's checker keeps unchanged entities as the
// same objects, so they are found by identity), and the worker's PartsReceiver, which keeps the last
// snapshot it assembled, patches it. The worker gets back the whole snapshot either way, with the
// unchanged entities as its own objects of before, so its compile reuses what it compiled for them.
import { emptyConfig, patchConfigSteps, runSteps, type ConfigSet, type Snapshot, type Steps } from '@archway/schema';
import { changesSinceSteps, recordChanges } from './snapshot-changes';
import type { ToWorker } from './worker-messages';

/** Entities per part: about 100-300 KB of JSON for typical entities. */
export const ENTITIES_PER_PART = 500;

interface SnapshotPart {
  type: 'snapshot-part';
  id: number;
  collection: keyof ConfigSet;
  entities: unknown[];
}

/** Stands for the snapshot on the wire: `id` names the parts sent before. */
interface SnapshotRef {
  partsOf: number;
  version: number;
  hash: string;
  /** set for a delta: the hash of the snapshot sent before, which the parts and `removed` change */
  base?: string;
  removed?: Partial<Record<keyof ConfigSet, string[]>>;
}

export class TransferError extends Error {
  readonly code = 'ARCHWAY_WORKER_TRANSFER';
}

let nextId = 0;

function sendParts(send: (m: unknown) => void, config: Partial<Record<keyof ConfigSet, unknown[]>>): number {
  const id = ++nextId;
  for (const [collection, list] of Object.entries(config) as [keyof ConfigSet, unknown[]][])
    for (let i = 0; i < list.length; i += ENTITIES_PER_PART)
      send({ type: 'snapshot-part', id, collection, entities: list.slice(i, i + ENTITIES_PER_PART) } satisfies SnapshotPart);
  return id;
}

/** Sends `msg` through `send`, its snapshot (if any) in parts first. */
export function sendWithParts(send: (m: unknown) => void, msg: ToWorker): void {
  const snapshot = 'snapshot' in msg ? msg.snapshot : null;
  if (!snapshot) return send(msg);
  const ref: SnapshotRef = { partsOf: sendParts(send, snapshot.config), version: snapshot.version, hash: snapshot.hash };
  send({ ...msg, snapshot: ref });
}

/** One worker's sender: whole snapshots in parts, or deltas against the last one sent. */
export class PartsSender {
  #last: Snapshot | null = null;
  /** messages sent whole / as deltas (specs) */
  readonly sent = { whole: 0, deltas: 0 };

  /** The next snapshot goes whole (the worker may not hold the last one sent: it failed to apply or assemble it). */
  reset(): void {
    this.#last = null;
  }

  send(send: (m: unknown) => void, msg: ToWorker): void {
    const snapshot = 'snapshot' in msg ? msg.snapshot : null;
    if (!snapshot) return send(msg);
    const last = this.#last;
    let total = 0;
    for (const list of Object.values(snapshot.config) as unknown[][]) total += list.length;
    const delta = last && last.hash !== snapshot.hash ? runSteps(changesSinceSteps(last, snapshot, Math.max(1, total / 2))) : null;
    this.#last = snapshot;
    if (!last || !delta) {
      this.sent.whole++;
      return sendWithParts(send, msg);
    }
    this.sent.deltas++;
    const ref: SnapshotRef = { partsOf: sendParts(send, delta.upserted), version: snapshot.version, hash: snapshot.hash, base: last.hash, removed: delta.removed };
    send({ ...msg, snapshot: ref });
  }
}

/** The worker's end: collects parts, and gives back each message whole (null for a part). */
export class PartsReceiver {
  readonly #configs = new Map<number, ConfigSet>();
  /** the last snapshot assembled: a delta's base */
  #last: Snapshot | null = null;
  /** how the last snapshot came: whole, or as a delta of so many entities (for the worker's debug log) */
  lastReceived: { delta: boolean; entities: number } | null = null;

  /** Throws a TransferError when a delta's base is not the last snapshot assembled (the primary and this worker disagree). */
  receive(raw: unknown): ToWorker | null {
    return runSteps(this.receiveSteps(raw));
  }

  /**
   * receive, in steps: patching a delta into the last snapshot walks its changed collections (10,000
   * routes), which a worker does between requests (time-slices.ts). Messages must be received one at a
   * time, in order.
   */
  *receiveSteps(raw: unknown): Steps<ToWorker | null> {
    const msg = raw as { type?: string; snapshot?: unknown };
    if (msg.type === 'snapshot-part') {
      const part = raw as SnapshotPart;
      let config = this.#configs.get(part.id);
      // every collection is there, the empty ones too (they send no part): the worker compiles it as is
      if (!config) this.#configs.set(part.id, (config = emptyConfig()));
      const list = ((config as unknown as Record<string, unknown[]>)[part.collection] ??= []);
      for (const e of part.entities) list.push(e);
      return null;
    }
    const ref = msg.snapshot as SnapshotRef | null | undefined;
    if (!ref || typeof ref.partsOf !== 'number') return raw as ToWorker;
    const parts = this.#configs.get(ref.partsOf) ?? emptyConfig();
    this.#configs.delete(ref.partsOf);
    let entities = 0;
    for (const list of Object.values(parts) as unknown[][]) entities += list.length;
    const last = this.#last;
    let snapshot: Snapshot;
    if (ref.base === undefined) snapshot = { version: ref.version, hash: ref.hash, config: parts };
    else {
      if (!last || last.hash !== ref.base)
        throw new TransferError(`the primary sent a change to configuration ${ref.base}, but this worker last received ${last?.hash ?? 'none'}`);
      const dropped: NonNullable<Parameters<typeof patchConfigSteps>[3]> = {};
      const removed = ref.removed ?? {};
      snapshot = { version: ref.version, hash: ref.hash, config: yield* patchConfigSteps(last.config, parts as unknown as Record<keyof ConfigSet, unknown[]>, removed, dropped) };
      for (const ids of Object.values(removed)) entities += ids.length;
      // what this change did, for the compile that follows (snapshot-changes.ts)
      const upserted = Object.fromEntries(Object.entries(parts).filter(([, list]) => (list as unknown[]).length > 0));
      recordChanges(snapshot, { from: last, upserted, removed, dropped });
    }
    this.lastReceived = { delta: ref.base !== undefined, entities };
    this.#last = snapshot;
    return { ...(raw as ToWorker), snapshot } as ToWorker;
  }
}
