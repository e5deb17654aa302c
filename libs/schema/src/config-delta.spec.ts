// A delta between two configs, and applying it to the first with only the changed entities checked: the
// result is the second config, and whatever the whole-config validation would reject, the delta's check
// rejects too (schema, references from and to changed entities, unique keys).
import { configHash, emptyConfig } from './canonical';
import { EntityDigests } from './canonical';
import { applyDeltaSteps, ConfigIndex } from './config-delta';
import { diffConfigs } from './config-diff';
import { consumerSchema } from './entities/consumer';
import { keyAuthSchema } from './entities/credentials';
import { routeSchema } from './entities/route';
import { serviceSchema } from './entities/service';
import { validateEntity } from './entity';
import { runSteps } from './steps';
import type { ConfigSet, Route, Service } from './types';
import type { Consumer } from './entities/consumer';
import type { KeyAuthCredential } from './entities/credentials';
import { validateConfig } from './validate-config';

const lookup = () => undefined;

const service = (name: string) => validateEntity<Service>(serviceSchema, { name, url: `http://${name}.test` }, 'create', { now: 1 });
const route = (svc: { id: string }, path: string, name: string | null = null) =>
  validateEntity<Route>(routeSchema, { name, paths: [path], service: { id: svc.id } }, 'create', { now: 1 });
const consumer = (username: string) => validateEntity<Consumer>(consumerSchema, { username }, 'create', { now: 1 });
const keyAuth = (c: { id: string }, key: string) => validateEntity<KeyAuthCredential>(keyAuthSchema, { key, consumer: { id: c.id } }, 'create', { now: 1 });

function base(): ConfigSet {
  const s1 = service('one');
  const s2 = service('two');
  const c = consumer('alice');
  const routes = [route(s1, '/a', 'ra'), route(s1, '/b'), route(s2, '/c')];
  return validateConfig({ ...emptyConfig(), services: [s1, s2], routes, consumers: [c], keyauth_credentials: [keyAuth(c, 'k-alice')] }, lookup);
}

const apply = (from: ConfigSet, to: ConfigSet) => runSteps(applyDeltaSteps(from, new ConfigIndex(from), diffConfigs(from, to, new EntityDigests()), lookup));

describe('config deltas', () => {
  it('holds only what changed: an added route, a changed one, a removed one', () => {
    const from = base();
    const added = route(from.services[1], '/d');
    const to = { ...from, routes: [{ ...from.routes[0], paths: ['/a2'] }, from.routes[2], added] };
    const delta = diffConfigs(from, to, new EntityDigests());
    expect(delta.upserted.routes.map((r) => r.id).sort()).toEqual([from.routes[0].id, added.id].sort());
    expect(delta.removed.routes).toEqual([from.routes[1].id]);
    expect(delta.upserted.services).toEqual([]);
    expect(delta.removed.consumers).toEqual([]);
  });

  it('applied to the base gives the new config (same hash), unchanged collections shared', () => {
    const from = base();
    const to = { ...from, routes: [from.routes[0], { ...from.routes[1], paths: ['/b2'] }, route(from.services[0], '/e')] };
    const applied = apply(from, to);
    expect(configHash(applied.config)).toBe(configHash(to));
    expect(applied.config.services).toBe(from.services);
    expect(applied.config.routes.find((r) => r.id === from.routes[1].id)?.paths).toEqual(['/b2']);
  });

  it('rejects an upserted entity that fails its schema', () => {
    const from = base();
    const to = { ...from, services: [{ ...from.services[0], port: 70000 }, from.services[1]] };
    expect(() => apply(from, to)).toThrow(new RegExp(`services ${from.services[0].id}: .*port`));
  });

  it('rejects an upserted route whose service does not exist', () => {
    const from = base();
    const to = { ...from, routes: [...from.routes, route({ id: '5a4e0c1e-0000-4000-8000-000000000001' }, '/x')] };
    expect(() => apply(from, to)).toThrow(/service 5a4e0c1e-0000-4000-8000-000000000001 does not exist/);
  });

  it('rejects removing a service that unchanged routes still name', () => {
    const from = base();
    const to = { ...from, services: [from.services[0]] };
    expect(() => apply(from, to)).toThrow(new RegExp(`routes ${from.routes[2].id}: service ${from.services[1].id} does not exist`));
  });

  it('accepts removing a service together with its routes', () => {
    const from = base();
    const to = { ...from, services: [from.services[0]], routes: from.routes.slice(0, 2) };
    expect(configHash(apply(from, to).config)).toBe(configHash(to));
  });

  it('rejects a unique key taken by an unchanged entity, and frees the keys of removed or changed ones', () => {
    const from = base();
    const c2 = consumer('bob');
    const clash = { ...from, consumers: [...from.consumers, c2], keyauth_credentials: [...from.keyauth_credentials, keyAuth(c2, 'k-alice')] };
    expect(() => apply(from, clash)).toThrow(/key "k-alice" already used by/);
    const renamed = { ...from.keyauth_credentials[0], key: 'k-alice-2' };
    const swap = { ...from, consumers: [...from.consumers, c2], keyauth_credentials: [renamed, keyAuth(c2, 'k-alice')] };
    expect(configHash(apply(from, swap).config)).toBe(configHash(swap));
    expect(() => apply(from, { ...from, routes: [...from.routes, route(from.services[0], '/z', 'ra')] })).toThrow(/name "ra" already used by/);
  });

  it('keeps its index in step across deltas only when they are committed', () => {
    const from = base();
    const index = new ConfigIndex(from);
    const to = { ...from, routes: [{ ...from.routes[0], name: 'renamed' }, from.routes[1], from.routes[2]] };
    const first = runSteps(applyDeltaSteps(from, index, diffConfigs(from, to, new EntityDigests()), lookup));
    // not committed: the old name is still taken in the index
    const again = { ...from, routes: [...from.routes, route(from.services[0], '/y', 'ra')] };
    expect(() => runSteps(applyDeltaSteps(from, index, diffConfigs(from, again, new EntityDigests()), lookup))).toThrow(/already used/);
    first.commit();
    const next = { ...first.config, routes: [...first.config.routes, route(from.services[0], '/y', 'ra')] };
    expect(configHash(runSteps(applyDeltaSteps(first.config, index, diffConfigs(first.config, next, new EntityDigests()), lookup)).config)).toBe(configHash(next));
  });
});
