// composeChanges: a chain of changes between consecutive configs as one delta from the first. The
// control plane sends it to a data plane several snapshots behind (apps/control-plane delta-bases.ts),
// which rejects a delta removing an id its config does not hold; so: applied to the base it gives the
// last config, and it removes only ids the base held, whatever the chain did in between.
import { emptyConfig, EntityDigests } from './canonical';
import { composeChanges, diffConfigs, patchConfig } from './config-diff';
import { consumerSchema, type Consumer } from './entities/consumer';
import { validateEntity } from './entity';
import type { ConfigSet } from './types';

/** A small deterministic random generator (mulberry32), so a failing chain can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const consumer = (username: string): Consumer => validateEntity<Consumer>(consumerSchema, { username }, 'create', { now: 1 });
const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
const configOf = (consumers: Consumer[]): ConfigSet => ({ ...emptyConfig(), consumers: [...consumers].sort(byId) });

describe('composeChanges', () => {
  const digests = new EntityDigests();

  it('gives, applied to the base, the last config of random chains, removing only ids the base held', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rnd = random(seed);
      const base = configOf(Array.from({ length: 30 }, (_, i) => consumer(`base-${seed}-${i}`)));
      let config = base;
      const links = [];
      const length = 1 + Math.floor(rnd() * 8);
      for (let l = 0; l < length; l++) {
        let list = [...config.consumers];
        // remove a few, change a few, add a few: later links remove and change what earlier ones added
        for (let k = Math.floor(rnd() * 4); k > 0 && list.length; k--) list.splice(Math.floor(rnd() * list.length), 1);
        for (let k = Math.floor(rnd() * 4); k > 0 && list.length; k--) {
          const i = Math.floor(rnd() * list.length);
          list[i] = { ...list[i], custom_id: `c-${seed}-${l}-${k}` };
        }
        for (let k = Math.floor(rnd() * 4); k > 0; k--) list.push(consumer(`new-${seed}-${l}-${k}`));
        list = list.sort(byId);
        const next = configOf(list);
        links.push(diffConfigs(config, next, digests));
        config = next;
      }
      const composed = composeChanges(links, base);
      const baseIds = new Set(base.consumers.map((c) => c.id));
      for (const id of composed.removed.consumers) expect(baseIds.has(id)).toBe(true);
      const applied = patchConfig(base, composed.upserted as unknown as Record<string, unknown[]>, composed.removed);
      expect(applied.consumers.map((c) => c.id).sort()).toEqual(config.consumers.map((c) => c.id).sort());
      const want = new Map(config.consumers.map((c) => [c.id, c]));
      for (const c of applied.consumers) expect(c).toBe(want.get(c.id));
    }
  });

  it('drops an entity the chain created and deleted, and keeps an id the base held that was deleted and created again', () => {
    const kept = consumer('kept');
    const gone = consumer('gone');
    const base = configOf([kept, gone]);
    const temp = consumer('temp');
    const back = { ...gone, custom_id: 'back' };
    const links = [
      diffConfigs(base, configOf([kept, gone, temp]), digests),
      diffConfigs(configOf([kept, gone, temp]), configOf([kept]), digests),
      diffConfigs(configOf([kept]), configOf([kept, back]), digests),
    ];
    const composed = composeChanges(links, base);
    expect(composed.removed.consumers).toEqual([]);
    expect(composed.upserted.consumers).toEqual([back]);
    // the same chain without the last link: gone is removed, temp never was in the base
    const shorter = composeChanges(links.slice(0, 2), base);
    expect(shorter.removed.consumers).toEqual([gone.id]);
    expect(shorter.upserted.consumers).toEqual([]);
  });
});
