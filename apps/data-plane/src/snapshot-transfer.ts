// How a snapshot travels from the primary to its proxy workers (ARCHWAY_WORKERS > 1). Node's IPC
// channel JSON-parses each message at once on the receiving side: one 8 MB snapshot would hold a
// worker's event loop (its proxy) for the whole JSON.parse. So a message that carries a snapshot is
// sent as parts of a few hundred entities each, then the message itself with a reference in place of
// the snapshot; the worker reassembles it. Parts are small, so the worker keeps serving between them.
import { emptyConfig, type ConfigSet, type Snapshot } from '@archway/schema';
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
}

let nextId = 0;

/** Sends `msg` through `send`, its snapshot (if any) in parts first. */
export function sendWithParts(send: (m: unknown) => void, msg: ToWorker): void {
  const snapshot = 'snapshot' in msg ? msg.snapshot : null;
  if (!snapshot) return send(msg);
  const id = ++nextId;
  for (const [collection, list] of Object.entries(snapshot.config) as [keyof ConfigSet, unknown[]][])
    for (let i = 0; i < list.length; i += ENTITIES_PER_PART)
      send({ type: 'snapshot-part', id, collection, entities: list.slice(i, i + ENTITIES_PER_PART) } satisfies SnapshotPart);
  const ref: SnapshotRef = { partsOf: id, version: snapshot.version, hash: snapshot.hash };
  send({ ...msg, snapshot: ref });
}

/** The worker's end: collects parts, and gives back each message whole (null for a part). */
export class PartsReceiver {
  readonly #configs = new Map<number, ConfigSet>();

  receive(raw: unknown): ToWorker | null {
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
    const config = this.#configs.get(ref.partsOf) ?? emptyConfig();
    this.#configs.delete(ref.partsOf);
    const snapshot: Snapshot = { version: ref.version, hash: ref.hash, config };
    return { ...(raw as ToWorker), snapshot } as ToWorker;
  }
}
