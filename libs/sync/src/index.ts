// @archway/sync: the sync protocol's generated types, loader and the helpers both planes share.
export { PROTO_LOADER_OPTIONS, SYNC_PROTO_FILES, configSyncService, createConfigSyncClient, findProtoRoot, loadSyncProto, openRawConfigStream, configSyncServiceSendingBytes, encodeDeltaField, encodeSnapshotField, encodeSyncResponse, type RawConfigStream } from './proto';
export {
  decodeRawSyncResponse, decodeWireEntity, deltaFromBytesSteps, prepareSnapshotDecoding, sameWireBytes, snapshotFromBytes, snapshotFromBytesSteps,
  snapshotFromWireSteps, snapshotWireSteps, wireCollection, wireEntityBytes, wireEntityId, type RawSyncResponse, type SnapshotWire,
} from './snapshot-bytes';
export { SnapshotEncoder } from './snapshot-encoder';
export { ENTITY_FROM_PROTO, ENTITY_TO_PROTO, snapshotFromProto, snapshotToProto, serviceFromProto, serviceToProto, routeFromProto, routeToProto } from './convert';
export {
  consumerFromProto, consumerToProto, pluginFromProto, pluginToProto, keyAuthFromProto, keyAuthToProto, basicAuthFromProto,
  basicAuthToProto, jwtSecretFromProto, jwtSecretToProto, aclFromProto, aclToProto,
} from './convert-consumers';
export { upstreamFromProto, upstreamToProto, targetFromProto, targetToProto } from './convert-upstreams';
export { certificateFromProto, certificateToProto, sniFromProto, sniToProto, caCertificateFromProto, caCertificateToProto } from './convert-certificates';
export { toStruct, fromStruct } from './struct';
export { Backoff, DEFAULT_BACKOFF_INITIAL_MS, DEFAULT_BACKOFF_MAX_MS, type BackoffOptions } from './backoff';
export { newNonce } from './nonce';
export { parseVersionInfo, formatVersionInfo } from './version';
export type { ConfigSyncClient, ConfigSyncDefinition, ConfigSyncHandlers } from './generated/archway/sync/v1/ConfigSync';
export type { SyncRequest, SyncRequest__Output } from './generated/archway/sync/v1/SyncRequest';
export type { SyncResponse, SyncResponse__Output } from './generated/archway/sync/v1/SyncResponse';
export type { Node as NodeMessage, Node__Output as NodeMessage__Output } from './generated/archway/sync/v1/Node';
export type { ErrorDetail, ErrorDetail__Output } from './generated/archway/sync/v1/ErrorDetail';
export type { Snapshot as SnapshotMessage, Snapshot__Output as SnapshotMessage__Output } from './generated/archway/sync/v1/Snapshot';
export type { HealthReport, HealthReport__Output } from './generated/archway/sync/v1/HealthReport';
export type { UpstreamHealth as UpstreamHealthMessage, UpstreamHealth__Output as UpstreamHealthMessage__Output } from './generated/archway/sync/v1/UpstreamHealth';
