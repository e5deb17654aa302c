// The plugin pipeline's own rules through the real proxy: Kong's precedence (the most specific
// instance of a plugin runs, consumer-scoped ones join once a consumer is identified), priority order,
// anonymous consumers, and error isolation (a throwing plugin costs its request a 500, nothing more).
import { connect } from 'node:net';
import { connect as h2connect, constants as h2constants } from 'node:http2';
import type { PluginHandler } from '@archway/pipeline';
import { BUNDLED_HANDLERS, pluginSchema } from '@archway/plugins';
import type { PluginDefinition } from '@archway/schema';
import { makeRoute, send, sleep } from './testing/fixtures';
import { sample, scrape } from './testing/metrics-scrape';
import { acl, keyAuth, makeConsumer, startPluginProxy, type PluginProxy } from './testing/plugin-proxy';

const alice = makeConsumer('alice');
const bob = makeConsumer('bob');
const anon = makeConsumer('anonymous');
const people = {
  consumers: [alice, bob, anon],
  keyauth_credentials: [keyAuth(alice, 'k-alice'), keyAuth(bob, 'k-bob')],
  acls: [acl(alice, 'admins'), acl(anon, 'guests')],
};

describe('precedence and ordering', () => {
  let px: PluginProxy;
  beforeEach(async () => {
    px = await startPluginProxy();
  });
  afterEach(async () => {
    await px.close();
  });

  const tag = (value: string, scope: Record<string, unknown>) => ({ name: 'request-transformer', config: { add: { headers: [`x-scope:${value}`] } }, ...scope });

  it("runs the route's instance over the service's and the global one; other routes get the service's", async () => {
    const other = makeRoute(px.service, { paths: ['/q'] });
    await px.apply(
      [tag('global', { route: null }), tag('service', { route: null, service: { id: px.service.id } }), tag('route', {})],
      { routes: [other] },
    );
    await send(px.port, { path: '/p' });
    await send(px.port, { path: '/q' });
    expect(px.upstream.seen.map((s) => s.headers['x-scope'])).toEqual(['route', 'service']);
  });

  it('runs a global plugin on every route that has no more specific instance', async () => {
    const other = makeRoute(px.service, { paths: ['/q'] });
    await px.apply([tag('global', { route: null }), tag('route', {})], { routes: [other] });
    await send(px.port, { path: '/q' });
    expect(px.upstream.seen[0].headers['x-scope']).toBe('global');
  });

  it("replaces the route's rate-limiting with the consumer's once key-auth identifies that consumer", async () => {
    await px.apply(
      [
        { name: 'key-auth' },
        { name: 'rate-limiting', config: { hour: 1 } },
        { name: 'rate-limiting', route: null, consumer: { id: alice.id }, config: { hour: 100 } },
      ],
      people,
    );
    const asAlice = [await send(px.port, { path: '/p', headers: { apikey: 'k-alice' } }), await send(px.port, { path: '/p', headers: { apikey: 'k-alice' } })];
    expect(asAlice.map((r) => [r.status, r.headers['x-ratelimit-limit-hour']])).toEqual([[200, '100'], [200, '100']]);
    const asBob = [await send(px.port, { path: '/p', headers: { apikey: 'k-bob' } }), await send(px.port, { path: '/p', headers: { apikey: 'k-bob' } })];
    expect(asBob.map((r) => [r.status, r.headers['x-ratelimit-limit-hour']])).toEqual([[200, '1'], [429, '1']]);
    expect(JSON.parse(asBob[1].body).message).toBe('API rate limit exceeded');
  });

  it('runs cors (2000) before key-auth (1250): a preflight without a key gets its CORS answer', async () => {
    await px.apply([{ name: 'key-auth' }, { name: 'cors', config: { origins: ['https://app.test'] } }], people);
    const preflight = await send(px.port, { method: 'OPTIONS', path: '/p', headers: { origin: 'https://app.test', 'access-control-request-method': 'GET' } });
    expect(preflight.status).toBe(200);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.test');
    // key-auth's 401 still passes through cors's header filter, so the browser can read it
    const refused = await send(px.port, { path: '/p', headers: { origin: 'https://app.test' } });
    expect(refused.status).toBe(401);
    expect(refused.headers['access-control-allow-origin']).toBe('https://app.test');
    expect(px.upstream.seen).toHaveLength(0);
  });

  it('runs key-auth (1250) before request-termination (2): no key is a 401, a key gets the termination', async () => {
    await px.apply([{ name: 'request-termination', config: { status_code: 503, message: 'maintenance' } }, { name: 'key-auth' }], people);
    expect((await send(px.port, { path: '/p' })).status).toBe(401);
    const res = await send(px.port, { path: '/p', headers: { apikey: 'k-alice' } });
    expect([res.status, JSON.parse(res.body)]).toEqual([503, { message: 'maintenance' }]);
  });

  it("lets acl judge key-auth's anonymous consumer by its own groups", async () => {
    await px.apply([{ name: 'key-auth', config: { anonymous: 'anonymous' } }, { name: 'acl', config: { allow: ['guests', 'admins'] } }], people);
    const guest = await send(px.port, { path: '/p' });
    expect(guest.status).toBe(200);
    const seen = px.upstream.seen[0].headers;
    expect([seen['x-anonymous-consumer'], seen['x-consumer-username'], seen['x-consumer-groups'], seen['x-credential-identifier']]).toEqual([
      'true', 'anonymous', 'guests', undefined,
    ]);
    await px.apply([{ name: 'key-auth', config: { anonymous: 'anonymous' } }, { name: 'acl', config: { allow: ['admins'] } }], people);
    const refused = await send(px.port, { path: '/p' });
    expect([refused.status, JSON.parse(refused.body).message]).toEqual([403, 'You cannot consume this service']);
    expect((await send(px.port, { path: '/p', headers: { apikey: 'k-alice' } })).status).toBe(200);
  });
});

describe('a plugin that throws', () => {
  // a test plugin beside the bundled ones: it throws (or rejects) in the phase its config names
  const boomSchema: PluginDefinition = {
    name: 'boom',
    config: {
      type: 'record',
      fields: {
        phase: { type: 'string', required: true, default: 'access', oneOf: ['access', 'headerFilter', 'log'] },
        async: { type: 'boolean', required: true, default: false },
      },
    },
  };
  const fail = (s: { async: boolean }) => (s.async ? Promise.reject(new Error('boom: async')) : (() => { throw new Error('boom: sync'); })());
  const boom: PluginHandler<{ phase: string; async: boolean }> = {
    name: 'boom',
    priority: 900,
    version: '0.1.0',
    configure: (config) => ({ phase: config.phase as string, async: config.async as boolean }),
    access: (_ctx, s) => (s.phase === 'access' ? fail(s) : undefined),
    headerFilter: (_ctx, s) => (s.phase === 'headerFilter' ? fail(s) : undefined),
    log: (_ctx, s) => (s.phase === 'log' ? fail(s) : undefined),
  };
  const handlers = new Map<string, PluginHandler>([...BUNDLED_HANDLERS, ['boom', boom as PluginHandler]]);
  const schemas = (name: string) => (name === 'boom' ? boomSchema : pluginSchema(name));

  let px: PluginProxy;
  beforeEach(async () => {
    px = await startPluginProxy({ plugins: { handlers, schemas } });
  });
  afterEach(async () => {
    await px.close();
  });

  const errorsLogged = () => px.logger.lines.filter((l) => l.level === 'error');

  it.each([false, true])("answers 500 with the request id when access throws (async: %s), logs it, and keeps serving", async (async) => {
    const other = makeRoute(px.service, { paths: ['/q'] });
    await px.apply([{ name: 'boom', config: { async } }], { routes: [other] });
    const res = await send(px.port, { path: '/p' });
    expect(res.status).toBe(500);
    const requestId = res.headers['x-archway-request-id'];
    expect(JSON.parse(res.body)).toEqual({ message: 'An unexpected error occurred', request_id: requestId });
    expect(px.upstream.seen).toHaveLength(0);
    expect(errorsLogged()).toEqual([
      expect.objectContaining({ msg: 'plugin failed', plugin: 'boom', phase: 'access', request_id: requestId, err: expect.objectContaining({ code: 'ARCHWAY_PLUGIN_FAILED' }) }),
    ]);
    // the same route fails again the same way; the others are served
    expect((await send(px.port, { path: '/p' })).status).toBe(500);
    expect((await send(px.port, { path: '/q' })).status).toBe(200);
  });

  it.each([false, true])('answers 500 with the request id when the header filter throws (async: %s), and keeps serving', async (async) => {
    const other = makeRoute(px.service, { paths: ['/q'] });
    await px.apply([{ name: 'boom', config: { phase: 'headerFilter', async } }], { routes: [other] });
    const res = await send(px.port, { path: '/p' });
    expect(res.status).toBe(500);
    const requestId = res.headers['x-archway-request-id'];
    expect(JSON.parse(res.body)).toEqual({ message: 'An unexpected error occurred', request_id: requestId });
    // logged once, as the plugin's failure (not as a failed upstream: it answered fine)
    expect(errorsLogged()).toEqual([
      expect.objectContaining({ msg: 'plugin failed in header filter', request_id: requestId, err: expect.objectContaining({ message: `plugin 'boom' failed in headerFilter: boom: ${async ? 'async' : 'sync'}` }) }),
    ]);
    expect((await send(px.port, { path: '/q' })).status).toBe(200);
  });

  it('leaves the response alone when the log phase throws, and logs the error', async () => {
    await px.apply([{ name: 'boom', config: { phase: 'log' } }]);
    const res = await send(px.port, { path: '/p' });
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 20)); // the log phase runs after the response
    expect(errorsLogged()).toEqual([expect.objectContaining({ msg: 'plugin failed in log phase', plugin: 'boom', request_id: res.headers['x-archway-request-id'] })]);
  });
});

describe('a plugin that awaits', () => {
  // priority 1000: after key-auth (1250), before rate-limiting (910), in access and in the header
  // filter; each of its phases waits a moment (as a plugin calling a service would), the plugins
  // around it are synchronous
  const slow: PluginHandler = {
    name: 'slow',
    priority: 1000,
    version: '0.1.0',
    async access(ctx) {
      await new Promise((r) => setTimeout(r, 5));
      ctx.setHeader('x-slow-saw-consumer', ctx.consumer?.username ?? 'none');
    },
    async headerFilter(ctx) {
      await new Promise((r) => setTimeout(r, 5));
      ctx.responseHeaders['x-slow'] = 'done';
      // rate-limiting runs next and replaces an upstream's own rate-limit headers
      ctx.responseHeaders['x-ratelimit-remaining-minute'] = 'from-slow';
    },
  };
  const handlers = new Map<string, PluginHandler>([...BUNDLED_HANDLERS, ['slow', slow]]);
  const schemas = (name: string): PluginDefinition | undefined =>
    name === 'slow' ? { name: 'slow', config: { type: 'record', fields: {} } } : pluginSchema(name);

  let px: PluginProxy;
  beforeEach(async () => {
    px = await startPluginProxy({ plugins: { handlers, schemas } });
  });
  afterEach(async () => {
    await px.close();
  });

  it('runs the plugins after it once it is done, in priority order, and sends what each one set', async () => {
    await px.apply([{ name: 'key-auth', config: {} }, { name: 'slow', config: {} }, { name: 'rate-limiting', config: { minute: 2, policy: 'local' } }], people);
    const first = await send(px.port, { path: '/p', headers: { apikey: 'k-alice' } });
    expect(first.status).toBe(200);
    expect(px.upstream.seen[0].headers).toMatchObject({ 'x-consumer-username': 'alice', 'x-slow-saw-consumer': 'alice' });
    expect(first.headers).toMatchObject({ 'x-slow': 'done', 'x-ratelimit-remaining-minute': '1' });
    expect((await send(px.port, { path: '/p', headers: { apikey: 'k-alice' } })).status).toBe(200);
    // over the limit: rate-limiting, after slow, answers; the upstream is not called
    expect((await send(px.port, { path: '/p', headers: { apikey: 'k-alice' } })).status).toBe(429);
    expect(px.upstream.seen).toHaveLength(2);
  });
});

describe('a client that leaves while a plugin awaits', () => {
  // access waits, while `held`, until the spec lets it go (as a plugin calling a slow service would)
  let held = false;
  let entered = (): void => undefined;
  let release = (): void => undefined;
  const gate: PluginHandler = {
    name: 'gate',
    priority: 1000,
    version: '0.1.0',
    access: () => {
      if (!held) return undefined;
      entered();
      return new Promise<void>((resolve) => (release = resolve));
    },
  };
  const handlers = new Map<string, PluginHandler>([...BUNDLED_HANDLERS, ['gate', gate]]);
  const schemas = (name: string): PluginDefinition | undefined =>
    name === 'gate' ? { name: 'gate', config: { type: 'record', fields: {} } } : pluginSchema(name);

  /** the requests counted as nginx's 499, client gone */
  const gone = 'archway_http_requests_total{service="gated",route="gated",code="499"}';

  let px: PluginProxy;
  beforeEach(async () => {
    held = false;
    px = await startPluginProxy({ plugins: { handlers, schemas }, tls: true, service: { name: 'gated' }, route: { name: 'gated' } });
  });
  afterEach(async () => {
    await px.close();
  });

  /** Sends GET /p and, once access holds it, leaves: closes the connection (HTTP/1.1) or resets the stream (HTTP/2). */
  const leaveDuringAccess: Record<string, (inAccess: Promise<void>) => Promise<void>> = {
    'HTTP/1.1': async (inAccess) => {
      const client = connect(px.port, '127.0.0.1');
      client.on('error', () => undefined);
      client.write('GET /p HTTP/1.1\r\nHost: example.test\r\n\r\n');
      await inAccess;
      client.destroy();
    },
    'HTTP/2': async (inAccess) => {
      const session = h2connect(`https://127.0.0.1:${px.tlsPort}`, { rejectUnauthorized: false });
      session.on('error', () => undefined);
      const stream = session.request({ ':path': '/p' });
      stream.on('error', () => undefined);
      await inAccess;
      stream.close(h2constants.NGHTTP2_CANCEL);
      session.close();
    },
  };

  it.each(Object.keys(leaveDuringAccess))(
    'sends nothing upstream once access is done, counts a 499 as nginx does, logs no upstream failure (%s)',
    async (protocol) => {
      await px.apply([{ name: 'gate', config: {} }]);
      held = true;
      await leaveDuringAccess[protocol](new Promise<void>((resolve) => (entered = resolve)));
      while (sample(await scrape(px.statusPort), gone) !== 1) await sleep(5);
      release();
      await sleep(50);
      expect(px.upstream.seen).toEqual([]);
      expect(px.logger.lines.filter((l) => l.level === 'error')).toEqual([]);
      held = false;
      expect((await send(px.port, { path: '/p' })).status).toBe(200);
      expect(px.upstream.seen).toHaveLength(1);
    },
  );

  it('takes a client that leaves while its body is read for a plugin as a 499, not a plugin failure', async () => {
    await px.apply([{ name: 'key-auth', config: { key_in_body: true } }], people);
    const client = connect(px.port, '127.0.0.1');
    client.on('error', () => undefined);
    client.write('POST /p HTTP/1.1\r\nHost: example.test\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\napikey=k-');
    await sleep(50);
    client.destroy();
    while (sample(await scrape(px.statusPort), gone) !== 1) await sleep(5);
    await sleep(20);
    expect(px.upstream.seen).toEqual([]);
    expect(px.logger.lines.filter((l) => l.level === 'error')).toEqual([]);
  });
});

describe('what the log phase reads', () => {
  // records what ctx.tries holds when the header filter runs
  const seen: unknown[] = [];
  const peek: PluginHandler = {
    name: 'peek',
    priority: 1,
    version: '0.1.0',
    headerFilter(ctx) {
      seen.push(ctx.tries);
    },
  };
  const handlers = new Map<string, PluginHandler>([...BUNDLED_HANDLERS, ['peek', peek]]);
  const schemas = (name: string): PluginDefinition | undefined =>
    name === 'peek' ? { name: 'peek', config: { type: 'record', fields: {} } } : pluginSchema(name);

  let px: PluginProxy;
  beforeEach(async () => {
    seen.length = 0;
    px = await startPluginProxy({ plugins: { handlers, schemas } });
  });
  afterEach(async () => {
    await px.close();
  });

  it("collects the upstream tries only when a log plugin will run on the request's chain", async () => {
    await px.apply([{ name: 'peek', config: {} }]);
    expect((await send(px.port, { path: '/p' })).status).toBe(200);
    await px.apply([{ name: 'peek', config: {} }, { name: 'file-log', config: { path: '/dev/null' } }]);
    expect((await send(px.port, { path: '/p' })).status).toBe(200);
    expect(seen).toEqual([null, [expect.objectContaining({ ip: '127.0.0.1', port: px.upstream.port })]]);
  });
});
