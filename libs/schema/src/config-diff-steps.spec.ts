// The list work a data plane does per delta (apply it to a collection, diff two configs for its disk
// cache and its workers) runs in steps of a few hundred entities: on a 10,000-route config no step walks
// the whole collection (the data plane runs steps between requests, time-slices.ts). The stepwise result
// is the one computed at once.
import { emptyConfig, EntityDigests } from './canonical';
import { applyDeltaSteps, ConfigIndex } from './config-delta';
import type { StoredEntity } from './config-integrity';
import { applyToListSteps, diffByIdentity, diffByIdentitySteps, diffConfigs, patchConfig, patchConfigSteps } from './config-diff';
import { routeSchema } from './entities/route';
import { serviceSchema } from './entities/service';
import { validateEntity } from './entity';
import { runSteps, type Steps } from './steps';
import type { ConfigSet, Route, Service } from './types';

const ROUTES = 10_000;
/** what the list work promises: at least one step per this many entities walked */
const PER_STEP = 512;

function bigConfig(): ConfigSet {
  const svc = validateEntity<Service>(serviceSchema, { name: 'svc', url: 'http://svc.test' }, 'create', { now: 1 });
  const routes: Route[] = [];
  for (let i = 0; i < ROUTES; i++) routes.push(validateEntity<Route>(routeSchema, { paths: [`/r${i}`], service: { id: svc.id } }, 'create', { now: 1 }));
  routes.sort((a, b) => (a.id < b.id ? -1 : 1));
  return { ...emptyConfig(), services: [svc], routes };
}

/** Runs `steps` to the end: its result and how many steps it took. */
function counted<T>(steps: Steps<T>): { value: T; steps: number } {
  let n = 0;
  for (;;) {
    const r = steps.next();
    if (r.done) return { value: r.value, steps: n };
    n++;
  }
}

describe('config list work in steps', () => {
  const config = bigConfig();
  const added = validateEntity<Route>(routeSchema, { paths: ['/new'], service: { id: config.services[0].id } }, 'create', { now: 2 });
  const next: ConfigSet = { ...config, routes: [...config.routes.filter((_, i) => i !== 7), added].sort((a, b) => (a.id < b.id ? -1 : 1)) };

  it('applies a one-route delta to a 10,000-route config in a step per few hundred routes, to the same config', () => {
    const delta = diffConfigs(config, next, new EntityDigests());
    const { value, steps } = counted(applyDeltaSteps(config, new ConfigIndex(config), delta, () => undefined));
    expect(value.config.routes.map((r) => r.id)).toEqual(next.routes.map((r) => r.id));
    expect(steps).toBeGreaterThanOrEqual(Math.floor(ROUTES / PER_STEP));
  });

  it('diffs two 10,000-route configs by identity in steps, finding what diffByIdentity finds', () => {
    const { value, steps } = counted(diffByIdentitySteps(config, next, Infinity));
    expect(value).toEqual(diffByIdentity(config, next, Infinity));
    expect(value?.upserted.routes).toEqual([added]);
    expect(value?.removed.routes).toEqual([config.routes[7].id]);
    // two passes: the old list into a map, the new one against it
    expect(steps).toBeGreaterThanOrEqual(2 * Math.floor(ROUTES / PER_STEP));
  });

  it('patches a 10,000-route config in steps, to what patchConfig makes', () => {
    const changes = runSteps(diffByIdentitySteps(config, next, Infinity));
    const { value, steps } = counted(patchConfigSteps(config, changes?.upserted ?? {}, changes?.removed ?? {}));
    expect(value.routes).toEqual(patchConfig(config, changes?.upserted ?? {}, changes?.removed ?? {}).routes);
    expect(value.routes).toEqual(next.routes);
    expect(steps).toBeGreaterThanOrEqual(Math.floor(ROUTES / PER_STEP));
  });
});

describe('applying changes to a list known to be in id order', () => {
  // ids of one width, so that string order is numeric order; odd numbers in the list, even ones new
  const id = (n: number) => `id-${String(n).padStart(6, '0')}`;
  const entity = (n: number, v: number) => ({ id: id(n), v }) as unknown as StoredEntity;

  /** a small pseudo-random generator: the failures are reproducible */
  function rng(seed: number): () => number {
    let x = seed;
    return () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  }

  it('gives what the walk gives, dropped entities included, over 300 random deltas in a row', () => {
    const rand = rng(7);
    const pick = (max: number) => Math.floor(rand() * max);
    // a list the walk found in id order (and so marked); each delta below goes to it (edited where the
    // changes fall) and to a copy of it (walked), and the next delta goes to the edited one
    let list = runSteps(applyToListSteps(Array.from({ length: 2_000 }, (_, i) => entity(2 * i + 1, 0)), [], new Set()));
    for (let round = 1; round <= 300; round++) {
      const upserts: StoredEntity[] = [];
      const removed = new Set<string>();
      const changes = 1 + pick(12);
      for (let c = 0; c < changes; c++) {
        const n = pick(4_100); // some beyond the last id, some before the first
        const kind = pick(4);
        if (kind === 0) removed.add(id(n)); // present (odd) or absent (even)
        else upserts.push(entity(n, round * 100 + c)); // a replacement (odd, if present) or a new one
      }
      // the same id upserted twice (the last wins)
      if (round % 10 === 0 && upserts.length) upserts.push({ ...upserts[0], v: -round } as unknown as StoredEntity);
      // an id removed and upserted (the upsert goes in as a new entity)
      if (round % 15 === 0) {
        const n = Number(list[pick(list.length)].id.slice(3));
        removed.add(id(n));
        upserts.push(entity(n, -round));
      }
      const droppedFast: StoredEntity[] = [];
      const droppedWalk: StoredEntity[] = [];
      const fast = runSteps(applyToListSteps(list, upserts, removed, droppedFast));
      const walk = runSteps(applyToListSteps([...list], upserts, removed, droppedWalk));
      expect(fast).toEqual(walk);
      expect(droppedFast).toEqual(droppedWalk);
      expect(fast.map((e) => e.id)).toEqual([...fast.map((e) => e.id)].sort());
      list = fast;
    }
  });

  it('takes one step for a one-route delta on a 10,000-route list it made, where the walk takes one per few hundred', () => {
    const config = bigConfig();
    const marked = runSteps(applyToListSteps(config.routes as unknown as StoredEntity[], [], new Set()));
    const added = validateEntity<Route>(routeSchema, { paths: ['/new'], service: { id: config.services[0].id } }, 'create', { now: 2 }) as unknown as StoredEntity;
    const fast = counted(applyToListSteps(marked, [added], new Set([marked[7].id])));
    const walk = counted(applyToListSteps([...marked], [added], new Set([marked[7].id])));
    expect(fast.value).toEqual(walk.value);
    expect(fast.steps).toBe(0);
    expect(walk.steps).toBeGreaterThanOrEqual(Math.floor(ROUTES / PER_STEP));
  });
});
