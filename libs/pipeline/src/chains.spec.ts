import { routeSchema, runSteps, serviceSchema, validateEntity, type ConfigSet, type Plugin, type Route, type Service } from '@archway/schema';
import { compileChains, compileChainsSteps, ConfigIndexCache, PluginUnavailableError } from './chains';
import { PluginContext } from './plugin-context';
import type { ConfigIndex, PluginHandler } from './plugin-handler';
import { PluginError, runHeaderFilter, runHeaderFilterEager, runRequestPhases, runRequestPhasesEager } from './run-phases';

const service = validateEntity<Service>(serviceSchema, { host: 's.test' }, 'create');
const other = validateEntity<Service>(serviceSchema, { host: 'o.test' }, 'create');
const route = validateEntity<Route>(routeSchema, { paths: ['/a'], service: { id: service.id } }, 'create');
const consumer = { id: '11111111-1111-4111-8111-111111111111', username: 'bob', custom_id: null };

let n = 0;
function plugin(name: string, scope: { route?: string; service?: string; consumer?: string }, config: Record<string, unknown> = {}): Plugin {
  n++;
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    created_at: 1,
    updated_at: 1,
    name,
    instance_name: null,
    route: scope.route ? { id: scope.route } : null,
    service: scope.service ? { id: scope.service } : null,
    consumer: scope.consumer ? { id: scope.consumer } : null,
    config,
    protocols: ['http', 'https'],
    enabled: true,
    tags: null,
  };
}

/** A handler that records which instance ran (its config.tag) into ctx.shared. */
function recorder(name: string, priority: number, extra: Partial<PluginHandler> = {}): PluginHandler {
  return {
    name,
    priority,
    version: '1',
    configure: (config) => config.tag,
    access(ctx, state) {
      ctx.shared.set('ran', [...((ctx.shared.get('ran') as string[]) ?? []), `${name}:${String(state)}`]);
    },
    ...extra,
  };
}

function config(plugins: Plugin[]): ConfigSet {
  return { services: [service, other], routes: [route], plugins } as unknown as ConfigSet;
}

function ctxFor(): PluginContext {
  return new PluginContext({ requestId: 'r', method: 'GET', clientIp: '127.0.0.1', route, service, path: '/a', query: '', headers: {}, startedAt: 0 });
}

const ran = (ctx: PluginContext) => ctx.shared.get('ran');

describe('plugin chains (Kong precedence)', () => {
  const handlers = new Map([
    ['limit', recorder('limit', 910)],
    ['cors', recorder('cors', 2000)],
    [
      'auth',
      recorder('auth', 1250, {
        access(ctx) {
          ctx.authenticate(consumer, { id: 'cred', identifier: 'cred' });
        },
      }),
    ],
  ]);

  it('compiles one chain for routes that run the same instances (no consumer-scoped plugin), one of its own for a route-scoped one', async () => {
    const mk = (path: string, svc: Service) => validateEntity<Route>(routeSchema, { paths: [path], service: { id: svc.id } }, 'create');
    const [a, b, c, d] = [mk('/a', service), mk('/b', service), mk('/c', other), mk('/d', service)];
    const plugins = [plugin('limit', {}, { tag: 'global' }), plugin('limit', { service: other.id }, { tag: 'other' }), plugin('limit', { route: d.id }, { tag: 'd' })];
    const chains = compileChains({ config: { services: [service, other], routes: [a, b, c, d], plugins } as unknown as ConfigSet, handlers });
    expect(chains.forRoute(a)).toBe(chains.forRoute(b));
    expect(chains.forRoute(c)).not.toBe(chains.forRoute(a));
    expect(chains.forRoute(d)).not.toBe(chains.forRoute(a));
    const tags = async (r: Route) => {
      const ctx = new PluginContext({ requestId: 'r', method: 'GET', clientIp: '127.0.0.1', route: r, service, path: '/', query: '', headers: {}, startedAt: 0 });
      await runRequestPhases(chains.forRoute(r), ctx);
      return ran(ctx);
    };
    expect(await tags(b)).toEqual(['limit:global']);
    expect(await tags(c)).toEqual(['limit:other']);
    expect(await tags(d)).toEqual(['limit:d']);
  });

  it("gives a route its service's chain whether the router's service object is passed or not, and a route-scoped one its own", () => {
    const mk = (path: string, svc: Service) => validateEntity<Route>(routeSchema, { paths: [path], service: { id: svc.id } }, 'create');
    const [a, c, d] = [mk('/a', service), mk('/c', other), mk('/d', service)];
    const plugins = [plugin('limit', {}, { tag: 'global' }), plugin('limit', { service: other.id }, { tag: 'other' }), plugin('limit', { route: d.id }, { tag: 'd' })];
    const chains = compileChains({ config: { services: [service, other], routes: [a, c, d], plugins } as unknown as ConfigSet, handlers });
    // the router's match carries the service object; a copy of it (another config's) is found by id
    expect(chains.forRoute(a, service)).toBe(chains.forRoute(a));
    expect(chains.forRoute(c, other)).toBe(chains.forRoute(c));
    expect(chains.forRoute(c, { ...other })).toBe(chains.forRoute(c));
    expect(chains.forRoute(c, other)).not.toBe(chains.forRoute(a, service));
    // a route-scoped instance wins over the service's chain, with or without the service object
    expect(chains.forRoute(d, service)).toBe(chains.forRoute(d));
    expect(chains.forRoute(d, service)).not.toBe(chains.forRoute(a, service));
    expect(chains.forRoute(d, service).access?.map((s) => s.plugin.id)).toEqual([plugins[2].id]);
    // a copy of the route (another config's object) still runs its route-scoped instance
    expect(chains.forRoute({ ...d }, service)).toBe(chains.forRoute(d));
  });

  it('runs one instance per plugin name, the most specific: route over service over global', async () => {
    const chains = compileChains({
      config: config([plugin('limit', {}, { tag: 'global' }), plugin('limit', { service: service.id }, { tag: 'service' }), plugin('limit', { route: route.id }, { tag: 'route' })]),
      handlers,
    });
    const ctx = ctxFor();
    await runRequestPhases(chains.forRoute(route), ctx);
    expect(ran(ctx)).toEqual(['limit:route']);
  });

  it('prefers route+service over route alone, and ignores plugins of other services', async () => {
    const chains = compileChains({
      config: config([plugin('limit', { route: route.id }, { tag: 'route' }), plugin('limit', { route: route.id, service: service.id }, { tag: 'both' }), plugin('cors', { service: other.id }, { tag: 'other' })]),
      handlers,
    });
    const ctx = ctxFor();
    await runRequestPhases(chains.forRoute(route), ctx);
    expect(ran(ctx)).toEqual(['limit:both']);
  });

  it('runs plugins in priority order, highest first', async () => {
    const chains = compileChains({ config: config([plugin('limit', {}, { tag: 'g' }), plugin('cors', {}, { tag: 'g' })]), handlers });
    const ctx = ctxFor();
    await runRequestPhases(chains.forRoute(route), ctx);
    expect(ran(ctx)).toEqual(['cors:g', 'limit:g']);
  });

  it('switches to the consumer-specific instance once authentication identifies the consumer', async () => {
    const chains = compileChains({
      config: config([plugin('auth', { route: route.id }), plugin('limit', { route: route.id }, { tag: 'route' }), plugin('limit', { consumer: consumer.id }, { tag: 'consumer' })]),
      handlers,
    });
    const ctx = ctxFor();
    await runRequestPhases(chains.forRoute(route), ctx);
    // Kong's order: … > route+service > consumer > route > …, so the consumer's instance wins here
    expect(ran(ctx)).toEqual(['limit:consumer']);
  });

  it('stops at exit: later access plugins do not run', async () => {
    const stopper = recorder('cors', 2000, { access: (ctx) => ctx.exit(403, { message: 'no' }) });
    const chains = compileChains({ config: config([plugin('cors', {}), plugin('limit', {}, { tag: 'g' })]), handlers: new Map([...handlers, ['cors', stopper]]) });
    const ctx = ctxFor();
    await runRequestPhases(chains.forRoute(route), ctx);
    expect(ctx.exitResponse).toEqual({ status: 403, body: { message: 'no' }, headers: null, error: false });
    expect(ran(ctx)).toBeUndefined();
  });

  it('marks a route without plugins empty, so the proxy skips the pipeline', () => {
    expect(compileChains({ config: config([]), handlers }).forRoute(route).empty).toBe(true);
  });

  it('leaves out of the body filter phase an instance whose needsResponseBody is false, so the response is not buffered', () => {
    const filter = recorder('limit', 910, { configure: (c) => c.tag === 'on', bodyFilter: (_ctx, _s, b) => b, needsResponseBody: (s) => s === true });
    const chainWith = (tag: string) => compileChains({ config: config([plugin('limit', {}, { tag })]), handlers: new Map([['limit', filter]]) }).forRoute(route);
    expect(chainWith('on').bodyFilter).toHaveLength(1);
    expect(chainWith('off').bodyFilter).toBeNull();
  });

  it('refuses a config with a plugin this data plane cannot run (a NACK, never a silently open route)', () => {
    expect(() => compileChains({ config: config([plugin('nope', {})]), handlers })).toThrow(PluginUnavailableError);
  });

  it('disposes every configured instance once when the snapshot is replaced, and what was configured when a later configure throws', () => {
    const released: unknown[] = [];
    const pooled = recorder('limit', 910, { dispose: (s) => void released.push(s) });
    const chains = compileChains({ config: config([plugin('limit', { route: route.id }, { tag: 'a' }), plugin('limit', {}, { tag: 'b' })]), handlers: new Map([['limit', pooled]]) });
    chains.dispose();
    chains.dispose();
    expect(released.sort()).toEqual(['a', 'b']);
    released.length = 0;
    const failing = recorder('cors', 2000, {
      configure() {
        throw new Error('bad config');
      },
    });
    const input = { config: config([plugin('limit', {}, { tag: 'c' }), plugin('cors', {})]), handlers: new Map([['limit', pooled], ['cors', failing]]) };
    expect(() => compileChains(input)).toThrow('bad config');
    expect(released).toEqual(['c']);
  });

  it('resolves dispose once every asynchronous disposal (a queue flushing) settled, a failing one included', async () => {
    const flushed: string[] = [];
    let release: () => void = () => undefined;
    const slow = recorder('limit', 910, {
      dispose: (s) => (s === 'slow' ? new Promise<void>((r) => (release = r)).then(() => void flushed.push('slow')) : Promise.reject(new Error('gone'))),
    });
    const chains = compileChains({ config: config([plugin('limit', { route: route.id }, { tag: 'slow' }), plugin('limit', {}, { tag: 'bad' })]), handlers: new Map([['limit', slow]]) });
    const failures: unknown[] = [];
    let done = false;
    const disposed = chains.dispose((err) => failures.push(err)).then(() => (done = true));
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    release();
    await disposed;
    expect(flushed).toEqual(['slow']);
    expect(failures).toEqual([new Error('gone')]);
    expect(chains.dispose()).toBe(chains.dispose());
  });

  it("hands configure the plugin entity, for its scope (Kong's conf.route_id / service_id)", () => {
    const seen: Plugin[] = [];
    const scoped = recorder('limit', 910, { configure: (_c, _env, p) => void seen.push(p as Plugin) });
    const instance = plugin('limit', { route: route.id, service: service.id });
    compileChains({ config: config([instance]), handlers: new Map([['limit', scoped]]) });
    expect(seen).toEqual([instance]);
  });

  it('wraps a throwing plugin in a PluginError naming the plugin and phase', async () => {
    const broken = recorder('cors', 2000, {
      access() {
        throw new Error('boom');
      },
      headerFilter() {
        throw new Error('late boom');
      },
    });
    const chains = compileChains({ config: config([plugin('cors', {})]), handlers: new Map([['cors', broken]]) });
    await expect(runRequestPhases(chains.forRoute(route), ctxFor())).rejects.toMatchObject({ plugin: 'cors', phase: 'access', code: 'ARCHWAY_PLUGIN_FAILED' });
    await expect(runHeaderFilter(chains.forRoute(route), ctxFor())).rejects.toBeInstanceOf(PluginError);
  });

  it('runs synchronous plugins to the end without a promise (the proxy answers in the same tick)', () => {
    const chains = compileChains({ config: config([plugin('cors', { route: route.id }), plugin('limit', { route: route.id })]), handlers });
    const ctx = ctxFor();
    expect(runRequestPhasesEager(chains.forRoute(route), ctx)).toBe(chains.forRoute(route));
    expect(ran(ctx)).toEqual(['cors:undefined', 'limit:undefined']);
    expect(runHeaderFilterEager(chains.forRoute(route), ctx)).toBeUndefined();
  });

  it('continues after a plugin that returns a promise, in order, and throws a synchronous failure at once', async () => {
    const waits = recorder('cors', 2000, {
      async access(ctx) {
        await new Promise((r) => setTimeout(r, 1));
        ctx.shared.set('ran', [...((ctx.shared.get('ran') as string[]) ?? []), 'cors:waited']);
      },
    });
    const chains = compileChains({ config: config([plugin('cors', {}), plugin('limit', {})]), handlers: new Map([...handlers, ['cors', waits]]) });
    const ctx = ctxFor();
    const pending = runRequestPhasesEager(chains.forRoute(route), ctx);
    expect(pending).toBeInstanceOf(Promise);
    expect(ran(ctx)).toBeUndefined();
    await pending;
    expect(ran(ctx)).toEqual(['cors:waited', 'limit:undefined']);

    const broken = recorder('cors', 2000, {
      access() {
        throw new Error('boom');
      },
    });
    const failing = compileChains({ config: config([plugin('cors', {})]), handlers: new Map([['cors', broken]]) });
    expect(() => runRequestPhasesEager(failing.forRoute(route), ctxFor())).toThrow(PluginError);
  });
});

describe('indexes built in steps (ConfigIndex)', () => {
  const names = Array.from({ length: 1000 }, (_, i) => ({ id: `c${i}`, username: `user-${i}` }));
  /** an index of `consumers` by username, a step per 100, counting its builds */
  function byUsername(): ConfigIndex<Map<string, string>> & { builds: number } {
    return {
      key: 'by-username',
      builds: 0,
      *build(c) {
        this.builds++;
        const m = new Map<string, string>();
        const list = (c as unknown as { consumers: typeof names }).consumers;
        for (let i = 0; i < list.length; i++) {
          m.set(list[i].username, list[i].id);
          if (i % 100 === 99) yield;
        }
        return m;
      },
    };
  }
  /** a handler whose configure reads the index, which it lists so the compile builds it first */
  const lookup = (index: ConfigIndex<Map<string, string>>, listed = true): PluginHandler<Map<string, string>> => ({
    name: 'lookup',
    priority: 1000,
    version: '1',
    configure: (_config, env) => env.index(index),
    access: () => undefined,
    ...(listed ? { indexes: () => [index] } : {}),
  });
  const withConsumers = (list: typeof names) => ({ ...config([plugin('lookup', {}), plugin('lookup', { service: service.id })]), consumers: list }) as unknown as ConfigSet;
  const stepsOf = (gen: Generator<unknown, unknown>) => {
    let steps = 0;
    while (!gen.next().done) steps++;
    return steps;
  };

  it('builds a listed index a step at a time before configure, once for every instance that reads it', () => {
    const index = byUsername();
    const listed = stepsOf(compileChainsSteps({ config: withConsumers(names), handlers: new Map([['lookup', lookup(index)]]) }));
    const unlisted = byUsername();
    const inConfigure = stepsOf(compileChainsSteps({ config: withConsumers(names), handlers: new Map([['lookup', lookup(unlisted, false)]]) }));
    // 1,000 consumers, a step per 100: ten steps more than building it inside configure, in one
    expect(listed - inConfigure).toBe(10);
    expect(index.builds).toBe(1);
    expect(unlisted.builds).toBe(1);
    const chains = compileChains({ config: withConsumers(names), handlers: new Map([['lookup', lookup(byUsername())]]) });
    expect((chains.forRoute(route).access?.[0].state as Map<string, string>).get('user-7')).toBe('c7');
  });

  it('keeps a step-built index across compiles while the collections it read are the same arrays', () => {
    const index = byUsername();
    const indexes = new ConfigIndexCache();
    const handlers = new Map([['lookup', lookup(index)]]);
    runSteps(compileChainsSteps({ config: withConsumers(names), handlers, indexes }));
    runSteps(compileChainsSteps({ config: withConsumers(names), handlers, indexes }));
    expect(index.builds).toBe(1);
    const changed = [...names, { id: 'new', username: 'newcomer' }];
    const chains = runSteps(compileChainsSteps({ config: withConsumers(changed), handlers, indexes }));
    expect(index.builds).toBe(2);
    expect((chains.forRoute(route).access?.[0].state as Map<string, string>).get('newcomer')).toBe('new');
  });
});
