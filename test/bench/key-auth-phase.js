'use strict';
// key-auth's request phase as the proxy runs it per request (a PluginContext, the route's chain, access
// with a valid apikey among 100 consumers), ns per request, median (min-max) of 9 rounds of 200,000;
// given several built checkouts, each is loaded into this process and measured in turn. The level moves
// between runs (260 or 500 ns here, as V8 optimizes the shared call sites): compare builds within a run,
// in both orders.
// Usage: node test/bench/key-auth-phase.js <checkout> [checkout ...]
const roots = process.argv.slice(2).map((r) => require('node:path').resolve(r));
const sets = roots.map((root) => {
  const fx = require(`${root}/test/bench/fixtures`);
  const { compileChains, runRequestPhasesEager, PluginContext } = require(`${root}/dist/libs/pipeline/src/index.js`);
  const { BUNDLED_HANDLERS, pluginSchema } = require(`${root}/dist/libs/plugins/src/index.js`);
  const svc = fx.service({ name: 'bench', port: 9 });
  const route = fx.route(svc, { name: 'r', paths: ['/'] });
  const { consumers, keyauth_credentials } = fx.consumersWithKeys(100);
  const ka = fx.schema.validatePlugin({ name: 'key-auth' }, 'create', pluginSchema);
  const config = { ...fx.schema.emptyConfig(), services: [svc], routes: [route], consumers, keyauth_credentials, plugins: [ka] };
  const chains = compileChains({ config, handlers: BUNDLED_HANDLERS });
  return { chains, route, svc, runRequestPhasesEager, PluginContext };
});
const N = 200000;
const res = sets.map(() => []);
for (let round = 0; round < 9; round++)
  sets.forEach((s, j) => {
    let ok = 0;
    const t = process.hrtime.bigint();
    for (let i = 0; i < N; i++) {
      const ctx = new s.PluginContext({ requestId: 'r', method: 'GET', clientIp: '127.0.0.1', route: s.route, service: s.svc, path: '/', query: '', headers: { apikey: `key-${i % 100}` }, startedAt: 0 });
      s.runRequestPhasesEager(s.chains.forRoute(s.route, s.svc), ctx);
      if (ctx.consumer) ok++;
    }
    if (ok !== N) throw new Error('not authenticated');
    res[j].push(Number(process.hrtime.bigint() - t) / N);
  });
roots.forEach((r, j) => { const s = res[j].sort((a, b) => a - b); console.log(r, 'median', s[4].toFixed(0), 'ns/request (', s[0].toFixed(0), '-', s[8].toFixed(0), ')'); });
