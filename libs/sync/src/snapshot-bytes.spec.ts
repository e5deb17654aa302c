// The data plane's decoder of raw SyncResponse bytes gives exactly what gRPC's own deserializer and
// snapshotFromProto give, for a config with every kind of entity, and hashes the same.
import { configHash, emptyConfig, emptyRemoved, makeSnapshot, runSteps, type ConfigDelta } from '@archway/schema';
import { snapshotFromProto, snapshotToProto } from './convert';
import { configSyncService, encodeDeltaField, encodeSnapshotField, encodeSyncResponse } from './proto';
import {
  decodeRawSyncResponse, decodeWireEntity, deltaFromBytesSteps, sameWireBytes, snapshotFromBytes, snapshotFromBytesSteps, snapshotWireSteps, wireCollection, wireEntityBytes, wireEntityId,
} from './snapshot-bytes';
import { wholeConfig } from './testing/whole-config';
import type { SyncResponse__Output } from './generated/archway/sync/v1/SyncResponse';

describe('SyncResponse from raw bytes', () => {
  const method = configSyncService().StreamConfig;
  const snapshot = makeSnapshot(42, wholeConfig());
  const bytes = method.responseSerialize({ version_info: '42', nonce: 'n-1', snapshot: snapshotToProto(snapshot), control_plane_version: '9.9.9' });

  it('reads the top-level fields and leaves the snapshot as bytes', () => {
    const raw = decodeRawSyncResponse(bytes);
    expect(raw).toMatchObject({ version_info: '42', nonce: 'n-1', control_plane_version: '9.9.9' });
    expect(raw.snapshot).toBeInstanceOf(Uint8Array);
  });

  it('decodes the snapshot, one step per entity, into what gRPC + snapshotFromProto give, with the same hash', () => {
    const message = (method.responseDeserialize(bytes) as SyncResponse__Output).snapshot;
    const body = decodeRawSyncResponse(bytes).snapshot;
    if (!message || !body) throw new Error('the encoded response lost its snapshot');
    const viaGrpc = snapshotFromProto(message);
    const steps = snapshotFromBytesSteps(body);
    let yields = 0;
    let r = steps.next();
    for (; !r.done; r = steps.next()) yields++;
    expect(r.value).toEqual(viaGrpc);
    expect(yields).toBe(Object.values(snapshot.config).reduce((n, list) => n + list.length, 0));
    expect(configHash(r.value.config)).toBe(snapshot.hash);
    expect(runSteps(snapshotFromBytesSteps(body))).toEqual(snapshotFromBytes(body));
  });

  it("splits the snapshot into its entities undecoded: each one's bytes hold its id and decode to it alone", () => {
    const body = decodeRawSyncResponse(bytes).snapshot;
    if (!body) throw new Error('the encoded response lost its snapshot');
    const wire = runSteps(snapshotWireSteps(body));
    expect(wire).toMatchObject({ version: 42, hash: snapshot.hash });
    const decoded = runSteps(snapshotFromBytesSteps(body));
    const expected = Object.entries(decoded.config).flatMap(([collection, list]) => (list as { id: string }[]).map((e) => [collection, e]));
    const all = Array.from({ length: wire.count }, (_, i) => i);
    expect(all.map((i) => [wireCollection(wire, i), decodeWireEntity(wire, i)])).toEqual(expected);
    expect(all.map((i) => wireEntityId(wire, i))).toEqual(expected.map(([, e]) => (e as { id: string }).id));
    expect(all.every((i) => sameWireBytes(wire, i, Buffer.from(wireEntityBytes(wire, i))))).toBe(true);
    expect(sameWireBytes(wire, 0, wireEntityBytes(wire, 1))).toBe(false);
  });

  it("the control plane's response built from the snapshot encoded once decodes as the whole message does", () => {
    const head = { version_info: '42', nonce: 'n-2', control_plane_version: '9.9.9' };
    const shared = encodeSnapshotField(snapshotToProto(snapshot));
    const assembled = encodeSyncResponse(head, shared);
    const whole = method.responseSerialize({ ...head, snapshot: snapshotToProto(snapshot) });
    expect(method.responseDeserialize(assembled)).toEqual(method.responseDeserialize(whole));
    expect(assembled.length).toBe(whole.length);
  });

  it('a response without a snapshot has none', () => {
    const empty = method.responseSerialize({ version_info: '1', nonce: 'n' });
    expect(decodeRawSyncResponse(empty)).toEqual({ version_info: '1', nonce: 'n', control_plane_version: '', snapshot: null, delta: null });
  });

  it('a delta travels as SyncResponse.delta and decodes to the same upserts and removals, one step per upsert', () => {
    const config = wholeConfig();
    const upserted = emptyConfig();
    upserted.routes = config.routes.slice(0, 1);
    upserted.plugins = config.plugins.slice(0, 1);
    const removed = emptyRemoved();
    removed.consumers = ['c-1', 'c-2'];
    const delta: ConfigDelta = { baseVersion: 41, baseHash: 'a'.repeat(64), version: 42, hash: 'b'.repeat(64), upserted, removed };
    const assembled = encodeSyncResponse({ version_info: '42', nonce: 'n-3', control_plane_version: '9.9.9' }, encodeDeltaField(delta));
    const raw = decodeRawSyncResponse(assembled);
    expect(raw).toMatchObject({ version_info: '42', nonce: 'n-3', snapshot: null });
    if (!raw.delta) throw new Error('the encoded response lost its delta');
    const steps = deltaFromBytesSteps(raw.delta);
    let yields = 0;
    let r = steps.next();
    for (; !r.done; r = steps.next()) yields++;
    expect(r.value).toEqual(delta);
    expect(yields).toBe(2);
    // gRPC's own decoder (an older data plane's) sees a response without a snapshot: it cannot take it for one
    expect((method.responseDeserialize(assembled) as SyncResponse__Output).snapshot).toBeNull();
  });
});
