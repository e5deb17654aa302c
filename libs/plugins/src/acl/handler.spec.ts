import type { PluginHandler } from '@archway/pipeline';
import { keyAuthHandler } from '../key-auth/handler';
import { chainFor, consumer, pluginInstance, runChain, type FakeRequest } from '../testing/spec-kit';
import { aclHandler, AUTHENTICATED_GROUPS } from './handler';

const alice = consumer('11111111-1111-4111-8111-111111111111', 'alice');
const bob = consumer('22222222-2222-4222-8222-222222222222', 'bob');
const anon = consumer('33333333-3333-4333-8333-333333333333', 'anon');
const key = (id: string, k: string, c: { id: string }) => ({ id, created_at: 1, consumer: { id: c.id }, key: k, ttl: null, tags: null });
const acl = (id: string, c: { id: string }, group: string) => ({ id, created_at: 1, consumer: { id: c.id }, group, tags: null });
const extra = {
  consumers: [alice, bob, anon],
  keyauth_credentials: [key('44444444-4444-4444-8444-000000000001', 'alice-key', alice), key('44444444-4444-4444-8444-000000000002', 'bob-key', bob)],
  acls: [acl('55555555-5555-4555-8555-000000000001', alice, 'admin'), acl('55555555-5555-4555-8555-000000000002', alice, 'dev')],
};
const handlers = new Map<string, PluginHandler>([
  ['key-auth', keyAuthHandler as PluginHandler],
  ['acl', aclHandler as PluginHandler],
]);

function chain(aclConfig: Record<string, unknown>, keyAuthConfig: Record<string, unknown> | null = {}) {
  const plugins = [pluginInstance('acl', aclConfig)];
  if (keyAuthConfig) plugins.push(pluginInstance('key-auth', keyAuthConfig));
  return chainFor(plugins, handlers, extra);
}
const as = (apikey?: string): FakeRequest => ({ headers: apikey ? { apikey } : {} });

describe('acl', () => {
  it('lets a consumer in an allowed group through and sends X-Consumer-Groups upstream', async () => {
    const { ctx } = await runChain(chain({ allow: ['admin'] }), as('alice-key'));
    expect(ctx.exitResponse).toBeNull();
    expect(ctx.headers['x-consumer-groups']).toBe('admin, dev');
    expect(ctx.groups).toEqual(['admin', 'dev']);
  });

  it("answers 403 'You cannot consume this service' to a consumer outside the allowed groups", async () => {
    for (const who of ['alice-key', 'bob-key']) {
      const { ctx } = await runChain(chain({ allow: ['ops'] }), as(who));
      expect(ctx.exitResponse).toEqual({ status: 403, body: { message: 'You cannot consume this service' }, headers: null, error: true });
    }
  });

  it('refuses a consumer in a denied group and lets others (even without groups) through', async () => {
    const c = chain({ deny: ['dev'] });
    expect((await runChain(c, as('alice-key'))).ctx.exitResponse?.status).toBe(403);
    expect((await runChain(c, as('bob-key'))).ctx.exitResponse).toBeNull();
  });

  it('does not send X-Consumer-Groups when hide_groups_header is on', async () => {
    const { ctx } = await runChain(chain({ allow: ['dev'], hide_groups_header: true }), as('alice-key'));
    expect(ctx.exitResponse).toBeNull();
    expect(ctx.headers['x-consumer-groups']).toBeUndefined();
  });

  it("answers 401 'Unauthorized' when no authentication plugin identified a consumer", async () => {
    expect((await runChain(chain({ allow: ['admin'] }, null), as())).ctx.exitResponse).toMatchObject({ status: 401, body: { message: 'Unauthorized' } });
  });

  it('answers 401 to the anonymous consumer when it has no groups and an allow list is set', async () => {
    const { ctx } = await runChain(chain({ allow: ['admin'] }, { anonymous: 'anon' }), as());
    expect(ctx.consumer?.id).toBe(anon.id);
    expect(ctx.exitResponse).toMatchObject({ status: 401 });
  });

  it('checks the groups an authentication plugin set (X-Authenticated-Groups) when there is no consumer', async () => {
    const setter: PluginHandler = { name: 'key-auth', priority: 1250, version: '1', access: (ctx) => void ctx.shared.set(AUTHENTICATED_GROUPS, ['ops']) };
    const c = chainFor([pluginInstance('acl', { allow: ['ops'] }), pluginInstance('key-auth', {})], new Map([...handlers, ['key-auth', setter]]), extra);
    const { ctx } = await runChain(c, as());
    expect(ctx.exitResponse).toBeNull();
    expect(ctx.headers['x-authenticated-groups']).toBe('ops');
  });
});
