// A full snapshot build validates only the rows written since its previous build (by row revision) and
// still publishes exactly what validating everything gives; a row that changed is checked again.
import { pluginSchema } from '@archway/plugins';
import { configHash, emptyConfig, routeSchema, serviceSchema, validateConfig, validateEntity, type EntityName, type Route, type Service } from '@archway/schema';
import type { Entity } from '../store/entity-store';
import { SnapshotBuilder } from './build-snapshot';

/** A store whose rows and revisions the spec sets, read as EntityStore.readConfig reads them. */
class FakeStore {
  version = 1;
  rows = new Map<EntityName, { data: Entity; rev: string }[]>();
  reads = 0;

  async readConfig() {
    this.reads++;
    const entities = {} as Record<EntityName, Entity[]>;
    const revisions = {} as Record<EntityName, string[]>;
    for (const kind of Object.keys(emptyConfig()) as EntityName[]) {
      // as the database hands them out: fresh objects on every read
      const rows = this.rows.get(kind) ?? [];
      entities[kind] = rows.map((r) => JSON.parse(JSON.stringify(r.data)) as Entity);
      revisions[kind] = rows.map((r) => r.rev);
    }
    return { version: this.version, entities, revisions };
  }

  /** no history here: every build after the first reads everything (incremental builds: incremental-build.spec.ts) */
  async changedSince() {
    return { complete: false as const, version: this.version };
  }
}

describe('SnapshotBuilder', () => {
  const svc = validateEntity<Service>(serviceSchema, { name: 'a', url: 'http://a.internal' }, 'create', { now: 1 });
  const routes = [1, 2, 3].map((i) => validateEntity<Route>(routeSchema, { paths: [`/r${i}`], service: { id: svc.id } }, 'create', { now: i }));

  function storeWith(): FakeStore {
    const store = new FakeStore();
    store.rows.set('services', [{ data: svc as unknown as Entity, rev: '10' }]);
    store.rows.set('routes', routes.map((r, i) => ({ data: r as unknown as Entity, rev: String(20 + i) })));
    return store;
  }

  it('publishes, build after build, what validating the whole config gives, with the same hash', async () => {
    const store = storeWith();
    const builder = new SnapshotBuilder(store);
    const first = await builder.build();
    store.version = 2;
    const second = await builder.build();
    const expected = validateConfig({ ...emptyConfig(), services: [svc], routes }, pluginSchema);
    expect(second.config).toEqual(expected);
    expect(second.hash).toBe(configHash(expected));
    expect(second.hash).toBe(first.hash);
    expect(second.version).toBe(2);
  });

  it('validates a row again when its revision changed: a row made invalid fails the build, naming it', async () => {
    const store = storeWith();
    const builder = new SnapshotBuilder(store);
    await builder.build();
    store.version++;
    store.rows.set('services', [{ data: { ...(svc as unknown as Entity), port: 70000 }, rev: '11' }]);
    await expect(builder.build()).rejects.toThrow(new RegExp(`services ${svc.id}: .*port`));
  });

  it('still checks references across the set when every row is unchanged but one was deleted', async () => {
    const store = storeWith();
    const builder = new SnapshotBuilder(store);
    await builder.build();
    store.version++;
    store.rows.set('services', []);
    await expect(builder.build()).rejects.toThrow(/service .* does not exist/);
  });

  it('takes a changed row into the next snapshot', async () => {
    const store = storeWith();
    const builder = new SnapshotBuilder(store);
    await builder.build();
    store.version++;
    store.rows.set('routes', [{ data: { ...(routes[0] as unknown as Entity), paths: ['/moved'] }, rev: '30' }]);
    const s = await builder.build();
    expect(s.config.routes.map((r) => r.paths)).toEqual([['/moved']]);
  });
});
