import { runSteps } from '@archway/schema';
import { LayeredMap } from './layered-map';

const sorted = <V>(m: ReadonlyMap<string, V>): [string, V][] => [...m].sort(([a], [b]) => (a < b ? -1 : 1));

describe('LayeredMap', () => {
  it('reads as a Map after each of 400 random updates of deletes and sets, and leaves every earlier map as it was', () => {
    let seed = 11;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    const model = new Map(Array.from({ length: 200 }, (_, i) => [`k${i}`, i]));
    let map = new LayeredMap(new Map(model));
    const keys = Array.from({ length: 300 }, (_, i) => `k${i}`);
    const earlier: [LayeredMap<string, number>, [string, number][]][] = [];
    for (let step = 0; step < 400; step++) {
      // keys drawn from a range wider than the map's: some deletes miss, some sets add
      const deleted = Array.from({ length: random(4) }, () => `k${random(300)}`);
      const set = Array.from({ length: random(4) }, () => [`k${random(300)}`, step * 1000 + random(1000)] as const);
      for (const k of deleted) model.delete(k);
      for (const [k, v] of set) model.set(k, v);
      if (step % 50 === 0) earlier.push([map, sorted(map)]);
      map = runSteps(map.withSteps(deleted, set));
      expect(map.size).toBe(model.size);
      expect(sorted(map)).toEqual(sorted(model));
      expect(keys.map((k) => [map.get(k), map.has(k)])).toEqual(keys.map((k) => [model.get(k), model.has(k)]));
    }
    for (const [m, entries] of earlier) expect(sorted(m)).toEqual(entries);
  });

  it('folds its layer into a new base, in steps, once the layer holds an eighth of the base', () => {
    const base = new Map(Array.from({ length: 4096 }, (_, i) => [`k${i}`, i]));
    let map = new LayeredMap(base);
    let steps = 0;
    const withSteps = (deleted: string[], set: [string, number][]) => {
      const gen = map.withSteps(deleted, set);
      for (let r = gen.next(); ; r = gen.next(), steps++) if (r.done) return r.value;
    };
    // 511 changed keys stay in the layer (4096 / 8 = 512): updates without a step
    map = withSteps([], Array.from({ length: 511 }, (_, i) => [`k${i}`, -1 - i]));
    map = withSteps(['k600'], []);
    expect(steps).toBe(0);
    // the 513th folds: the base's 4096 entries are copied 512 per step
    map = withSteps(['k601'], []);
    expect(steps).toBe(8);
    expect(map.size).toBe(4094);
    expect([map.get('k0'), map.get('k510'), map.get('k511'), map.get('k600'), map.has('k601')]).toEqual([-1, -511, 511, undefined, false]);
    // folded, the layer is empty again: the next update takes no step
    map = withSteps(['k602'], []);
    expect(steps).toBe(8);
  });

  it('iterates like a Map (keys, values, forEach), a changed entry once', () => {
    const map = runSteps(new LayeredMap(new Map([['a', 1], ['b', 2], ['c', 3]])).withSteps(['b'], [['c', 30], ['d', 4]]));
    expect(new Map(map)).toEqual(new Map([['a', 1], ['c', 30], ['d', 4]]));
    expect([...map.keys()].sort()).toEqual(['a', 'c', 'd']);
    expect([...map.values()].sort((x, y) => x - y)).toEqual([1, 4, 30]);
    const seen: [string, number][] = [];
    map.forEach((v, k) => seen.push([k, v]));
    expect(seen.sort()).toEqual([['a', 1], ['c', 30], ['d', 4]]);
  });
});
