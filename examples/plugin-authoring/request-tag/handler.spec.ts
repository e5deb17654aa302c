// request-tag through the real SDK: its schema validates and fills defaults as the Admin API would,
// compileChains configures it beside the bundled plugins, and the phase runners drive one request.
import { compileChains, PluginContext, runHeaderFilter, runRequestPhases, type PluginHandler } from '@archway/pipeline';
import { BUNDLED_HANDLERS, pluginSchema } from '@archway/plugins';
import {
  ArchwayError,
  consumerSchema,
  emptyConfig,
  keyAuthSchema,
  routeSchema,
  serviceSchema,
  validateEntity,
  validatePlugin,
  type ConfigSet,
  type Consumer,
  type KeyAuthCredential,
  type PluginLookup,
  type Route,
  type Service,
} from '@archway/schema';
import { requestTagHandler } from './handler';
import { requestTagSchema } from './schema';

// the bundled plugins plus ours, as a data plane built with it would have them
const lookup: PluginLookup = (name) => (name === 'request-tag' ? requestTagSchema : pluginSchema(name));
const handlers = new Map<string, PluginHandler>([...BUNDLED_HANDLERS, ['request-tag', requestTagHandler as PluginHandler]]);

const service = validateEntity<Service>(serviceSchema, { host: 'upstream.test' }, 'create');
const route = validateEntity<Route>(routeSchema, { paths: ['/'], service: { id: service.id } }, 'create');
const alice = validateEntity<Consumer>(consumerSchema, { username: 'alice' }, 'create');
const aliceKey = validateEntity<KeyAuthCredential>(keyAuthSchema, { consumer: { id: alice.id }, key: 'k-alice' }, 'create');

/** runs one request through `plugins` (on the route) and returns its context after the header filter */
async function run(plugins: Record<string, unknown>[], headers: Record<string, string> = {}): Promise<PluginContext> {
  const config = {
    ...emptyConfig(),
    services: [service],
    routes: [route],
    consumers: [alice],
    keyauth_credentials: [aliceKey],
    plugins: plugins.map((p) => validatePlugin({ route: { id: route.id }, ...p }, 'create', lookup)),
  } as ConfigSet;
  const chain = compileChains({ config, handlers }).forRoute(route);
  const ctx = new PluginContext({ requestId: 'r-1', method: 'GET', clientIp: '127.0.0.1', route, service, path: '/', query: '', headers, startedAt: 0 });
  const after = await runRequestPhases(chain, ctx);
  ctx.status = ctx.exitResponse?.status ?? 200; // what the proxy does with the upstream's answer
  await runHeaderFilter(after, ctx);
  return ctx;
}

describe('request-tag', () => {
  it('tags the request for the upstream with X-Request-Tag', async () => {
    const ctx = await run([{ name: 'request-tag', config: { tag: 'blue' } }]);
    expect(ctx.header('x-request-tag')).toBe('blue');
    expect(ctx.responseHeaders['x-request-tag']).toBeUndefined();
  });

  it("keeps the client's tag unless override is on", async () => {
    expect((await run([{ name: 'request-tag', config: { tag: 'blue' } }], { 'x-request-tag': 'mine' })).header('x-request-tag')).toBe('mine');
    expect((await run([{ name: 'request-tag', config: { tag: 'blue', override: true } }], { 'x-request-tag': 'mine' })).header('x-request-tag')).toBe('blue');
  });

  it('names the consumer key-auth identified, as key-auth runs first (priority 1250 > 790)', async () => {
    const ctx = await run([{ name: 'key-auth' }, { name: 'request-tag', config: { tag: 'blue', with_consumer: true } }], { apikey: 'k-alice' });
    expect(ctx.header('x-request-tag')).toBe('blue; consumer=alice');
  });

  it('echoes the tag to the client with echo_downstream, in its own header', async () => {
    const ctx = await run([{ name: 'request-tag', config: { tag: 'blue', header_name: 'X-Tag', echo_downstream: true } }]);
    expect(ctx.responseHeaders['x-tag']).toBe('blue');
  });

  it("echoes nothing when an earlier plugin answered (key-auth's 401)", async () => {
    const ctx = await run([{ name: 'key-auth' }, { name: 'request-tag', config: { tag: 'blue', echo_downstream: true } }]);
    expect(ctx.exitResponse?.status).toBe(401);
    expect(ctx.responseHeaders['x-request-tag']).toBeUndefined();
  });

  it('fills the defaults and refuses bad configs naming the field, as the Admin API answers', () => {
    const plugin = validatePlugin({ name: 'request-tag', config: { tag: 'blue' } }, 'create', lookup);
    expect(plugin.config).toEqual({ tag: 'blue', header_name: 'X-Request-Tag', override: false, with_consumer: false, echo_downstream: false });
    expect(plugin.protocols).toEqual(['http', 'https']);
    let error: unknown;
    try {
      validatePlugin({ name: 'request-tag', config: { header_name: 'x tag' } }, 'create', lookup);
    } catch (err) {
      error = err;
    }
    // the Admin API answers this as a 400 schema violation with these `fields`
    expect(error).toBeInstanceOf(ArchwayError);
    expect((error as ArchwayError).fields).toEqual({
      config: { tag: 'required field missing', header_name: "bad header name 'x tag', allowed characters are A-Z, a-z, 0-9, '_', and '-'" },
    });
  });
});
