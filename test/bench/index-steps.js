'use strict';
// The longest step of compiling a global key-auth over 10,000 consumers and their keys (the plugin chains
// of a whole snapshot: the consumer and key lookups are built there), and the whole compile's CPU, ms,
// median (min-max) of 15 compiles; given several built checkouts, each is measured in turn.
// Usage: node test/bench/index-steps.js [checkout ...]
const { resolve } = require('node:path');
const { performance } = require('node:perf_hooks');

const roots = process.argv.length > 2 ? process.argv.slice(2).map((r) => resolve(r)) : [resolve(__dirname, '../..')];
const med = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return `${s[s.length >> 1].toFixed(2)} (${s[0].toFixed(2)}-${s[s.length - 1].toFixed(2)})`;
};
for (const root of roots) {
  const fx = require(`${root}/test/bench/fixtures`);
  const { compileChainsSteps } = require(`${root}/dist/libs/pipeline/src/index.js`);
  const { BUNDLED_HANDLERS } = require(`${root}/dist/libs/plugins/src/index.js`);
  const { consumers, keyauth_credentials } = fx.consumersWithKeys(10000);
  const longest = [];
  const cpu = [];
  for (let i = 0; i < 15; i++) {
    // fresh arrays each time: nothing kept from the compile before
    const config = { ...fx.schema.emptyConfig(), consumers: [...consumers], keyauth_credentials: [...keyauth_credentials], plugins: [fx.plugin({ name: 'key-auth' })] };
    const steps = compileChainsSteps({ config, handlers: BUNDLED_HANDLERS });
    let most = 0;
    const c0 = process.cpuUsage();
    for (;;) {
      const t = performance.now();
      const r = steps.next();
      most = Math.max(most, performance.now() - t);
      if (r.done) break;
    }
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    longest.push(most);
  }
  process.stdout.write(`${root}: longest step ${med(longest)} ms; CPU ${med(cpu)} ms\n`);
}
