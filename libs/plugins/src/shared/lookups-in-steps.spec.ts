// The auth plugins' lookups (consumers, keys, usernames, secrets, groups) are built by the compile a
// few hundred entities per step, ahead of configure, so that a data plane applying a snapshot with
// thousands of consumers never holds its proxy's event loop for the whole build.
import { compileChainsSteps, LayeredMap, type ConfigIndex } from '@archway/pipeline';
import type { ConfigSet, Plugin } from '@archway/schema';
import { BUNDLED_HANDLERS, pluginSchema } from '../index';
import { configOf } from '../testing/config-of';
import { CREDENTIAL_INDEX } from '../basic-auth/handler';
import { GROUP_INDEX } from '../acl/handler';
import { SECRET_INDEX } from '../jwt/handler';
import { KEY_INDEX } from '../key-auth/handler';
import { CONSUMER_INDEX } from './consumers';

const N = 2000;
const consumers = Array.from({ length: N }, (_, i) => ({ id: `c-${i}`, username: `user-${i}`, custom_id: null }));
const consumer = (i: number) => ({ id: `c-${i}` });
const collections = {
  consumers,
  keyauth_credentials: consumers.map((_, i) => ({ id: `k-${i}`, key: `key-${i}`, consumer: consumer(i), ttl: null, created_at: 1 })),
  basicauth_credentials: consumers.map((_, i) => ({ id: `b-${i}`, username: `user-${i}`, password: 'x', consumer: consumer(i) })),
  jwt_secrets: consumers.map((_, i) => ({ id: `j-${i}`, key: `iss-${i}`, algorithm: 'HS256', secret: `s-${i}`, rsa_public_key: null, consumer: consumer(i) })),
  acls: consumers.map((_, i) => ({ id: `a-${i}`, group: `g-${i % 10}`, consumer: consumer(i) })),
};

function pluginEntity(name: string, config: Record<string, unknown>): Plugin {
  const { value, error } = configOf(pluginSchema(name)!, config);
  if (error) throw new Error(JSON.stringify(error));
  return { id: `p-${name}`, name, enabled: true, route: null, service: null, consumer: null, config: value } as unknown as Plugin;
}

/** steps compileChainsSteps takes for one global instance of `name` */
function compileSteps(name: string, config: Record<string, unknown>): number {
  const set = { services: [], routes: [], plugins: [pluginEntity(name, config)], ...collections } as unknown as ConfigSet;
  const gen = compileChainsSteps({ config: set, handlers: BUNDLED_HANDLERS });
  let steps = 0;
  while (!gen.next().done) steps++;
  return steps;
}

describe('auth plugin lookups built in steps', () => {
  it.each([
    ['key-auth', {}, 2],
    ['basic-auth', {}, 2],
    ['jwt', {}, 2],
    ['acl', { allow: ['g-1'] }, 1],
  ])('%s: a step per few hundred of 2,000 entities in each lookup it reads', (name, config, lookups) => {
    // one step per plugin instance, and per lookup at least one per 500 entities
    expect(compileSteps(name, config)).toBeGreaterThanOrEqual(1 + lookups * (N / 500));
  });
});

describe('auth plugin lookups updated from a delta', () => {
  // each lookup, the collection it reads, the field a rename changes, and an entity of it whose field is `name`
  const cases: [string, ConfigIndex<unknown>, string, string, (id: string, name: string) => Record<string, unknown>][] = [
    ['consumers', CONSUMER_INDEX, 'consumers', 'username', (id, name) => ({ id, username: name, custom_id: null })],
    ['key-auth keys', KEY_INDEX, 'keyauth_credentials', 'key', (id, name) => ({ id, key: name, consumer: consumer(1), ttl: null, created_at: 1 })],
    ['basic-auth usernames', CREDENTIAL_INDEX, 'basicauth_credentials', 'username', (id, name) => ({ id, username: name, password: 'x', consumer: consumer(1) })],
    ['jwt secrets', SECRET_INDEX.plain, 'jwt_secrets', 'key', (id, name) => ({ id, key: name, algorithm: 'HS256', secret: `s-${name}`, rsa_public_key: null, consumer: consumer(1) })],
    // acls of four consumers, a rename moving one to another group
    ['acl groups', GROUP_INDEX, 'acls', 'group', (id, name) => ({ id, group: name, consumer: consumer(Number(id.slice(2)) % 4) })],
  ];
  /**
   * a lookup's maps as sorted entries (a LayeredMap lists its changed entries first); a consumer's acl
   * groups as a sorted list (a build lists them in the config's order, an update in id order: equal when
   * the config is in id order, as the control plane sends it; these random lists are not)
   */
  const plain = (value: unknown): unknown => {
    if (value instanceof LayeredMap) return [...value].sort(([a], [b]) => (String(a) < String(b) ? -1 : 1)).map(([k, v]) => [k, plain(v)]);
    const groups = (value as { groups?: string[] } | null)?.groups;
    if (groups) return { groups: [...groups].sort(), header: (value as { header: string }).header.split(', ').sort() };
    if (value && typeof value === 'object' && !Array.isArray(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
    return value;
  };
  const run = <T>(gen: Generator<void, T>): T => {
    for (;;) {
      const r = gen.next();
      if (r.done) return r.value;
    }
  };

  it.each(cases)('%s: after each of 150 random deltas (adds, removals, renames, one taking a freed name; the layer folded on the way), what a build gives', (_, index, collection, field, entity) => {
    let seed = 7;
    const random = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    let list = Array.from({ length: 30 }, (_, i) => entity(`e-${i}`, `n-${i}`));
    let value = run(index.build({ [collection]: list } as unknown as ConfigSet));
    let next = 30;
    for (let step = 0; step < 150; step++) {
      const upserted: Record<string, unknown>[] = [];
      const dropped: Record<string, unknown>[] = [];
      let after = [...list];
      const i = random(after.length);
      switch (random(4)) {
        case 0: // added
          upserted.push(entity(`e-${next}`, `n-${next++}`));
          after.push(upserted[0]);
          break;
        case 1: // removed
          dropped.push(after[i]);
          after.splice(i, 1);
          break;
        case 2: // renamed
          dropped.push(after[i]);
          upserted.push({ ...after[i], [field]: `n-${next++}` });
          after[i] = upserted[0];
          break;
        default: {
          // one removed, another renamed to the name it freed
          const j = (i + 1) % after.length;
          dropped.push(after[i], after[j]);
          upserted.push({ ...after[j], [field]: after[i][field] });
          after[j] = upserted[0];
          after = after.filter((_, k) => k !== i);
        }
      }
      const from = { [collection]: list } as unknown as ConfigSet;
      value = run((index.update as NonNullable<typeof index.update>)(value, { from, upserted: { [collection]: upserted }, dropped: { [collection]: dropped } }));
      list = after;
      expect(plain(value)).toEqual(plain(run(index.build({ [collection]: list } as unknown as ConfigSet))));
    }
  });
});
