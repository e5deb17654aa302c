'use strict';
// The first write after a control plane's restart, two builds side by side: for each built checkout,
// its own control plane (embedded Postgres under its own prefix) and a fleet of N data planes
// (sync-fleet.js with `root`: real SyncClients and ConfigStores). Loads ROUTES mixed routes + ROUTES
// consumers with key-auth keys; then, ROUNDS times and alternating builds, restarts a build's control
// plane, waits until all N are back on it (connected, serving its config), writes one route and times
// 201 → all N ACKed, with what the fleet received for it (whole snapshots or deltas, bytes).
// Usage: node --max-old-space-size=8192 test/bench/reconnect-ab.js <checkout A> <checkout B>
//   (each built, with its own node_modules)
//   env: N (data planes per build, 25), ROUNDS (3), ROUTES (10000), BENCH_SYNC_PROCS (child processes per build, 2)
const { rmSync } = require('node:fs');
const { resolve } = require('node:path');
const { call, freePort, tempPrefix, spawnRole, stopChild, startOkUpstream, waitFor, summarize } = require('./lib');
const fx = require('./fixtures');
const { Fleet, writeAndWait } = require('./sync-fleet');

const N = Number(process.env.N || 25);
const ROUNDS = Number(process.env.ROUNDS || 3);
const ROUTES = Number(process.env.ROUTES || 10_000);
const PROCS = Number(process.env.BENCH_SYNC_PROCS || 2);

/** A build's control plane, started (again) on the same prefix and ports. */
function startControlPlane(stack) {
  const env = { ARCHWAY_ADMIN_LISTEN: `127.0.0.1:${stack.ports.admin}`, ARCHWAY_CLUSTER_LISTEN: `127.0.0.1:${stack.ports.cluster}`, ARCHWAY_PREFIX: stack.prefix, ARCHWAY_LOG_LEVEL: 'error' };
  stack.cp = spawnRole('control-plane', env, { root: stack.root, stdio: ['ignore', 'ignore', 'inherit'] });
  return waitFor('the Admin API', async () => (await call('GET', `${stack.admin}/status`).catch(() => ({ status: 0 }))).status === 200, 120_000);
}

/** Resolves once all N data planes are connected to the stack's control plane and serve its config. */
function fleetBack(stack) {
  return waitFor(`${N} data planes back`, async () => {
    const res = await call('GET', `${stack.admin}/clustering/data-planes`).catch(() => null);
    if (!res || res.status !== 200) return false;
    const rows = JSON.parse(res.body).data;
    return rows.filter((d) => d.connected && d.sync_status === 'normal').length === N;
  }, 120_000);
}

async function main() {
  const roots = process.argv.slice(2).map((r) => resolve(r));
  if (roots.length !== 2) throw new Error('usage: reconnect-ab.js <checkout A> <checkout B>');
  const upstream = await startOkUpstream();
  const stacks = [];
  try {
    for (const root of roots) {
      const ports = { admin: await freePort(), cluster: await freePort() };
      const stack = { root, ports, prefix: tempPrefix('cp'), admin: `http://127.0.0.1:${ports.admin}`, cp: null, ms: [], got: [] };
      stacks.push(stack);
      await startControlPlane(stack);
      const res = await call('POST', `${stack.admin}/config`, fx.declarative(upstream.port, ROUTES, ROUTES));
      if (res.status !== 201) throw new Error(`POST /config answered ${res.status}: ${res.body.slice(0, 500)}`);
      stack.fleet = new Fleet(`127.0.0.1:${ports.cluster}`, PROCS, root);
      await stack.fleet.grow(N);
      await stack.fleet.waitRouteName(`r${ROUTES - 1}`);
      await stack.fleet.flushCaches();
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const stack of round % 2 ? [...stacks].reverse() : stacks) {
        await stopChild(stack.cp, 30_000);
        await startControlPlane(stack);
        await fleetBack(stack);
        const before = await stack.fleet.received();
        const { acked } = await writeAndWait(`${stack.admin}/services/bench/routes`, { name: `back-${round}`, paths: [`/back-${round}/`] }, 'routes', [stack.fleet]);
        const after = await stack.fleet.received();
        stack.ms.push(acked[0]);
        stack.got.push(Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - before[k]])));
        process.stdout.write(`round ${round + 1} ${stack.root}: 201 → all ${N} ACKed ${acked[0].toFixed(1)} ms; received ${JSON.stringify(stack.got.at(-1))}\n`);
      }
    }
    const f1 = (x) => x.toFixed(1);
    const lines = [
      `${N} data planes per build, ${ROUTES.toLocaleString('en')} routes + ${ROUTES.toLocaleString('en')} consumers; the first write after each of ${ROUNDS} control plane restarts`,
      ...stacks.map((s, i) => `${'AB'[i]} = ${s.root}`),
      '| build | 201 → all ACKed, ms: median (min–max) | received per write: whole snapshots, deltas | MiB per write |',
      '|---|---|---|---|',
    ];
    stacks.forEach((s, i) => {
      const m = summarize(s.ms);
      const per = (k) => s.got.map((g) => g[k]).join('/');
      const mib = s.got.map((g) => ((g.snapshotBytes + g.deltaBytes) / 2 ** 20).toFixed(2)).join('/');
      lines.push(`| ${'AB'[i]} | ${f1(m.p50)} (${f1(Math.min(...s.ms))}–${f1(Math.max(...s.ms))}) | ${per('snapshots')}, ${per('deltas')} | ${mib} |`);
    });
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    for (const s of stacks) {
      await s.fleet?.close();
      await stopChild(s.cp, 30_000);
      rmSync(s.prefix, { recursive: true, force: true });
    }
    await stopChild(upstream.child);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${err.stack || err}\n`);
    process.exit(1);
  },
);
