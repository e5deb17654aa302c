'use strict';
// The plugin chain lookup the proxy makes per request (ChainSet.forRoute), in ns per call over 10,000
// routes on one service with a global key-auth; given several built checkouts, each is loaded into this
// process and measured in turn (median of 9 rounds). Usage: node test/bench/chain-lookup.js [checkout ...]
const roots = process.argv.length > 2 ? process.argv.slice(2).map((r) => require('node:path').resolve(r)) : [require('node:path').resolve(__dirname, '../..')];
const sets = roots.map((root) => {
  const fx = require(`${root}/test/bench/fixtures`);
  const { compileChains } = require(`${root}/dist/libs/pipeline/src/index.js`);
  const { BUNDLED_HANDLERS } = require(`${root}/dist/libs/plugins/src/index.js`);
  const svc = fx.service({ name: 'bench', port: 9 });
  const { routes } = fx.mixedRoutes(svc, 10000);
  const config = { ...fx.schema.emptyConfig(), services: [svc], routes, plugins: [fx.plugin({ name: 'key-auth' })] };
  const chains = compileChains({ config, handlers: BUNDLED_HANDLERS });
  return { root, chains, routes, svc };
});
const res = sets.map(() => []);
for (let round = 0; round < 9; round++)
  sets.forEach((s, j) => {
    let x = 0;
    const t = process.hrtime.bigint();
    for (let k = 0; k < 200; k++) for (let i = 0; i < s.routes.length; i++) if (s.chains.forRoute(s.routes[i], s.svc).empty) x++;
    res[j].push(Number(process.hrtime.bigint() - t) / (200 * s.routes.length));
  });
sets.forEach((s, j) => console.log(s.root, 'ns per forRoute, median of 9:', [...res[j]].sort((a, b) => a - b)[4].toFixed(1)));
