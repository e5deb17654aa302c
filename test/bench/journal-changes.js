'use strict';
// What the single-process data plane's disk cache pays, after each one-route delta at 10,000 routes +
// 10,000 consumers, to find what to write as a journal line: changesSinceSteps on the copy of the
// snapshot ConfigStore hands it ({ version, hash, config }). CPU ms, median of 21 deltas; given several
// built checkouts, each is measured in turn. Usage: node test/bench/journal-changes.js [checkout ...]
const { resolve } = require('node:path');

const roots = process.argv.length > 2 ? process.argv.slice(2).map((r) => resolve(r)) : [resolve(__dirname, '../..')];
for (const root of roots) {
  const fx = require(`${root}/test/bench/fixtures`);
  const { SnapshotChecker } = require(`${root}/dist/apps/data-plane/src/snapshot-check.js`);
  const { changesSinceSteps } = require(`${root}/dist/apps/data-plane/src/snapshot-changes.js`);
  const S = fx.schema;
  const svc = fx.service({ name: 'bench' });
  const { routes } = fx.mixedRoutes(svc, 10000);
  const { consumers, keyauth_credentials } = fx.consumersWithKeys(10000);
  const checker = new SnapshotChecker();
  const whole = fx.snapshotOf(1, { services: [svc], routes, consumers, keyauth_credentials });
  let base = S.runSteps(checker.checkSteps(whole));
  const ms = [];
  for (let i = 0; i < 21; i++) {
    const added = fx.route(svc, { name: `d${i}`, paths: [`/d${i}/`] });
    const config = { ...base.config, routes: [...base.config.routes, added] };
    const delta = { baseVersion: base.version, baseHash: base.hash, version: base.version + 1, hash: S.configHash(config), upserted: { ...S.emptyConfig(), routes: [added] }, removed: S.emptyRemoved() };
    const next = S.runSteps(checker.checkDeltaSteps(delta, { version: base.version, hash: base.hash }));
    const c = process.cpuUsage();
    const found = S.runSteps(changesSinceSteps({ ...base }, { ...next }, 5000));
    const u = process.cpuUsage(c);
    if (found?.upserted.routes?.length !== 1) throw new Error(`${root}: expected one route changed`);
    ms.push((u.user + u.system) / 1000);
    base = next;
  }
  ms.sort((a, b) => a - b);
  process.stdout.write(`${root}: ${ms[10].toFixed(3)} ms (${ms[0].toFixed(3)}-${ms[20].toFixed(3)})\n`);
}
