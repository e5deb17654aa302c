// Loads the sync protocol's .proto at runtime. The files live in the repo's top-level proto/ directory,
// which is reached by walking up from this file: that works from sources (jest, ts-node) and from the
// compiled dist/libs/sync/src/ alike, without copying the .proto files into the build.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ConfigDelta } from '@archway/schema';
import { snapshotToProto } from './convert';
import type { ProtoGrpcType } from './generated/sync';
import type { ConfigSyncClient, ConfigSyncDefinition } from './generated/archway/sync/v1/ConfigSync';
import type { SyncRequest } from './generated/archway/sync/v1/SyncRequest';
import type { SyncResponse } from './generated/archway/sync/v1/SyncResponse';

const PROTO_SUBDIR = path.join('archway', 'sync', 'v1');
export const SYNC_PROTO_FILES = ['archway/sync/v1/sync.proto'];

/** The options every Archway component loads the protocol with; the generated types assume them. */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

/** Finds the directory that contains `archway/sync/v1`, walking up from `start`. */
export function findProtoRoot(start: string = __dirname): string {
  let dir = path.resolve(start);
  for (;;) {
    const candidate = path.join(dir, 'proto');
    if (fs.existsSync(path.join(candidate, PROTO_SUBDIR))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) {
      throw Object.assign(new Error(`cannot find proto/${PROTO_SUBDIR} above ${start}: ship the proto/ directory with the build`), {
        code: 'ARCHWAY_PROTO_NOT_FOUND',
      });
    }
    dir = parent;
  }
}

let cached: ProtoGrpcType | null = null;

/** The loaded `archway.sync.v1` package (loaded once per process). */
export function loadSyncProto(): ProtoGrpcType {
  if (!cached) {
    const definition = protoLoader.loadSync(SYNC_PROTO_FILES, { ...PROTO_LOADER_OPTIONS, includeDirs: [findProtoRoot()] });
    cached = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  }
  return cached;
}

/** The `ConfigSync` service definition, for `server.addService`. */
export function configSyncService(): ConfigSyncDefinition {
  return loadSyncProto().archway.sync.v1.ConfigSync.service;
}

/** A `ConfigSync` client for one control-plane address (`host:port`). */
export function createConfigSyncClient(
  address: string,
  credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure(),
  options: grpc.ChannelOptions = {},
): ConfigSyncClient {
  const Client = loadSyncProto().archway.sync.v1.ConfigSync;
  return new Client(address, credentials, options);
}

/** A StreamConfig call whose responses arrive undecoded (see snapshot-bytes.ts). */
export type RawConfigStream = grpc.ClientDuplexStream<SyncRequest, Buffer>;

/**
 * Opens ConfigSync.StreamConfig on `client` (any grpc.Client: `new grpc.Client(address, credentials,
 * options)`) with requests encoded as usual and responses left as bytes, so the data plane can decode
 * a large snapshot in steps instead of in gRPC's one synchronous call.
 */
export function openRawConfigStream(client: grpc.Client): RawConfigStream {
  const method = configSyncService().StreamConfig;
  return client.makeBidiStreamRequest(method.path, method.requestSerialize as (r: SyncRequest) => Buffer, (bytes: Buffer) => bytes);
}

/**
 * The ConfigSync service definition for a server that sends pre-encoded responses: a Buffer written
 * to the stream goes out as it is (see encodeSyncResponse), anything else is encoded as usual.
 */
export function configSyncServiceSendingBytes(): ConfigSyncDefinition {
  const def = configSyncService();
  const method = def.StreamConfig;
  const encode = method.responseSerialize;
  return { ...def, StreamConfig: { ...method, responseSerialize: (value) => (Buffer.isBuffer(value) ? value : encode(value)) } };
}

/**
 * A snapshot's part of a SyncResponse on the wire (its field `snapshot`, tag and length included),
 * encoded once per snapshot: each stream's response adds only its small fields (encodeSyncResponse).
 */
export function encodeSnapshotField(snapshot: SyncResponse['snapshot']): Buffer {
  return configSyncService().StreamConfig.responseSerialize({ snapshot });
}

/**
 * A delta's part of a SyncResponse on the wire (its field `delta`), encoded once per published snapshot
 * for every stream that gets it.
 */
export function encodeDeltaField(delta: ConfigDelta): Buffer {
  const removed: Record<string, string[]> = {};
  for (const [k, ids] of Object.entries(delta.removed)) if (ids.length) removed[k] = ids;
  return configSyncService().StreamConfig.responseSerialize({
    delta: {
      base_version: delta.baseVersion,
      base_hash: delta.baseHash,
      version: delta.version,
      hash: delta.hash,
      upserted: snapshotToProto({ version: 0, hash: '', config: delta.upserted }),
      removed,
    },
  });
}

/**
 * One SyncResponse as bytes: the per-stream fields encoded now, followed by the snapshot field encoded
 * once (protobuf fields may come in any order; a message is the concatenation of its fields).
 */
export function encodeSyncResponse(head: Omit<SyncResponse, 'snapshot' | 'delta'>, snapshotField: Buffer): Buffer {
  return Buffer.concat([configSyncService().StreamConfig.responseSerialize(head), snapshotField]);
}
