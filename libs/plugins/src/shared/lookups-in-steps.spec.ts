// The auth plugins' lookups (consumers, keys, usernames, secrets, groups) are built by the compile a
// few hundred entities per step, ahead of configure, so that a data plane applying a snapshot with
// thousands of consumers never holds its proxy's event loop for the whole build.
import { compileChainsSteps } from '@archway/pipeline';
import type { ConfigSet, Plugin } from '@archway/schema';
import { BUNDLED_HANDLERS, pluginSchema } from '../index';
import { configOf } from '../testing/config-of';

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
