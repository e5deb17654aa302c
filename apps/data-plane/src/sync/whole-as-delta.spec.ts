// A whole snapshot that differs from the last config that passed in a few entities is checked as a
// delta against it, found by the bytes each entity came in: what it gives is what the whole check
// gives, the unchanged entities stay the objects checked before, and the changes are recorded for the
// compile. Whatever the delta path cannot take (nothing before, an id twice, a failing check, most
// entities changed) goes to the whole check, which names what is wrong as it always did.
import { pluginSchema } from '@archway/plugins';
import { configHash, diffConfigs, emptyConfig, EntityDigests, makeSnapshot, runSteps, type ConfigSet, type Snapshot } from '@archway/schema';
import { decodeRawSyncResponse, encodeDeltaField, encodeSnapshotField, encodeSyncResponse, snapshotToProto, type RawSyncResponse } from '@archway/sync';
import { SnapshotChecker, type CheckedSnapshot } from '../snapshot-check';
import { changesOf } from '../snapshot-changes';
import { makeConsumer, keyAuth } from '../testing/plugin-proxy';
import { makeRoute, makeService } from '../testing/fixtures';
import { ConfigReceiver } from './config-receiver';

const wireOf = (snapshot: Snapshot): RawSyncResponse =>
  decodeRawSyncResponse(encodeSyncResponse({ version_info: String(snapshot.version), nonce: 'n', control_plane_version: '0' }, encodeSnapshotField(snapshotToProto(snapshot))));

const byId = <T extends { id: string }>(list: readonly T[]): T[] => [...list].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

/** The config with every collection in id order, for comparing configs whatever their lists' order. */
const sorted = (config: ConfigSet): ConfigSet =>
  Object.fromEntries(Object.entries(config).map(([k, list]) => [k, byId(list as { id: string }[])])) as unknown as ConfigSet;

describe('a whole snapshot checked as a delta against the config before', () => {
  const svc = makeService({ name: 'svc', port: 9400 });
  const other = makeService({ name: 'other', port: 9401 });
  const routes = Array.from({ length: 40 }, (_, i) => makeRoute(svc, { name: `r${i}`, paths: [`/r${i}`] }));
  const consumer = makeConsumer('alice');
  const credential = keyAuth(consumer, 'k-1');
  const base = (): ConfigSet => ({ ...emptyConfig(), services: [svc, other], routes, consumers: [consumer], keyauth_credentials: [credential] });

  function received(first: ConfigSet) {
    const receiver = new ConfigReceiver(pluginSchema);
    let served: CheckedSnapshot | null = null;
    const receive = (snapshot: Snapshot): CheckedSnapshot | null => {
      const checked = runSteps(receiver.receiveSteps(wireOf(snapshot), () => served && { version: served.version, hash: served.hash }));
      if (checked) served = checked;
      return checked;
    };
    const receiveDelta = (from: Snapshot, to: Snapshot): CheckedSnapshot | null => {
      const changes = diffConfigs(from.config, to.config, new EntityDigests());
      const field = encodeDeltaField({ baseVersion: from.version, baseHash: from.hash, version: to.version, hash: to.hash, ...changes });
      const response = decodeRawSyncResponse(encodeSyncResponse({ version_info: String(to.version), nonce: 'n', control_plane_version: '0' }, field));
      const checked = runSteps(receiver.receiveSteps(response, () => served && { version: served.version, hash: served.hash }));
      if (checked) served = checked;
      return checked;
    };
    const firstChecked = receive(makeSnapshot(1, first));
    return { receiver, receive, receiveDelta, first: firstChecked as CheckedSnapshot, serve: (s: CheckedSnapshot | null) => void (served = s) };
  }

  it('gives what the whole check gives, keeps unchanged entities as the objects checked before, and records the changes for the compile', () => {
    const { receiver, receive, first } = received(base());
    const added = makeRoute(other, { name: 'added', paths: ['/added'] });
    const moved = { ...routes[3], paths: ['/moved'] };
    const next: ConfigSet = { ...base(), routes: [...routes.slice(0, 3), moved, ...routes.slice(5), added], keyauth_credentials: [] };
    const snapshot = makeSnapshot(2, next);
    const checked = receive(snapshot);
    if (!checked) throw new Error('not applied');
    expect(receiver.received).toMatchObject({ snapshotsAsDeltas: 1 });
    expect(checked).toMatchObject({ version: 2, hash: snapshot.hash });
    expect(configHash(checked.config)).toBe(snapshot.hash);
    expect(sorted(checked.config)).toEqual(sorted(runSteps(new SnapshotChecker().checkSteps(snapshot)).config));
    // the unchanged entities are the objects checked before: nothing about them is compiled again
    expect(checked.config.routes.find((r) => r.id === routes[10].id)).toBe(first.config.routes.find((r) => r.id === routes[10].id));
    expect(checked.config.services.find((s) => s.id === svc.id)).toBe(first.config.services.find((s) => s.id === svc.id));
    const changes = changesOf(checked);
    expect(changes?.from).toBe(first);
    expect(byId((changes?.upserted.routes ?? []) as { id: string }[]).map((r) => r.id)).toEqual(byId([moved, added]).map((r) => r.id));
    expect(changes?.removed).toEqual({ routes: [routes[4].id], keyauth_credentials: [first.config.keyauth_credentials[0].id] });
  });

  it("goes on snapshot after snapshot, and after the control plane's deltas, re-reading none of the entities they brought", () => {
    const { receiver, receive, receiveDelta } = received(base());
    let config = base();
    let last = makeSnapshot(1, config);
    const next = (v: number): Snapshot => {
      config = { ...config, routes: [...config.routes.slice(1), makeRoute(svc, { name: `v${v}`, paths: [`/v${v}`] })] };
      return makeSnapshot(v, config);
    };
    for (let v = 2; v <= 6; v++) {
      const snapshot = next(v);
      const checked = v % 2 ? receiveDelta(last, snapshot) : receive(snapshot);
      expect(checked?.hash).toBe(snapshot.hash);
      // the only change: the route this version added (and the one it removed)
      expect((changesOf(checked as CheckedSnapshot)?.upserted.routes as { name: string }[]).map((r) => r.name)).toEqual([`v${v}`]);
      last = snapshot;
    }
    expect(receiver.received).toMatchObject({ snapshotsAsDeltas: 3 });
  });

  it('reads the first snapshot against a config its checker passed without bytes (the disk cache) by canonical JSON, then by bytes', () => {
    const checker = new SnapshotChecker(pluginSchema);
    const cached = runSteps(checker.checkSteps(makeSnapshot(1, base())));
    const receiver = new ConfigReceiver(pluginSchema, checker);
    let served: CheckedSnapshot = cached;
    const receive = (snapshot: Snapshot) => {
      const checked = runSteps(receiver.receiveSteps(wireOf(snapshot), () => ({ version: served.version, hash: served.hash })));
      if (checked) served = checked;
      return checked;
    };
    const added = makeRoute(svc, { name: 'added', paths: ['/added'] });
    const next = makeSnapshot(2, { ...base(), routes: [...routes, added] });
    const checked = receive(next);
    expect(checked?.hash).toBe(next.hash);
    expect(receiver.received.snapshotsAsDeltas).toBe(1);
    // the cached config's objects stay, so the compile reuses what it compiled for them
    expect(checked?.config.routes.find((r) => r.id === routes[5].id)).toBe(cached.config.routes.find((r) => r.id === routes[5].id));
    expect(changesOf(checked as CheckedSnapshot)?.from).toBe(cached);
    expect((changesOf(checked as CheckedSnapshot)?.upserted.routes as { id: string }[]).map((r) => r.id)).toEqual([added.id]);
    // and the entities it read have their bytes now: the next snapshot is read by them
    const third = makeSnapshot(3, { ...base(), routes: [...routes.slice(1), added] });
    expect(receive(third)?.hash).toBe(third.hash);
    expect(changesOf(served)?.removed).toEqual({ routes: [routes[0].id] });
    expect(receiver.received.snapshotsAsDeltas).toBe(2);
  });

  it('rejects a snapshot that breaks a reference, naming it as the whole check does, and keeps the config before', () => {
    const { receive, receiver } = received(base());
    const dangling = makeSnapshot(2, { ...base(), services: [other] });
    expect(() => receive(dangling)).toThrow(new RegExp(`invalid config: .*${svc.id}`));
    expect(receiver.received.snapshotsAsDeltas).toBe(0);
    // the checker still holds version 1: a snapshot one entity from it is a delta again
    const next = makeSnapshot(3, { ...base(), routes: routes.slice(1) });
    expect(receive(next)?.hash).toBe(next.hash);
    expect(receiver.received.snapshotsAsDeltas).toBe(1);
  });

  it('rejects a snapshot whose hash does not match, as the whole check does', () => {
    const { receive } = received(base());
    const next = makeSnapshot(2, { ...base(), routes: routes.slice(1) });
    expect(() => receive({ ...next, hash: makeSnapshot(2, base()).hash })).toThrow(/snapshot 2: config hash mismatch/);
  });

  it('rejects an id sent twice, naming it as the whole check does', () => {
    const { receive } = received(base());
    const twice = { ...base(), routes: [...routes, { ...routes[7], paths: ['/again'] }] };
    expect(() => receive({ version: 2, hash: configHash(twice), config: twice })).toThrow(new RegExp(`${routes[7].id}`));
  });

  it('checks the whole snapshot when half of its entities or more changed, or the config served is not the last that passed', () => {
    const { receiver, receive, serve } = received(base());
    const most = makeSnapshot(2, { ...base(), routes: routes.slice(0, 5).map((r) => ({ ...r, paths: [`${r.paths?.[0]}-x`] })) });
    expect(receive(most)?.hash).toBe(most.hash);
    expect(receiver.received.snapshotsAsDeltas).toBe(0);
    serve(null); // e.g. the apply after the check failed: the served config is not the checker's
    const next = makeSnapshot(3, { ...most.config, routes: most.config.routes.slice(1) });
    expect(receive(next)?.hash).toBe(next.hash);
    expect(receiver.received).toMatchObject({ snapshotsAsDeltas: 0 });
  });
});
