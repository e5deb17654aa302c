// A snapshot's field of a SyncResponse (what encodeSnapshotField gives, byte for byte), encoded from
// the messages of its entities, each kept for the next snapshot that holds the same entity object.
// The control plane's incremental build keeps every unchanged entity as the same object, so after a
// write only the entities it wrote are encoded again: at 10,000 routes + 10,000 consumers, encoding
// the whole snapshot took ≈ 0.4 s of the control plane's event loop per write (docs/benchmarks.md),
// which every data plane that takes whole snapshots waited for. The data plane's whole-as-delta.ts is
// the other half: it recognises those unchanged messages by their bytes.
import type { Snapshot } from '@archway/schema';
import { ENTITY_TO_PROTO } from './convert';
import { snapshotTypes } from './snapshot-bytes';

/** SyncResponse.snapshot: field 3, length-delimited. */
const SNAPSHOT_FIELD_TAG = (3 << 3) | 2;

function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(out: Buffer, at: number, n: number): number {
  while (n >= 0x80) {
    out[at++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  out[at++] = n;
  return at;
}

export class SnapshotEncoder {
  /** entity object -> its message's bytes (the object is never changed once in a snapshot) */
  readonly #messages = new WeakMap<object, Uint8Array>();
  /** entities encoded / taken as kept, since start (specs, the bench) */
  readonly counts = { encoded: 0, reused: 0 };

  /** The snapshot's SyncResponse field, as encodeSnapshotField(snapshotToProto(snapshot)) gives it. */
  encodeField(snapshot: Snapshot): Buffer {
    const { snapshot: snapshotType, entities } = snapshotTypes();
    const head = snapshotType.encode(snapshotType.fromObject({ version: snapshot.version, hash: snapshot.hash })).finish();
    const tags: number[] = [];
    const messages: Uint8Array[] = [];
    let size = head.length;
    // in field order, as protobufjs writes a message's fields
    for (const { collection, field, type } of [...entities.values()].sort((a, b) => a.field - b.field)) {
      const toProto = ENTITY_TO_PROTO[collection] as (e: unknown) => object;
      const tag = (field << 3) | 2;
      for (const entity of snapshot.config[collection] as readonly object[]) {
        let bytes = this.#messages.get(entity);
        if (bytes === undefined) {
          bytes = type.encode(type.fromObject(toProto(entity))).finish();
          this.#messages.set(entity, bytes);
          this.counts.encoded++;
        } else this.counts.reused++;
        tags.push(tag);
        messages.push(bytes);
        size += varintSize(tag) + varintSize(bytes.length) + bytes.length;
      }
    }
    const out = Buffer.allocUnsafe(varintSize(SNAPSHOT_FIELD_TAG) + varintSize(size) + size);
    let at = writeVarint(out, 0, SNAPSHOT_FIELD_TAG);
    at = writeVarint(out, at, size);
    out.set(head, at);
    at += head.length;
    for (let i = 0; i < messages.length; i++) {
      at = writeVarint(out, at, tags[i]);
      at = writeVarint(out, at, messages[i].length);
      out.set(messages[i], at);
      at += messages[i].length;
    }
    return out;
  }
}
