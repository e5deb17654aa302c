import { compileChains, PluginContext, runRequestPhases, type PluginHandler } from '@archway/pipeline';
import { routeSchema, serviceSchema, validateEntity, validatePlugin, type ConfigSet, type Route, type Service } from '@archway/schema';
import { pluginSchema } from '../index';
import { keyAuthHandler } from './handler';

const service = validateEntity<Service>(serviceSchema, { host: 's.test' }, 'create');
const route = validateEntity<Route>(routeSchema, { paths: ['/'], service: { id: service.id } }, 'create');
const alice = { id: '11111111-1111-4111-8111-111111111111', created_at: 1, updated_at: 1, username: 'alice', custom_id: 'a-1', tags: null };
const anon = { id: '22222222-2222-4222-8222-222222222222', created_at: 1, updated_at: 1, username: 'anon', custom_id: null, tags: null };
const now = Math.floor(Date.now() / 1000);
const cred = { id: '33333333-3333-4333-8333-333333333333', created_at: now, updated_at: now, consumer: { id: alice.id }, key: 'secret-key', ttl: null, tags: null };
const expired = { ...cred, id: '44444444-4444-4444-8444-444444444444', key: 'old-key', created_at: now - 100, ttl: 10 };

function chain(config: Record<string, unknown> = {}) {
  const plugin = validatePlugin({ name: 'key-auth', route: { id: route.id }, config }, 'create', pluginSchema);
  const set = { services: [service], routes: [route], plugins: [plugin], consumers: [alice, anon], keyauth_credentials: [cred, expired] } as unknown as ConfigSet;
  return compileChains({ config: set, handlers: new Map<string, PluginHandler>([['key-auth', keyAuthHandler as PluginHandler]]) }).forRoute(route);
}

async function run(config: Record<string, unknown>, req: { headers?: Record<string, string | string[]>; query?: string; body?: string; method?: string } = {}) {
  const ctx = new PluginContext({
    requestId: 'r',
    method: req.method ?? 'GET',
    clientIp: '127.0.0.1',
    route,
    service,
    path: '/',
    query: req.query ?? '',
    headers: { ...(req.headers ?? {}) },
    startedAt: 0,
  });
  if (req.body !== undefined) ctx.body = Buffer.from(req.body);
  await runRequestPhases(chain(config), ctx);
  return ctx;
}

describe('key-auth', () => {
  it("answers 401 'No API key found in request' with WWW-Authenticate when no key is sent", async () => {
    const ctx = await run({});
    expect(ctx.exitResponse).toEqual({ status: 401, body: { message: 'No API key found in request' }, headers: { 'WWW-Authenticate': 'Key realm="kong"' }, error: true });
  });

  it("answers 401 'Invalid authentication credentials' for an unknown key", async () => {
    expect((await run({}, { headers: { apikey: 'nope' } })).exitResponse).toMatchObject({ status: 401, body: { message: 'Invalid authentication credentials' } });
  });

  it('identifies the consumer from the apikey header and sets the X-Consumer-* headers upstream', async () => {
    const ctx = await run({}, { headers: { apikey: 'secret-key', 'x-anonymous-consumer': 'true' } });
    expect(ctx.exitResponse).toBeNull();
    expect(ctx.consumer?.id).toBe(alice.id);
    expect(ctx.headers).toMatchObject({
      'x-consumer-id': alice.id,
      'x-consumer-username': 'alice',
      'x-consumer-custom-id': 'a-1',
      'x-credential-identifier': cred.id,
      apikey: 'secret-key',
    });
    expect(ctx.headers['x-anonymous-consumer']).toBeUndefined();
  });

  it('reads the key from the query string and hides it when hide_credentials is on', async () => {
    const ctx = await run({ hide_credentials: true }, { query: 'apikey=secret-key&page=2' });
    expect(ctx.consumer?.username).toBe('alice');
    expect(ctx.query).toBe('page=2');
  });

  it('removes the key header upstream when hide_credentials is on', async () => {
    const ctx = await run({ hide_credentials: true, key_names: ['X-Api-Key'] }, { headers: { 'x-api-key': 'secret-key' } });
    expect(ctx.consumer?.username).toBe('alice');
    expect(ctx.headers['x-api-key']).toBeUndefined();
  });

  it('reads the key from a form body only when key_in_body is on', async () => {
    const headers = { 'content-type': 'application/x-www-form-urlencoded' };
    expect((await run({}, { headers, body: 'apikey=secret-key' })).exitResponse?.status).toBe(401);
    expect((await run({ key_in_body: true }, { headers, body: 'apikey=secret-key' })).consumer?.username).toBe('alice');
  });

  it("answers 401 'Duplicate API key found' for a key sent twice in the query", async () => {
    expect((await run({}, { query: 'apikey=a&apikey=b' })).exitResponse?.body).toEqual({ message: 'Duplicate API key found' });
  });

  it('refuses a key whose ttl has passed', async () => {
    expect((await run({}, { headers: { apikey: 'old-key' } })).exitResponse?.status).toBe(401);
  });

  it('lets the request through as the anonymous consumer when configured, marking it anonymous', async () => {
    const ctx = await run({ anonymous: 'anon' });
    expect(ctx.exitResponse).toBeNull();
    expect(ctx.consumer?.id).toBe(anon.id);
    expect(ctx.headers['x-anonymous-consumer']).toBe('true');
    expect(ctx.headers['x-credential-identifier']).toBeUndefined();
  });

  it('skips OPTIONS preflight requests when run_on_preflight is off', async () => {
    expect((await run({ run_on_preflight: false }, { method: 'OPTIONS' })).exitResponse).toBeNull();
    expect((await run({}, { method: 'OPTIONS' })).exitResponse?.status).toBe(401);
  });
});
