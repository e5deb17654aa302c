// A SyncResponse decoded from its bytes one entity at a time. gRPC's own deserializer decodes a whole
// message in one call (0.2 s for a 10,000-route snapshot), which a data plane would spend on its proxy's
// event loop; here the client takes the raw bytes (see createRawConfigSyncClient), reads the few
// top-level fields itself, and decodes each entity of the snapshot as one step (see @archway/schema's
// steps.ts), with the same loader options, into exactly what snapshotFromProto gives.
import * as path from 'node:path';
import protobuf from 'protobufjs';
import { CONFIG_COLLECTIONS, emptyConfig, emptyRemoved, runSteps, type ConfigDelta, type ConfigSet, type Snapshot, type Steps } from '@archway/schema';
import { ENTITY_FROM_PROTO } from './convert';
import { int } from './convert-values';
import { findProtoRoot, PROTO_LOADER_OPTIONS, SYNC_PROTO_FILES } from './proto';

/** What a SyncResponse carries, its snapshot still as bytes (null when absent). */
export interface RawSyncResponse {
  version_info: string;
  nonce: string;
  control_plane_version: string;
  snapshot: Uint8Array | null;
  /** SyncResponse.delta, undecoded (null when absent) */
  delta: Uint8Array | null;
}

const WIRE_LEN = 2;
const CONVERSION: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  defaults: PROTO_LOADER_OPTIONS.defaults,
  oneofs: PROTO_LOADER_OPTIONS.oneofs,
};

export interface EntityField {
  collection: keyof ConfigSet;
  /** its field number in Snapshot */
  field: number;
  type: protobuf.Type;
  fromProto: (m: never) => unknown;
}

export interface SnapshotTypes {
  snapshot: protobuf.Type;
  removed: protobuf.Type;
  /** Snapshot field number -> the collection it carries */
  entities: Map<number, EntityField>;
}

/** Field 1, length-delimited: every entity message's id (checked when the types load). */
const ID_TAG = (1 << 3) | WIRE_LEN;

let types: SnapshotTypes | null = null;

/** The sync types as protobufjs loads them (keepCase), their decoders and encoders generated. */
export function snapshotTypes(): SnapshotTypes {
  if (types) return types;
  const root = new protobuf.Root();
  const protoRoot = findProtoRoot();
  root.resolvePath = (_origin, target) => path.join(protoRoot, target);
  root.loadSync(SYNC_PROTO_FILES, { keepCase: true });
  root.resolveAll();
  const snapshot = root.lookupType('archway.sync.v1.Snapshot');
  const entities = new Map<number, EntityField>();
  for (const field of snapshot.fieldsArray) {
    const fromProto = (ENTITY_FROM_PROTO as Partial<Record<string, (m: never) => unknown>>)[field.name];
    if (field.repeated && fromProto !== undefined && field.resolvedType instanceof protobuf.Type) {
      const id = field.resolvedType.fieldsById[1];
      if (id?.name !== 'id' || id.type !== 'string' || id.repeated) throw new Error(`sync proto: ${field.resolvedType.name}'s field 1 must be its string id`);
      entities.set(field.id, { collection: field.name as keyof ConfigSet, field: field.id, type: field.resolvedType, fromProto });
    }
  }
  // protobufjs generates each type's decoder and converter the first time it is used: all of it now,
  // so that no later message (a data plane's first delta, its first certificate) pays for it on the
  // proxy's event loop
  const setUp = (ns: protobuf.NamespaceBase): void => {
    for (const nested of ns.nestedArray) {
      if (nested instanceof protobuf.Type) nested.setup();
      if (nested instanceof protobuf.Namespace) setUp(nested);
    }
  };
  setUp(root);
  return (types = { snapshot, removed: root.lookupType('archway.sync.v1.RemovedIds'), entities });
}

/** Loads the sync types and generates their decoders, once (a data plane calls it before it serves). */
export function prepareSnapshotDecoding(): void {
  snapshotTypes();
}

/** Reads a SyncResponse's top-level fields; the snapshot stays undecoded (a view of `bytes`). */
export function decodeRawSyncResponse(bytes: Uint8Array): RawSyncResponse {
  const out: RawSyncResponse = { version_info: '', nonce: '', control_plane_version: '', snapshot: null, delta: null };
  const r = protobuf.Reader.create(bytes);
  while (r.pos < r.len) {
    const tag = r.uint32();
    const field = tag >>> 3;
    if ((tag & 7) !== WIRE_LEN || field < 1 || field > 5) {
      r.skipType(tag & 7);
      continue;
    }
    if (field === 3 || field === 5) {
      const len = r.uint32();
      const value = bytes.subarray(r.pos, r.pos + len);
      if (field === 3) out.snapshot = value;
      else out.delta = value;
      r.skip(len);
    } else {
      const value = r.string();
      if (field === 1) out.version_info = value;
      else if (field === 2) out.nonce = value;
      else out.control_plane_version = value;
    }
  }
  return out;
}

/**
 * A snapshot read as far as its version, hash and where each entity's message lies, in the order sent.
 * Entity i (of `count`) came in Snapshot field `fields[i]` (its collection: wireCollection), and its
 * message is `bytes[starts[i]..ends[i])`. Typed arrays, no object per entity: a whole snapshot read
 * against the one before (the data plane's whole-as-delta.ts) keeps this for the length of its check,
 * most entities are never decoded, and the arrays' memory is outside V8's heap, so nothing here is
 * copied by its collections or grows its old generation.
 */
export interface SnapshotWire {
  readonly version: number;
  readonly hash: string;
  readonly bytes: Buffer;
  readonly count: number;
  readonly fields: Uint8Array;
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
}

/** Entities split off per step: finding a message's end costs a few tag reads, no decoding. */
const SPLIT_PER_STEP = 1024;

/** Snapshot bytes -> its version, hash and entities' places, a thousand entities per step. */
export function* snapshotWireSteps(message: Uint8Array): Steps<SnapshotWire> {
  const { snapshot: snapshotType, entities } = snapshotTypes();
  const bytes = Buffer.isBuffer(message) ? message : Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  let fields = new Uint8Array(1024);
  let starts = new Uint32Array(1024);
  let ends = new Uint32Array(1024);
  let count = 0;
  // version and hash (and any field this build does not know) are decoded together by the Snapshot type
  const head: Uint8Array[] = [];
  const r = protobuf.Reader.create(bytes);
  while (r.pos < r.len) {
    const start = r.pos;
    const tag = r.uint32();
    if ((tag & 7) !== WIRE_LEN || !entities.has(tag >>> 3)) {
      r.skipType(tag & 7);
      head.push(bytes.subarray(start, r.pos));
      continue;
    }
    const len = r.uint32();
    if (count === starts.length) {
      const grown = count * 2;
      fields = grow(fields, new Uint8Array(grown));
      starts = grow(starts, new Uint32Array(grown));
      ends = grow(ends, new Uint32Array(grown));
    }
    fields[count] = tag >>> 3;
    starts[count] = r.pos;
    r.skip(len);
    ends[count] = r.pos;
    if (++count % SPLIT_PER_STEP === 0) yield;
  }
  const top = snapshotType.toObject(snapshotType.decode(Buffer.concat(head)), CONVERSION) as { version: string; hash: string };
  return { version: int(top.version, 'snapshot.version'), hash: top.hash, bytes, count, fields, starts, ends };
}

function grow<T extends Uint8Array | Uint32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

/** The Snapshot field entity i came in. */
function wireField(wire: SnapshotWire, i: number): EntityField {
  const field = snapshotTypes().entities.get(wire.fields[i]);
  if (!field) throw new Error(`snapshot field ${wire.fields[i]} is no collection`);
  return field;
}

/** Entity i's collection. */
export function wireCollection(wire: SnapshotWire, i: number): keyof ConfigSet {
  return wireField(wire, i).collection;
}

/** Entity i's message (a view of the snapshot's bytes). */
export function wireEntityBytes(wire: SnapshotWire, i: number): Buffer {
  return wire.bytes.subarray(wire.starts[i], wire.ends[i]);
}

/** Whether entity i's message is exactly `bytes`. */
export function sameWireBytes(wire: SnapshotWire, i: number, bytes: Uint8Array): boolean {
  const start = wire.starts[i];
  const end = wire.ends[i];
  return bytes.length === end - start && wire.bytes.compare(bytes, 0, bytes.length, start, end) === 0;
}

/** Entity i's id as its message starts with it (field 1, a string, in every entity message), or null. */
export function wireEntityId(wire: SnapshotWire, i: number): string | null {
  const b = wire.bytes;
  const end = wire.ends[i];
  let p = wire.starts[i];
  if (p >= end || b[p++] !== ID_TAG) return null;
  let len = 0;
  for (let shift = 0; ; shift += 7) {
    if (p >= end || shift > 28) return null;
    const byte = b[p++];
    len |= (byte & 0x7f) << shift;
    if (byte < 0x80) break;
  }
  return p + len <= end ? b.toString('utf8', p, p + len) : null;
}

/** Entity i decoded, exactly as snapshotFromProto builds it. */
export function decodeWireEntity(wire: SnapshotWire, i: number): unknown {
  const field = wireField(wire, i);
  return field.fromProto(field.type.toObject(field.type.decode(wireEntityBytes(wire, i)), CONVERSION) as never);
}

/**
 * The snapshot from its wire form (as snapshotFromProto builds it), one entity per step. `bytesOf`, when
 * given, gets each entity's bytes (views of the snapshot's), keyed by the decoded entity.
 */
export function* snapshotFromWireSteps(wire: SnapshotWire, bytesOf?: Map<object, Uint8Array>): Steps<Snapshot> {
  const config = {} as Record<keyof ConfigSet, unknown[]>;
  for (const { collection } of snapshotTypes().entities.values()) config[collection] = [];
  for (let i = 0; i < wire.count; i++) {
    const entity = decodeWireEntity(wire, i);
    config[wireCollection(wire, i)].push(entity);
    if (bytesOf && entity !== null && typeof entity === 'object') bytesOf.set(entity, wireEntityBytes(wire, i));
    yield;
  }
  return Object.freeze({ version: wire.version, hash: wire.hash, config: config as unknown as ConfigSet });
}

/** Snapshot bytes -> the snapshot (as snapshotFromProto builds it), one entity per step (see snapshotFromWireSteps). */
export function* snapshotFromBytesSteps(bytes: Uint8Array, bytesOf?: Map<object, Uint8Array>): Steps<Snapshot> {
  return yield* snapshotFromWireSteps(yield* snapshotWireSteps(bytes), bytesOf);
}

/** snapshotFromBytesSteps at once. */
export function snapshotFromBytes(bytes: Uint8Array): Snapshot {
  return runSteps(snapshotFromBytesSteps(bytes));
}

/**
 * SnapshotDelta bytes -> the delta, its upserted entities decoded one per step. `bytesOf`, when given,
 * gets a copy of each upserted entity's bytes (a copy: a view would keep the whole message alive).
 */
export function* deltaFromBytesSteps(bytes: Uint8Array, bytesOf?: Map<object, Uint8Array>): Steps<ConfigDelta> {
  const { removed: removedType } = snapshotTypes();
  let baseVersion = '0';
  let version = '0';
  let baseHash = '';
  let hash = '';
  let upserted: ConfigSet | null = null;
  let removed = emptyRemoved();
  const r = protobuf.Reader.create(bytes);
  while (r.pos < r.len) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    if (wire === 0 && (field === 1 || field === 3)) {
      const v = r.uint64().toString();
      if (field === 1) baseVersion = v;
      else version = v;
    } else if (wire === WIRE_LEN && (field === 2 || field === 4)) {
      const v = r.string();
      if (field === 2) baseHash = v;
      else hash = v;
    } else if (wire === WIRE_LEN && field === 5) {
      const len = r.uint32();
      const part = bytes.subarray(r.pos, r.pos + len);
      r.skip(len);
      const views = bytesOf && new Map<object, Uint8Array>();
      upserted = (yield* snapshotFromBytesSteps(part, views)).config;
      if (views) for (const [entity, view] of views) bytesOf?.set(entity, new Uint8Array(view));
    } else if (wire === WIRE_LEN && field === 6) {
      const len = r.uint32();
      const msg = removedType.toObject(removedType.decode(bytes.subarray(r.pos, r.pos + len)), CONVERSION) as Record<string, string[]>;
      r.skip(len);
      removed = emptyRemoved();
      for (const k of CONFIG_COLLECTIONS) removed[k] = msg[k] ?? [];
    } else r.skipType(wire);
  }
  return {
    baseVersion: int(baseVersion, 'delta.base_version'),
    baseHash,
    version: int(version, 'delta.version'),
    hash,
    upserted: upserted ?? emptyConfig(),
    removed,
  };
}
