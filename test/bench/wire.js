'use strict';
// The sync protocol's wire encoding, for measuring bytes and encode/decode time: the same .proto the
// control plane and data planes load, through protobufjs (what @grpc/proto-loader uses underneath),
// with the same loader options; decode() is the data plane's own decoder (libs/sync snapshot-bytes.ts).
const { join } = require('node:path');
const protobuf = require('protobufjs');
const { ROOT } = require('./lib');

const sync = require(join(ROOT, 'dist', 'libs', 'sync', 'src', 'index.js'));

let SyncResponse = null;
function type() {
  if (SyncResponse) return SyncResponse;
  const protoRoot = sync.findProtoRoot(join(ROOT, 'dist', 'libs', 'sync', 'src'));
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(protoRoot, target);
  root.loadSync(sync.SYNC_PROTO_FILES[0], { keepCase: true });
  SyncResponse = root.lookupType('archway.sync.v1.SyncResponse');
  return SyncResponse;
}

/** The SyncResponse carrying `snapshot`, as bytes. */
function encodeResponse(snapshot) {
  const T = type();
  const msg = T.fromObject({ version_info: String(snapshot.version), nonce: 'n', snapshot: sync.snapshotToProto(snapshot), control_plane_version: '0' });
  return T.encode(msg).finish();
}

/** Bytes -> the snapshot a data plane applies, decoded as its sync client does (entity by entity). */
function decodeResponse(bytes) {
  return sync.snapshotFromBytes(sync.decodeRawSyncResponse(bytes).snapshot);
}

module.exports = { encodeResponse, decodeResponse, sync };
