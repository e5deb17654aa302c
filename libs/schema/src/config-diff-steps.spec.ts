// The list work a data plane does per delta (apply it to a collection, diff two configs for its disk
// cache and its workers) runs in steps of a few hundred entities: on a 10,000-route config no step walks
// the whole collection (the data plane runs steps between requests, time-slices.ts). The stepwise result
// is the one computed at once.
import { emptyConfig, EntityDigests } from './canonical';
import { applyDeltaSteps, ConfigIndex } from './config-delta';
import { diffByIdentity, diffByIdentitySteps, diffConfigs, patchConfig, patchConfigSteps } from './config-diff';
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
