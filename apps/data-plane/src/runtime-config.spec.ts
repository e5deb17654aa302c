import { pluginSchema } from '@archway/plugins';
import { configHash, consumerSchema, diffConfigs, emptyConfig, EntityDigests, keyAuthSchema, makeSnapshot, runSteps, validateEntity, validatePlugin, type Consumer, type KeyAuthCredential } from '@archway/schema';
import { ProxyMetrics } from './proxy-metrics';
import { CompileCache, compileRuntime, compileRuntimeSteps, ConfigRejectedError, type RuntimeConfig } from './runtime-config';
import { SnapshotChecker, trustCheckedSnapshot } from './snapshot-check';
import { makeRoute, makeService, snapshotOf } from './testing/fixtures';
import { UpstreamPools } from './upstream-pools';

describe('compileRuntime', () => {
  const pools = new UpstreamPools();
  afterAll(() => pools.closeAll(0));

  it('compiles a router and an upstream per service, with the Host header Kong would send', () => {
    const svc = makeService({ host: 'api.internal', port: 8080 });
    const web = makeService({ host: 'web.internal', port: 80 });
    const rt = compileRuntime(snapshotOf(3, [svc, web], [makeRoute(svc, { paths: ['/api'] })]), pools);
    expect(rt.version).toBe(3);
    expect(rt.router.match({ method: 'GET', host: 'x', path: '/api/users', headers: {} })?.upstreamPath).toBe('/users');
    expect(rt.upstreams.get(svc.id)).toMatchObject({ origin: 'http://api.internal:8080', hostHeader: 'api.internal:8080', retries: 5 });
    expect(rt.upstreams.get(web.id)?.hostHeader).toBe('web.internal');
  });

  it('rejects a snapshot whose hash does not match its config', () => {
    const snap = snapshotOf(1, [makeService({})], []);
    expect(() => compileRuntime({ ...snap, hash: configHash(emptyConfig()) }, pools)).toThrow(/hash mismatch/);
  });

  it('rejects an entity that fails validation, naming it', () => {
    const svc = { ...makeService({}), port: 70000 };
    expect(() => compileRuntime(snapshotOf(1, [svc], []), pools)).toThrow(/services .*port/);
  });

  it('rejects a route whose service does not exist', () => {
    const ghost = makeService({});
    expect(() => compileRuntime(snapshotOf(1, [], [makeRoute(ghost, { paths: ['/'] })]), pools)).toThrow(/does not exist/);
  });

  it('rejects something that is not a snapshot at all', () => {
    expect(() => compileRuntime({ version: -1, hash: 'x', config: null } as never, pools)).toThrow(ConfigRejectedError);
  });

  it('does not route to a disabled service, and gives services it cannot speak to no upstream', () => {
    const off = makeService({ enabled: false });
    const grpc = makeService({ protocol: 'grpc' });
    const rt = compileRuntime(snapshotOf(1, [off, grpc], [makeRoute(off, { paths: ['/off'] })]), pools);
    expect(rt.router.match({ method: 'GET', host: 'x', path: '/off', headers: {} })).toBeNull();
    expect(rt.upstreams.has(grpc.id)).toBe(false);
  });

  it('keeps the pool of an origin that is unchanged across snapshots', () => {
    const svc = makeService({ port: 9001 });
    const a = compileRuntime(snapshotOf(1, [svc], []), pools);
    const b = compileRuntime(snapshotOf(2, [{ ...svc, retries: 1 }], []), pools);
    expect(b.upstreams.get(svc.id)?.pool).toBe(a.upstreams.get(svc.id)?.pool);
  });

  it('accepts consumers, credentials and bundled plugins, checking plugin configs with the bundled schemas', () => {
    const svc = makeService({});
    const route = makeRoute(svc, { paths: ['/k'] });
    const alice = validateEntity<Consumer>(consumerSchema, { username: 'alice' }, 'create');
    const key = validateEntity<KeyAuthCredential>(keyAuthSchema, { key: 'secret', consumer: { id: alice.id } }, 'create');
    const plugin = validatePlugin({ name: 'key-auth', route: { id: route.id } }, 'create', pluginSchema);
    const config = { ...emptyConfig(), services: [svc], routes: [route], consumers: [alice], keyauth_credentials: [key], plugins: [plugin] };
    const rt = compileRuntime(makeSnapshot(4, config), pools);
    expect(rt.config.plugins[0].config).toEqual(plugin.config);
    expect(rt.config.keyauth_credentials).toEqual([key]);

    const badConfig = { ...plugin, config: { ...plugin.config, key_names: 'apikey' } };
    expect(() => compileRuntime(makeSnapshot(5, { ...config, plugins: [badConfig] }), pools)).toThrow(/plugins .*config.key_names/);
    const unknown = { ...plugin, name: 'no-such-plugin' };
    expect(() => compileRuntime(makeSnapshot(6, { ...config, plugins: [unknown] }), pools)).toThrow(/plugin 'no-such-plugin' not enabled/);
  });
});

describe('compileRuntimeSteps with a CompileCache (what a delta keeps)', () => {
  const pools = new UpstreamPools();
  afterAll(() => pools.closeAll(0));

  it('compiles after each change what a compile from scratch does: router, https-only routes, route metric labels', () => {
    const svc = makeService({ name: 'svc', host: 'a.internal' });
    const other = makeService({ host: 'b.internal' });
    let routes = Array.from({ length: 30 }, (_, i) => makeRoute(i % 3 ? svc : other, { name: `r${i}`, paths: [`/r${i}`], protocols: i % 5 ? ['http', 'https'] : ['https'] }));
    let services = [svc, other];
    const cache = new CompileCache();
    const metrics = new ProxyMetrics();
    const compile = (version: number, c?: CompileCache) =>
      runSteps(compileRuntimeSteps(trustCheckedSnapshot({ version, hash: `h${version}`, config: { ...emptyConfig(), services, routes } }), pools, undefined, {}, undefined, metrics, c));
    const view = (rt: RuntimeConfig, rs = routes) => ({
      httpsOnly: [...rt.tls.httpsOnly].sort(),
      labels: rs.map((r) => {
        const s = rt.routeMetrics.forRoute(r);
        return [r.id, s.service, s.route];
      }),
      matched: rs.map((r) => rt.router.match({ method: 'GET', host: undefined, path: `${r.paths?.[0]}/x`, headers: {} })?.route.name ?? null),
      gone: rt.routeMetrics.forRoute(makeRoute(svc, { paths: ['/gone'] })) === metrics.unmatched,
    });
    let version = 1;
    let serving = compile(version, cache);
    const steps: (() => void)[] = [
      // an https-only route added, one removed, one changed to https-only, one renamed
      () => (routes = [...routes, makeRoute(svc, { name: 'added', paths: ['/added'], protocols: ['https'], https_redirect_status_code: 308 })]),
      () => (routes = routes.filter((_, i) => i !== 5)),
      () => (routes = routes.map((r, i) => (i === 1 ? { ...r, protocols: ['https'] } : i === 2 ? { ...r, name: 'renamed' } : r))),
      () => (routes = routes.map((r, i) => (i === 0 ? { ...r, protocols: ['http', 'https'] } : r))),
      // a service renamed: every label of its routes changes
      () => (services = [{ ...svc, name: 'svc-renamed' }, other]),
      () => (routes = [routes[3], ...routes.slice(6)]),
    ];
    for (const step of steps) {
      // the config still serving answers as it did while (and after) the next one is compiled
      const before = routes;
      const servingView = view(serving, before);
      step();
      version++;
      const next = compile(version, cache);
      expect(view(next)).toEqual(view(compile(version)));
      expect(view(serving, before)).toEqual(servingView);
      serving = next;
    }
    expect(cache.last?.httpsOnly.size).toBeGreaterThan(0);
  });
});

describe('key-auth and consumer lookups after consumer deltas', () => {
  const pools = new UpstreamPools();
  afterAll(() => pools.closeAll(0));

  it('updates them from the delta instead of building them, as a compile from scratch would have them, the serving config keeping its own', () => {
    const svc = makeService({});
    const route = makeRoute(svc, { paths: ['/k'] });
    const plugin = validatePlugin({ name: 'key-auth' }, 'create', pluginSchema);
    const consumer = (username: string) => validateEntity<Consumer>(consumerSchema, { username }, 'create');
    const keyOf = (c: Consumer, key: string) => validateEntity<KeyAuthCredential>(keyAuthSchema, { key, consumer: { id: c.id } }, 'create');
    const people = Array.from({ length: 20 }, (_, i) => consumer(`user-${i}`));
    let consumers = people;
    let keys = people.map((c, i) => keyOf(c, `key-${i}`));
    const configOf = () => ({ ...emptyConfig(), services: [svc], routes: [route], plugins: [plugin], consumers, keyauth_credentials: keys });
    const checker = new SnapshotChecker(pluginSchema);
    const cache = new CompileCache();
    const metrics = new ProxyMetrics();
    let base = runSteps(checker.checkSteps(makeSnapshot(1, configOf())));
    let serving = runSteps(compileRuntimeSteps(base, pools, undefined, {}, undefined, metrics, cache));
    /** key -> consumer username, and consumer ids, as key-auth's instance reads them */
    const lookups = (rt: RuntimeConfig) => {
      const state = rt.chains.forRoute(rt.config.routes[0]).access?.[0].state as { keys: Map<string, { credential: KeyAuthCredential }>; consumers: { byId: Map<string, unknown>; byUsername: Map<string, { id: string }> } };
      return {
        keys: Object.fromEntries([...state.keys].map(([k, e]) => [k, e.credential.consumer.id]).sort()),
        usernames: Object.fromEntries([...state.consumers.byUsername].map(([u, c]) => [u, c.id]).sort()),
        ids: [...state.consumers.byId.keys()].sort(),
      };
    };
    const newcomer = consumer('newcomer');
    const changes: [string, () => void][] = [
      ['a consumer and its key added', () => ((consumers = [...consumers, newcomer]), (keys = [...keys, keyOf(newcomer, 'fresh')]))],
      ['a key changed', () => (keys = keys.map((k, i) => (i === 3 ? { ...k, key: 'rotated' } : k)))],
      ['a key removed, the next one given its key', () => (keys = keys.filter((_, i) => i !== 4).map((k, i) => (i === 4 ? { ...k, key: 'key-4' } : k)))],
      ['a consumer renamed', () => (consumers = consumers.map((c, i) => (i === 6 ? { ...c, username: 'renamed' } : c)))],
      ['a consumer and its key removed', () => ((keys = keys.filter((k) => k.consumer.id !== people[7].id)), (consumers = consumers.filter((c) => c !== people[7])))],
    ];
    for (const [what, change] of changes) {
      const before = lookups(serving);
      change();
      const next = configOf();
      const hash = configHash(next);
      const delta = { baseVersion: base.version, baseHash: base.hash, version: base.version + 1, hash, ...diffConfigs(base.config, next, new EntityDigests()) };
      const checked = runSteps(checker.checkDeltaSteps(delta, { version: base.version, hash: base.hash }));
      const { built, updated } = cache.indexes;
      const rt = runSteps(compileRuntimeSteps(checked, pools, undefined, {}, undefined, metrics, cache));
      expect({ what, built: cache.indexes.built - built, updated: cache.indexes.updated - updated }).toEqual({ what, built: 0, updated: expect.any(Number) });
      expect(cache.indexes.updated).toBeGreaterThan(updated);
      expect({ what, ...lookups(rt) }).toEqual({ what, ...lookups(compileRuntime(makeSnapshot(checked.version, next), pools)) });
      expect(lookups(serving)).toEqual(before);
      serving = rt;
      base = checked;
    }
    expect(lookups(serving).keys).toMatchObject({ fresh: newcomer.id, rotated: people[3].id, 'key-4': people[5].id });
  });
});
