// The control plane's snapshot encoder gives encodeSnapshotField's bytes exactly, and after a change
// encodes only the entities that are new objects.
import { makeSnapshot } from '@archway/schema';
import { snapshotToProto } from './convert';
import { decodeRawSyncResponse, snapshotFromBytes } from './snapshot-bytes';
import { encodeSnapshotField, encodeSyncResponse } from './proto';
import { SnapshotEncoder } from './snapshot-encoder';
import { wholeConfig } from './testing/whole-config';

describe('SnapshotEncoder', () => {
  it('gives the bytes encodeSnapshotField gives, for a config with every kind of entity, and they decode to the snapshot', () => {
    const snapshot = makeSnapshot(42, wholeConfig());
    const bytes = new SnapshotEncoder().encodeField(snapshot);
    expect(bytes.equals(encodeSnapshotField(snapshotToProto(snapshot)))).toBe(true);
    const raw = decodeRawSyncResponse(encodeSyncResponse({ version_info: '42', nonce: 'n', control_plane_version: '0' }, bytes));
    expect(snapshotFromBytes(raw.snapshot as Uint8Array)).toEqual(snapshotFromBytes(decodeRawSyncResponse(encodeSnapshotField(snapshotToProto(snapshot))).snapshot as Uint8Array));
  });

  it('encodes again only the entities that are new objects, and the bytes are still the whole encoding', () => {
    const config = wholeConfig();
    const encoder = new SnapshotEncoder();
    encoder.encodeField(makeSnapshot(1, config));
    const total = Object.values(config).reduce((n, list) => n + (list as unknown[]).length, 0);
    expect(encoder.counts).toEqual({ encoded: total, reused: 0 });
    const routes = [...config.routes.slice(1), { ...config.routes[0], name: 'renamed' }];
    const next = makeSnapshot(2, { ...config, routes });
    const bytes = encoder.encodeField(next);
    expect(encoder.counts).toEqual({ encoded: total + 1, reused: total - 1 });
    expect(bytes.equals(encodeSnapshotField(snapshotToProto(next)))).toBe(true);
  });
});
