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

interface EntityField {
  collection: keyof ConfigSet;
  type: protobuf.Type;
  fromProto: (m: never) => unknown;
}

interface SnapshotTypes {
  snapshot: protobuf.Type;
  removed: protobuf.Type;
  /** Snapshot field number -> the collection it carries */
  entities: Map<number, EntityField>;
}

let types: SnapshotTypes | null = null;

function snapshotTypes(): SnapshotTypes {
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
    if (field.repeated && fromProto !== undefined && field.resolvedType instanceof protobuf.Type)
      entities.set(field.id, { collection: field.name as keyof ConfigSet, type: field.resolvedType, fromProto });
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

/** Snapshot bytes -> the snapshot (as snapshotFromProto builds it), one entity per step. */
export function* snapshotFromBytesSteps(bytes: Uint8Array): Steps<Snapshot> {
  const { snapshot: snapshotType, entities } = snapshotTypes();
  const config = {} as Record<keyof ConfigSet, unknown[]>;
  for (const { collection } of entities.values()) config[collection] = [];
  // version and hash (and any field this build does not know) are decoded together by the Snapshot type
  const head: Uint8Array[] = [];
  const r = protobuf.Reader.create(bytes);
  while (r.pos < r.len) {
    const start = r.pos;
    const tag = r.uint32();
    const entity = (tag & 7) === WIRE_LEN ? entities.get(tag >>> 3) : undefined;
    if (!entity) {
      r.skipType(tag & 7);
      head.push(bytes.subarray(start, r.pos));
      continue;
    }
    const len = r.uint32();
    const message = entity.type.toObject(entity.type.decode(bytes.subarray(r.pos, r.pos + len)), CONVERSION);
    r.skip(len);
    config[entity.collection].push(entity.fromProto(message as never));
    yield;
  }
  const top = snapshotType.toObject(snapshotType.decode(Buffer.concat(head)), CONVERSION) as { version: string; hash: string };
  return Object.freeze({ version: int(top.version, 'snapshot.version'), hash: top.hash, config: config as unknown as ConfigSet });
}

/** snapshotFromBytesSteps at once. */
export function snapshotFromBytes(bytes: Uint8Array): Snapshot {
  return runSteps(snapshotFromBytesSteps(bytes));
}

/** SnapshotDelta bytes -> the delta, its upserted entities decoded one per step. */
export function* deltaFromBytesSteps(bytes: Uint8Array): Steps<ConfigDelta> {
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
      upserted = (yield* snapshotFromBytesSteps(part)).config;
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
