// IncrementalConfig keeps a validated config whole one change at a time, and finds what validateConfig would
// find across the set after a change: a dangling reference, a deleted entity still referenced, a
// unique key held twice. Its lists stay sorted by id and untouched collections keep their arrays.
import { IncrementalConfig, entityKey, type EntityChange } from './incremental-config';
import { consumerSchema } from './entities/consumer';
import { keyAuthSchema } from './entities/credentials';
import { routeSchema } from './entities/route';
import { serviceSchema } from './entities/service';
import { validateEntity } from './entity';
import { emptyConfig } from './canonical';
import type { StoredEntity } from './config-integrity';
import type { ConfigSet } from './types';

const ent = <T>(e: T) => e as unknown as StoredEntity;
const svc = ent(validateEntity(serviceSchema, { name: 's', url: 'http://s.test' }, 'create', { now: 1 }));
const route = ent(validateEntity(routeSchema, { paths: ['/a'], service: { id: svc.id } }, 'create', { now: 1 }));
const alice = ent(validateEntity(consumerSchema, { username: 'alice' }, 'create', { now: 1 }));
const bob = ent(validateEntity(consumerSchema, { username: 'bob' }, 'create', { now: 1 }));
const key = ent(validateEntity(keyAuthSchema, { key: 'k1', consumer: { id: alice.id } }, 'create', { now: 1 }));

function index(): IncrementalConfig {
  return new IncrementalConfig({ ...emptyConfig(), services: [svc], routes: [route], consumers: [alice, bob].sort((a, b) => (a.id < b.id ? -1 : 1)), keyauth_credentials: [key] } as unknown as ConfigSet);
}
const put = (kind: EntityChange['kind'], e: StoredEntity): EntityChange => ({ kind, key: entityKey(e.id), entity: e });
const del = (kind: EntityChange['kind'], e: StoredEntity): EntityChange => ({ kind, key: entityKey(e.id), entity: null });

describe('IncrementalConfig', () => {
  it('finds a deleted entity that is still referenced, and none once its referrers go with it', () => {
    expect(index().apply([del('services', svc)])).toEqual([`services ${svc.id}: deleted but still referenced`]);
    expect(index().apply([del('services', svc), del('routes', route)])).toEqual([]);
  });

  it('finds a reference to an entity that does not exist', () => {
    const moved = { ...route, service: { id: '00000000-0000-4000-8000-000000000001' } };
    expect(index().apply([put('routes', moved)])).toEqual([`routes ${route.id}: services 00000000-0000-4000-8000-000000000001 does not exist`]);
  });

  it('finds a unique key held twice, and lets two entities swap keys in one change', () => {
    expect(index().apply([put('consumers', { ...bob, username: 'alice' })])[0]).toMatch(/already used by/);
    expect(index().apply([put('consumers', { ...bob, username: 'alice' }), put('consumers', { ...alice, username: 'bob' })])).toEqual([]);
  });

  it('keeps every list sorted by id and the arrays of untouched collections', () => {
    const ix = index();
    const before = ix.config();
    const carol = ent(validateEntity(consumerSchema, { username: 'carol' }, 'create', { now: 2 }));
    const dave = ent(validateEntity(consumerSchema, { username: 'dave' }, 'create', { now: 2 }));
    expect(ix.apply([put('consumers', carol), put('consumers', dave), del('consumers', bob)])).toEqual([]);
    const after = ix.config();
    expect(after.consumers.map((c) => c.id)).toEqual([alice, carol, dave].map((c) => c.id).sort());
    expect(after.routes).toBe(before.routes);
    expect(before.consumers).toHaveLength(2);
  });

  it('merges a large change (more than it splices one by one) into the same sorted list', () => {
    const ix = index();
    const many = Array.from({ length: 150 }, (_, i) => ent(validateEntity(consumerSchema, { username: `m${i}` }, 'create', { now: 3 })));
    expect(ix.apply([...many.map((c) => put('consumers', c)), del('consumers', bob)])).toEqual([]);
    expect(ix.config().consumers.map((c) => c.id)).toEqual([alice, ...many].map((c) => c.id).sort());
  });
});
