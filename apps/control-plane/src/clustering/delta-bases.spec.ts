import { randomUUID } from 'node:crypto';
import { deltaSize, emptyConfig, EntityDigests, makeSnapshot, type ConfigSet, type Consumer, type Snapshot } from '@archway/schema';
import { DELTA_BASES, DeltaBases, type PublishedSnapshot } from './delta-bases';

const consumer = (username: string): Consumer => ({ id: randomUUID(), created_at: 1, updated_at: 1, username, custom_id: null, tags: null }) as unknown as Consumer;
const configOf = (consumers: Consumer[]): ConfigSet => ({ ...emptyConfig(), consumers });

/** Publishes snapshots one after another, each `change(consumers)` of the one before, into `bases`. */
function publisher(bases: DeltaBases, digests: EntityDigests, consumers: Consumer[]) {
  let latest: PublishedSnapshot = makeSnapshot(1, configOf(consumers), digests);
  return {
    get latest() {
      return latest;
    },
    publish(change: (list: Consumer[]) => Consumer[]): Snapshot {
      const next = makeSnapshot(latest.version + 1, configOf(change(latest.config.consumers)), digests);
      bases.advance(latest, next);
      latest = next;
      return next;
    },
  };
}

describe('DeltaBases', () => {
  const digests = new EntityDigests();
  const many = Array.from({ length: 100 }, (_, i) => consumer(`c${i}`));

  it('finds a base by version and hash, and gives the changes from it to the newest as one delta', () => {
    const bases = new DeltaBases(digests);
    const p = publisher(bases, digests, many);
    const v1 = p.latest;
    const added = consumer('added');
    p.publish((list) => [...list, added]);
    const v3 = p.publish((list) => list.filter((c) => c.username !== 'c0'));
    const from1 = bases.find({ version: 1, hash: v1.hash });
    expect(from1).toBe(v1);
    const changes = bases.changes(v1);
    expect(changes.upserted.consumers.map((c) => c.username)).toEqual(['added']);
    expect(changes.removed.consumers).toEqual([many[0].id]);
    // the same config under another version is not that base (the data plane checks both)
    expect(bases.find({ version: 7, hash: v1.hash })).toBeNull();
    expect(bases.find({ version: 3, hash: v3.hash })).toBeNull(); // the newest is no base
  });

  it("takes the builder's changes for the base just before the newest instead of comparing configs", () => {
    const bases = new DeltaBases(digests);
    const v1 = makeSnapshot(1, configOf(many), digests);
    const added = consumer('added');
    const next = makeSnapshot(2, configOf([...many, added]), digests);
    // what an incremental build hands over; a marker entity shows it is used as given
    const built = { from: { version: 1, hash: v1.hash }, upserted: { ...emptyConfig(), consumers: [added] }, removed: { ...Object.fromEntries(Object.keys(emptyConfig()).map((k) => [k, []])), consumers: ['marker'] } };
    const v2: PublishedSnapshot = { ...next, changes: built as unknown as PublishedSnapshot['changes'] };
    bases.advance(v1, v2);
    expect(bases.changes(v1)).toBe(built);
  });

  it(`keeps at most ${DELTA_BASES} bases`, () => {
    const bases = new DeltaBases(digests);
    // one entity changed per publish, of enough that no base is let go for the changes since it
    const p = publisher(bases, digests, Array.from({ length: 4 * DELTA_BASES }, (_, k) => consumer(`m${k}`)));
    const first = p.latest;
    let i = 0;
    for (; i < DELTA_BASES; i++) p.publish((list) => list.map((c, k) => (k === 1 ? { ...c, custom_id: `v${i}` } : c)));
    expect(bases.find(first)).toBe(first);
    p.publish((list) => list.map((c, k) => (k === 1 ? { ...c, custom_id: `v${i}` } : c)));
    expect(bases.find(first)).toBeNull();
  });

  it("lets a base go once half the newest snapshot's entities changed since it, keeping the one just before", () => {
    const bases = new DeltaBases(digests);
    const p = publisher(bases, digests, many);
    const first = p.latest;
    const second = p.publish((list) => list.map((c, k) => (k < 30 ? { ...c, custom_id: 'a' } : c)));
    expect(bases.find(first)).toBe(first);
    // 30 + 30 changed of 100: more than half since the first, 30 since the second
    const third = p.publish((list) => list.map((c, k) => (k >= 30 && k < 60 ? { ...c, custom_id: 'b' } : c)));
    expect(bases.find(first)).toBeNull();
    expect(bases.find(second)).toBe(second);
    // all of it replaced: the base just before stays, its delta is as large as the snapshot (no delta is sent)
    p.publish(() => many.map((c) => consumer(`new-${c.username ?? ''}`)));
    expect(bases.find(second)).toBeNull();
    expect(bases.find(third)).toBe(third);
    expect(deltaSize(bases.changes(third))).toBeGreaterThanOrEqual(100);
  });
});
