import { canonicalConfig, configHash, makeSnapshot } from './canonical';
import { validateEntity } from './entity';
import { routeSchema } from './entities/route';
import { serviceSchema } from './entities/service';
import type { Route, Service } from './types';

const service = validateEntity<Service>(serviceSchema, { name: 's', url: 'http://a.test' }, 'create', { now: 1 });
const route = validateEntity<Route>(routeSchema, { paths: ['/a'], service: { id: service.id } }, 'create', { now: 1 });

describe('canonical config hash', () => {
  it('is the same whatever the order of entities and keys', () => {
    const shuffled = Object.fromEntries(Object.entries(route).reverse()) as unknown as Route;
    const other = validateEntity<Route>(routeSchema, { paths: ['/b'] }, 'create', { now: 1 });
    expect(configHash({ services: [service], routes: [route, other] })).toBe(
      configHash({ routes: [other, shuffled], services: [service] }),
    );
  });

  it('changes when any field changes', () => {
    const a = configHash({ services: [service], routes: [route] });
    const b = configHash({ services: [service], routes: [{ ...route, strip_path: false }] });
    expect(a).not.toBe(b);
  });

  it('encodes keys sorted with no whitespace', () => {
    expect(canonicalConfig({ services: [], routes: [] })).toBe('{"routes":[],"services":[]}');
  });

  it('freezes snapshots and stamps the hash', () => {
    const s = makeSnapshot(3, { services: [service], routes: [route] });
    expect(Object.isFrozen(s)).toBe(true);
    expect(s.hash).toMatch(/^[0-9a-f]{64}$/);
  });
});
