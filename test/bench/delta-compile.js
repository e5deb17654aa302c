'use strict';
// A one-route delta's compile on the data plane (compileRuntimeSteps with a CompileCache, as ConfigStore
// runs it: the delta encoded, decoded and checked as the bench's deltaBreakdown does, then compiled) at
// N routes (the bench's mixed set) + N consumers with key-auth credentials: CPU ms per compile (and per
// decode + check of the delta before it), median.
// Given several built checkouts, it loads each (its own dist and node_modules/@archway) into this one
// process and alternates between them, so a before/after comparison sees the same machine load (each
// checkout needs its own node_modules/@archway links, pointing at its own libs and apps):
//   node --max-old-space-size=8192 test/bench/delta-compile.js [checkout ...]   (default: this one)
//   env: N (10000), ROUNDS (15), SHAPE (mixed: the bench's mixed set; hostless: N prefix routes
//        /p/<i>/ on any host, all in the router's any-host section, the largest one to pack again)
const { join, resolve } = require('node:path');
const { ROOT: HERE } = require('./lib');
/** DELTA=consumer: each delta adds a consumer and its key-auth credential instead of a route */
const CONSUMER_DELTA = process.env.DELTA === 'consumer';
function setup(ROOT) {
  const fx = require(join(ROOT, 'test/bench/fixtures'));
  const { sync } = require(join(ROOT, 'test/bench/wire'));
  const dist = (...p) => require(join(ROOT, 'dist', ...p));
  const rc = dist('apps', 'data-plane', 'src', 'runtime-config.js');
  const { SnapshotChecker } = dist('apps', 'data-plane', 'src', 'snapshot-check.js');
  const { RouteMatcherCache } = dist('libs', 'router', 'src', 'index.js');
  const { ProxyMetrics } = dist('apps', 'data-plane', 'src', 'proxy-metrics.js');
  const { pluginSchema } = dist('libs', 'plugins', 'src', 'index.js');
  const N = Number(process.env.N ?? 10000);
  const svc = fx.service({ name: 'bench', port: 9 });
  const routes = process.env.SHAPE === 'hostless' ? Array.from({ length: N }, (_, i) => fx.route(svc, { name: `p${i}`, paths: [`/p/${i}/`] })) : fx.mixedRoutes(svc, N).routes;
  const { consumers, keyauth_credentials } = fx.consumersWithKeys(N);
  // in id order, as the control plane sends every collection
  for (const list of [routes, consumers, keyauth_credentials]) list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const snap = fx.snapshotOf(1, { services: [svc], routes, consumers, keyauth_credentials, plugins: [fx.plugin({ name: 'key-auth' })] });
  const checker = new SnapshotChecker(pluginSchema);
  const digests = new fx.schema.EntityDigests();
  let base = fx.schema.runSteps(checker.checkSteps(snap));
  // before CompileCache, the data plane passed a RouteMatcherCache
  const cache = rc.CompileCache ? new rc.CompileCache() : new RouteMatcherCache();
  const metrics = new ProxyMetrics();
  const dispose = (rt) => { rt.chains.dispose(() => undefined); for (const u of rt.upstreams.values()) void u.pool?.close(); };
  let prev = fx.schema.runSteps(rc.compileRuntimeSteps(base, undefined, undefined, {}, undefined, metrics, cache));
  let i = 0;
  return () => {
    i++;
    const config = CONSUMER_DELTA
      ? (() => {
          const c = fx.schema.validateEntity(fx.schema.consumerSchema, { username: `delta-${i}` }, 'create');
          const k = fx.schema.validateEntity(fx.schema.keyAuthSchema, { consumer: { id: c.id }, key: `delta-key-${i}` }, 'create');
          return { ...base.config, consumers: [...base.config.consumers, c], keyauth_credentials: [...base.config.keyauth_credentials, k] };
        })()
      : { ...base.config, routes: [...base.config.routes, fx.route(svc, { name: `delta-${i}`, paths: [`/delta-${i}/`] })] };
    const next = { version: base.version + 1, hash: fx.schema.configHash(config), config };
    const changes = fx.schema.diffConfigs(base.config, next.config, digests);
    const field = sync.encodeDeltaField({ baseVersion: base.version, baseHash: base.hash, version: next.version, hash: next.hash, ...changes });
    const wire = sync.encodeSyncResponse({ version_info: String(next.version), nonce: 'n', control_plane_version: '0' }, field);
    const served = { version: base.version, hash: base.hash };
    const tc = process.cpuUsage();
    const checked = fx.schema.runSteps((function* () { return yield* checker.checkDeltaSteps(yield* sync.deltaFromBytesSteps(sync.decodeRawSyncResponse(wire).delta), served); })());
    const c = process.cpuUsage(tc);
    const t = process.cpuUsage();
    const rt = fx.schema.runSteps(rc.compileRuntimeSteps(checked, undefined, undefined, { previous: prev }, undefined, metrics, cache));
    const d = process.cpuUsage(t);
    if (!CONSUMER_DELTA && !rt.router.match({ method: 'GET', host: undefined, path: `/delta-${i}/x`, headers: {} })) throw new Error('delta route not served');
    dispose(prev); prev = rt; base = checked;
    return [(c.user + c.system) / 1000, (d.user + d.system) / 1000];
  };
}
const roots = process.argv.length > 2 ? process.argv.slice(2).map((r) => resolve(r)) : [HERE];
const runs = roots.map(setup);
const ROUNDS = Number(process.env.ROUNDS ?? 15);
const res = roots.map(() => []);
const checks = roots.map(() => []);
for (let w = 0; w < 3; w++) runs.forEach((r) => r()); // warm-up
for (let k = 0; k < ROUNDS; k++)
  runs.forEach((r, j) => {
    const [check, compile] = r();
    checks[j].push(check);
    res[j].push(compile);
  });
const med = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1]; };
roots.forEach((root, j) => console.log(root.padEnd(28), 'compile median', med(res[j]).toFixed(1), 'ms CPU  [', res[j].map((x) => x.toFixed(1)).join(' '), ']'));
roots.forEach((root, j) => console.log(root.padEnd(28), 'decode + check median', med(checks[j]).toFixed(2), 'ms CPU  [', checks[j].map((x) => x.toFixed(1)).join(' '), ']'));
if (res.length > 1) console.log(`compile first / last: ${(med(res[0]) / med(res[res.length - 1])).toFixed(1)}x; decode + check first / last: ${(med(checks[0]) / med(checks[checks.length - 1])).toFixed(1)}x`);
