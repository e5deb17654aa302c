'use strict';
// Config propagation at scale: one control plane (embedded Postgres unless ARCHWAY_DATABASE_URL is set),
// N data planes spread over BENCH_SYNC_PROCS child processes (sync-fleet.js: real SyncClients and
// ConfigStores doing a data plane's full work before their ACK) for N = 1, 10, 50, and one real
// data-plane process. Measures write → all ACKed, snapshot build, apply, bytes on the wire, and the
// real proxy's latency while big snapshots are applied.
// Usage: node --max-old-space-size=12288 test/bench/sync.js
//   env: BENCH_SYNC_WRITES=100 (100-route config) BENCH_SYNC_LARGE_WRITES=100 (10,000-route config)
//        BENCH_SYNC_CONSUMER_WRITES=50 (consumer + key pairs at 10,000 consumers, largest N only)
//        BENCH_SYNC_BURSTS=3 BENCH_SYNC_BURST_WRITES=50 (route writes back to back at 10,000 routes, largest N only)
//        BENCH_SYNC_APPLY_WRITES=80 (writes while the proxy's latency is measured, per data plane)
//        BENCH_SYNC_APPLY_RATE=1000 (requests/s to the real data plane meanwhile, as many to the control)
//        BENCH_SYNC_WHOLE_WRITES=15 (the same with a data plane taking every change whole)
//        BENCH_SYNC_PROCS=4 (child processes the N data planes are spread over)
const { rmSync } = require('node:fs');
const { join } = require('node:path');
const { ROOT, call, freePort, tempPrefix, spawnRole, stopChild, startOkUpstream, waitFor, summarize, machine, writeSection } = require('./lib');
const fx = require('./fixtures');
const { Fleet, writeAndWait, receivedBetween, routeWrites } = require('./sync-fleet');
const { readSnapshotFile } = require(join(ROOT, 'dist', 'apps', 'data-plane', 'src', 'snapshot-file.js'));
const { applyBreakdown, latencyDuringApply } = require('./sync-measures');

const WRITES = Number(process.env.BENCH_SYNC_WRITES || 100);
const LARGE_WRITES = Number(process.env.BENCH_SYNC_LARGE_WRITES || 100);
/** consumers added with a key-auth key each, at the 10,000-consumer config and the largest N: two writes each */
const CONSUMER_WRITES = Number(process.env.BENCH_SYNC_CONSUMER_WRITES || 50);
/** bursts of route writes made back to back (each sent once the one before is answered, as a script does), at the 10,000-route config and the largest N */
const BURSTS = Number(process.env.BENCH_SYNC_BURSTS || 3);
const BURST_WRITES = Number(process.env.BENCH_SYNC_BURST_WRITES || 50);
const FLEETS = (process.env.BENCH_SYNC_FLEETS || '1,10,50').split(',').map(Number);
/** writes while the proxy's latency is measured, per data plane (each window holds ≈ 10 requests at APPLY_RATE) */
const APPLY_WRITES = Number(process.env.BENCH_SYNC_APPLY_WRITES || 80);
/**
 * the fixed load on the real data plane during that phase, requests/s: a delta's window is ≈ 10 ms, so at
 * 200/s the 80 windows held ≈ 160 requests and their p99 was the second slowest (2.8× to 20× steady from
 * one run to the next); at 1,000/s they hold ≈ 900
 */
const APPLY_RATE = Number(process.env.BENCH_SYNC_APPLY_RATE || 1000);
/** writes to the data plane that takes every change as a whole snapshot (ARCHWAY_CLUSTER_INCREMENTAL_SYNC=off): each window holds a few hundred requests */
const WHOLE_WRITES = Number(process.env.BENCH_SYNC_WHOLE_WRITES || 15);
const SMALL = 100;
const LARGE = 10_000;


/** The control plane's 'snapshot published' lines (build_ms), read from its log as they come. */
function watchBuilds(child) {
  const builds = [];
  let buf = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (c) => {
    buf += c;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.includes('snapshot published')) {
        if (/"level":"(error|fatal)"/.test(line)) process.stderr.write(`${line}\n`);
        continue;
      }
      try {
        const rec = JSON.parse(line);
        builds.push({ version: rec.config_version, ms: rec.build_ms });
      } catch {
        // not a JSON log line
      }
    }
  });
  return builds;
}

/**
 * `writes` sequential route additions (paths end in '/' so no route is a prefix of a later one); per write: the Admin API write, → all ACKed, → the real proxy serves it.
 */
async function measureWrites(ctx, label, writes) {
  const out = { write: [], acked: [], first: [], served: [] };
  for (let i = 0; i < writes; i++) {
    const name = `w-${label}-${i}`;
    const t0 = process.hrtime.bigint();
    const res = await call('POST', `${ctx.admin}/services/bench/routes`, { name, paths: [`/${name}/`] });
    const t1 = process.hrtime.bigint();
    if (res.status !== 201) throw new Error(`write answered ${res.status}: ${res.body}`);
    const id = JSON.parse(res.body).id;
    const acks = ctx.fleet.waitRoute(id);
    const served = (async () => {
      while ((await fx.get(ctx.proxyPort, `/${name}/`, ctx.probeHeaders)) !== 200) await new Promise((r) => setTimeout(r, 2));
      return process.hrtime.bigint();
    })();
    const times = await acks;
    const ms = (t) => Number(t - t1) / 1e6;
    out.write.push(Number(t1 - t0) / 1e6);
    out.acked.push(Math.max(...times.map(ms)));
    out.first.push(Math.min(...times.map(ms)));
    out.served.push(ms(await served));
  }
  return out;
}

/**
 * `writes` consumers added one at a time, each with a key-auth key (two writes): per write, 201 → every
 * data plane ACKed it; for the key, also 201 → the real proxy takes it (answers 200 on the loaded route).
 */
async function measureConsumerWrites(ctx, label, writes) {
  const out = { consumer: [], key: [], served: [] };
  const timed = (path, body, collection) => writeAndWait(`${ctx.admin}${path}`, body, collection, [ctx.fleet]);
  for (let i = 0; i < writes; i++) {
    const username = `c-${label}-${i}`;
    out.consumer.push((await timed('/consumers', { username }, 'consumers')).acked[0]);
    const key = `k-${label}-${i}`;
    const served = (async () => {
      while ((await fx.get(ctx.proxyPort, ctx.loadPath, { ...ctx.loadHeaders, apikey: key })) !== 200) await new Promise((r) => setTimeout(r, 2));
      return process.hrtime.bigint();
    })();
    const { t1, acked } = await timed(`/consumers/${username}/key-auth`, { key }, 'keyauth_credentials');
    out.key.push(acked[0]);
    out.served.push(Number((await served) - t1) / 1e6);
  }
  return out;
}

/**
 * `bursts` times: `writes` route additions back to back, then the last one's 201 → every data plane
 * ACKed a config holding it, and what the fleet received for the burst (deltas, whole snapshots).
 */
async function measureBursts(ctx, label, bursts, writes) {
  const out = [];
  for (let b = 0; b < bursts; b++) {
    await ctx.fleet.flushCaches();
    const { acked, got } = await routeWrites(ctx.admin, ctx.fleet, Array.from({ length: writes }, (_, i) => `b-${label}-${b}-${i}`));
    out.push({ acked, ...got });
  }
  return { n: ctx.fleet.size, writes, rounds: out };
}

async function phase(ctx, routes, consumers, writes, fleets) {
  const t0 = Date.now();
  const res = await call('POST', `${ctx.admin}/config`, fx.declarative(ctx.upstreamPort, routes, consumers));
  if (res.status !== 201) throw new Error(`POST /config answered ${res.status}: ${res.body.slice(0, 500)}`);
  const loadMs = Date.now() - t0;
  ctx.probeHeaders = consumers ? { apikey: 'key-1' } : {};
  const results = [];
  let consumerWrites = null;
  let bursts = null;
  // the last route of the loaded config tells that a data plane has it
  const last = fx.mixedRoute(fx.service({ name: 'probe' }), routes - 1)[1];
  const lastProbe = { ...ctx.probeHeaders, host: last.host ?? 'other.example.org', ...last.headers };
  ctx.loadPath = last.path;
  ctx.loadHeaders = lastProbe;
  for (const n of fleets) {
    if (n > ctx.fleet.size) await ctx.fleet.grow(n);
    else await ctx.fleet.shrink(n);
    // everyone on the loaded config before the clock starts
    await ctx.fleet.waitRouteName(`r${routes - 1}`);
    await waitFor('the real data plane to serve the loaded config', async () => (await fx.get(ctx.proxyPort, last.path, lastProbe)) === 200, 300_000);
    // the disk caches written (a whole snapshot each, once after the load): the writes measure steady
    // state, not N data planes on one machine writing the load's cache at the same moment
    await ctx.fleet.flushCaches();
    const buildsBefore = ctx.builds.length;
    const wireBefore = await ctx.fleet.received();
    const r = await measureWrites(ctx, `${routes}-${n}`, writes);
    r.builds = ctx.builds.slice(buildsBefore).map((b) => b.ms);
    const wireAfter = await ctx.fleet.received();
    r.wire = receivedBetween(wireBefore, wireAfter);
    results.push({ n, ...r });
    process.stdout.write(`${routes} routes, N=${n}: acked p50 ${summarize(r.acked).p50.toFixed(1)} ms, p99 ${summarize(r.acked).p99.toFixed(1)} ms\n`);
    if (consumers && n === Math.max(...fleets) && CONSUMER_WRITES > 0) {
      const c = await measureConsumerWrites(ctx, `${routes}-${n}`, CONSUMER_WRITES);
      consumerWrites = { n, writes: CONSUMER_WRITES, ...c };
      process.stdout.write(`${consumers} consumers, N=${n}: key acked p50 ${summarize(c.key).p50.toFixed(1)} ms, p99 ${summarize(c.key).p99.toFixed(1)} ms\n`);
    }
    if (consumers && n === Math.max(...fleets) && BURSTS > 0) {
      bursts = await measureBursts(ctx, `${routes}-${n}`, BURSTS, BURST_WRITES);
      process.stdout.write(`${routes} routes, N=${n}: bursts of ${BURST_WRITES}, last write acked ${bursts.rounds.map((r) => r.acked.toFixed(1)).join(', ')} ms\n`);
    }
  }
  return { routes, consumers, loadMs, results, consumerWrites, bursts };
}

async function main() {
  const upstream = await startOkUpstream();
  const prefixes = [tempPrefix('cp'), tempPrefix('dp'), tempPrefix('dpw'), tempPrefix('dpwhole')];
  const ports = { admin: await freePort(), cluster: await freePort(), proxy: await freePort() };
  const cp = spawnRole(
    'control-plane',
    { ARCHWAY_ADMIN_LISTEN: `127.0.0.1:${ports.admin}`, ARCHWAY_CLUSTER_LISTEN: `127.0.0.1:${ports.cluster}`, ARCHWAY_PREFIX: prefixes[0], ARCHWAY_LOG_LEVEL: 'info' },
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const ctx = { admin: `http://127.0.0.1:${ports.admin}`, upstreamPort: upstream.port, proxyPort: ports.proxy, builds: watchBuilds(cp) };
  let dp = null;
  /** a data plane serving the loaded config with no control plane: the latency phase's control */
  let control = null;
  ctx.fleet = new Fleet(`127.0.0.1:${ports.cluster}`);
  try {
    await waitFor('the Admin API', async () => (await call('GET', `${ctx.admin}/status`)).status === 200, 120_000);
    dp = spawnRole('data-plane', {
      ARCHWAY_PROXY_LISTEN: `127.0.0.1:${ports.proxy}`,
      ARCHWAY_PROXY_SSL_LISTEN: 'off',
      ARCHWAY_STATUS_LISTEN: `127.0.0.1:${await freePort()}`,
      ARCHWAY_CLUSTER_CONTROL_PLANE: `127.0.0.1:${ports.cluster}`,
      ARCHWAY_PREFIX: prefixes[1],
      ARCHWAY_WORKERS: '1',
    });
    ctx.dpPid = dp.pid;
    const small = await phase(ctx, SMALL, 0, WRITES, FLEETS);
    const large = await phase(ctx, LARGE, LARGE, LARGE_WRITES, [...FLEETS].reverse());
    // the big snapshot as a data plane cached it (the last one it applied), for the step-by-step costs
    const cacheFile = await ctx.fleet.cacheFile();
    const bigSnapshot = cacheFile ? await readSnapshotFile(cacheFile) : null;
    await ctx.fleet.shrink(0);
    const breakdown = await applyBreakdown(bigSnapshot, 3);
    if (bigSnapshot) {
      control = await fx.startCachedDataPlane(bigSnapshot, { path: ctx.loadPath, headers: ctx.loadHeaders });
      ctx.controlPort = control.port;
    }
    const during = await latencyDuringApply(ctx, APPLY_WRITES, { label: 'single', rate: APPLY_RATE });
    /** a fresh real data plane in place of the last one, on a port of its own, once it serves the loaded config */
    const restartDataPlane = async (what, prefix, env) => {
      await stopChild(dp);
      ({ child: dp, port: ctx.proxyPort } = await fx.startSyncedDataPlane(what, `127.0.0.1:${ports.cluster}`, prefix, { path: ctx.loadPath, headers: ctx.loadHeaders }, { env }));
    };
    // the same with ARCHWAY_WORKERS=2: the primary decodes and checks, the workers only compile
    await restartDataPlane('2-worker', prefixes[2], { ARCHWAY_WORKERS: '2' });
    const duringWorkers = await latencyDuringApply(ctx, APPLY_WRITES, { label: 'workers', rate: APPLY_RATE });
    // and a single process taking every change whole (about a second of sliced work each): the pause is
    // longer, so that steady requests remain between an apply's disk-cache write and the next write
    await restartDataPlane('whole-snapshot', prefixes[3], { ARCHWAY_WORKERS: '1', ARCHWAY_CLUSTER_INCREMENTAL_SYNC: 'off' });
    const duringWhole = await latencyDuringApply(ctx, WHOLE_WRITES, { label: 'whole', pauseMs: 3000, rate: APPLY_RATE });
    const md = require('./sync-report').render({ small, large, breakdown, during, duringWorkers, duringWhole, WRITES, LARGE_WRITES, procs: ctx.fleet.procs, machine: machine() });
    process.stdout.write(`\n${md}\n`);
    writeSection('sync', md);
  } finally {
    await ctx.fleet.close();
    await stopChild(dp);
    await stopChild(control?.child);
    await stopChild(cp, 30_000);
    await stopChild(upstream.child);
    for (const p of [...prefixes, control?.prefix]) if (p) rmSync(p, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${err.stack || err}\n`);
    process.exit(1);
  },
);
