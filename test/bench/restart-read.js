'use strict';
// The first whole snapshot a data plane gets after a restart from its disk cache (a one-route change to
// 10,000 mixed routes + 10,000 consumers with key-auth keys), two ways, in one process, alternating:
// read against the cached config by the checker that passed it (the config store's, handed to the sync
// client: each entity decoded and compared by canonical JSON, the difference applied as a delta), and
// checked whole by a checker of its own (as before). CPU ms of the read/check and of the compile after it.
// Also the same change as a delta, which is what a data plane back on its control plane with the config
// it cached now gets (docs/sync-protocol.md, "Deltas"): read against the cached config, with the lookups
// a delta is checked against built inside it or before it (prepareDeltaSteps).
//   node --max-old-space-size=8192 --expose-gc test/bench/restart-read.js      env: N (10000), ROUNDS (3)
const { join } = require('node:path');
const { ROOT, fmtRange, rounds } = require('./lib');
const fx = require('./fixtures');
const { encodeResponse, sync } = require('./wire');
const dist = (...p) => require(join(ROOT, 'dist', ...p));
const { SnapshotChecker } = dist('apps', 'data-plane', 'src', 'snapshot-check.js');
const { ConfigReceiver } = dist('apps', 'data-plane', 'src', 'sync', 'config-receiver.js');
const rc = dist('apps', 'data-plane', 'src', 'runtime-config.js');
const { ProxyMetrics } = dist('apps', 'data-plane', 'src', 'proxy-metrics.js');
const { pluginSchema } = dist('libs', 'plugins', 'src', 'index.js');

const N = Number(process.env.N || 10_000);
const ROUNDS = Number(process.env.ROUNDS || 3);
const svc = fx.service({ name: 'bench', port: 9 });
const routes = fx.mixedRoutes(svc, N).routes;
const { consumers, keyauth_credentials } = fx.consumersWithKeys(N);
// in id order, as the control plane sends every collection
for (const list of [routes, consumers, keyauth_credentials]) list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
const config = { ...fx.schema.emptyConfig(), services: [svc], routes, consumers, keyauth_credentials, plugins: [fx.plugin({ name: 'key-auth' })] };
const respond = (s) => sync.decodeRawSyncResponse(encodeResponse(s));
const run = fx.schema.runSteps;
const cpu = (f) => {
  const t = process.cpuUsage();
  const value = f();
  const d = process.cpuUsage(t);
  return [value, (d.user + d.system) / 1000];
};
const gc = () => global.gc?.();
const rows = { shared: { read: [], compile: [] }, own: { read: [], compile: [] }, delta: { read: [], compile: [] }, prepared: { read: [], compile: [] } };
const digests = new fx.schema.EntityDigests();
/** The delta from `base` to `next` (snapshots), as the SyncResponse a data plane decodes. */
const deltaResponse = (base, next) => {
  const field = sync.encodeDeltaField({ baseVersion: base.version, baseHash: base.hash, version: next.version, hash: next.hash, ...fx.schema.diffConfigs(base.config, next.config, digests) });
  return sync.decodeRawSyncResponse(sync.encodeSyncResponse({ version_info: String(next.version), nonce: 'n', control_plane_version: '0' }, field));
};
let asDeltas = 0;
for (let r = 0; r < ROUNDS; r++) {
  const nextSnapshot = fx.snapshotOf(2, { ...config, routes: [...config.routes, fx.route(svc, { name: `after-${r}`, paths: [`/after-${r}/`] })] });
  const whole = respond(nextSnapshot);
  const ways = ['shared', 'own', 'delta', 'prepared'];
  for (const way of r % 2 ? ways.reverse() : ways) {
    // the restart: the cache's snapshot (no wire bytes) checked and compiled by the config store
    const storeChecker = new SnapshotChecker(pluginSchema);
    const cachedSnapshot = fx.snapshotOf(1, config);
    const cached = run(storeChecker.checkSteps(cachedSnapshot));
    if (way === 'prepared') run(storeChecker.prepareDeltaSteps());
    const next = way === 'delta' || way === 'prepared' ? deltaResponse(cachedSnapshot, nextSnapshot) : whole;
    const cache = new rc.CompileCache();
    const metrics = new ProxyMetrics();
    const previous = run(rc.compileRuntimeSteps(cached, undefined, undefined, {}, undefined, metrics, cache));
    const receiver = way === 'own' ? new ConfigReceiver(pluginSchema) : new ConfigReceiver(pluginSchema, storeChecker);
    gc();
    const [checked, readMs] = cpu(() => run(receiver.receiveSteps(next, () => ({ version: cached.version, hash: cached.hash }))));
    const [, compileMs] = cpu(() => run(rc.compileRuntimeSteps(checked, undefined, undefined, { previous }, undefined, metrics, cache)));
    rows[way].read.push(readMs);
    rows[way].compile.push(compileMs);
    if (way === 'shared') asDeltas += receiver.received.snapshotsAsDeltas;
    gc();
  }
}
const fmt = (xs) => fmtRange(rounds(xs), 1);
process.stdout.write(`${N} routes + ${N} consumers, ${ROUNDS} rounds; CPU ms, median (min–max); ${asDeltas} of ${ROUNDS} read as a delta\n`);
process.stdout.write('| first whole snapshot after a restart | read / check | compile |\n|---|---|---|\n');
process.stdout.write(`| read against the cached config (the store's checker) | ${fmt(rows.shared.read)} | ${fmt(rows.shared.compile)} |\n`);
process.stdout.write(`| checked whole (a checker of its own, as before) | ${fmt(rows.own.read)} | ${fmt(rows.own.compile)} |\n`);
process.stdout.write(`| the change as a delta against the cached config, its lookups built inside it | ${fmt(rows.delta.read)} | ${fmt(rows.delta.compile)} |\n`);
process.stdout.write(`| the same, the lookups built before it (prepareDeltaSteps) | ${fmt(rows.prepared.read)} | ${fmt(rows.prepared.compile)} |\n`);
