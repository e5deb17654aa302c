'use strict';
// Two builds' control planes side by side, each with a fleet, in the two cases where a control plane
// chooses between a delta and the whole snapshot for data planes that are not simply one write behind:
// the first write after the control plane's restart, and a burst of writes while its data planes are
// still applying. For each built checkout: its own control plane (embedded Postgres under its own
// prefix) and a fleet of N data planes (sync-fleet.js with `root`: real SyncClients and ConfigStores).
// Loads ROUTES mixed routes + ROUTES consumers with key-auth keys; then ROUNDS times, alternating
// builds: restart the control plane, wait until all N are back on it (connected, serving its config),
// write one route and time 201 → all N ACKed; then write BURST routes back to back and time the last
// write's 201 → all N ACKed. Each with what the fleet received for it (whole snapshots or deltas, bytes).
// Usage: node --max-old-space-size=8192 test/bench/control-plane-sync-ab.js <checkout A> <checkout B>
//   (each built, with its own node_modules)
//   env: N (data planes per build, 25), ROUNDS (3), ROUTES (10000), BURST (50), BENCH_SYNC_PROCS (child
//        processes per build, 2)
const { rmSync } = require('node:fs');
const { resolve } = require('node:path');
const { call, freePort, tempPrefix, spawnRole, stopChild, startOkUpstream, waitFor, rounds, fmtRange } = require('./lib');
const fx = require('./fixtures');
const { Fleet, routeWrites } = require('./sync-fleet');

const N = Number(process.env.N || 25);
const ROUNDS = Number(process.env.ROUNDS || 3);
const ROUTES = Number(process.env.ROUTES || 10_000);
const BURST = Number(process.env.BURST || 50);
const PROCS = Number(process.env.BENCH_SYNC_PROCS || 2);
const CASES = ['restart', 'burst'];

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
  if (roots.length !== 2) throw new Error('usage: control-plane-sync-ab.js <checkout A> <checkout B>');
  const upstream = await startOkUpstream();
  const stacks = [];
  try {
    for (const root of roots) {
      const ports = { admin: await freePort(), cluster: await freePort() };
      const stack = { root, ports, prefix: tempPrefix('cp'), admin: `http://127.0.0.1:${ports.admin}`, cp: null, ms: { restart: [], burst: [] }, got: { restart: [], burst: [] } };
      stacks.push(stack);
      await startControlPlane(stack);
      const res = await call('POST', `${stack.admin}/config`, fx.declarative(upstream.port, ROUTES, ROUTES));
      if (res.status !== 201) throw new Error(`POST /config answered ${res.status}: ${res.body.slice(0, 500)}`);
      stack.fleet = new Fleet(`127.0.0.1:${ports.cluster}`, PROCS, root);
      await stack.fleet.grow(N);
      await stack.fleet.waitRouteName(`r${ROUTES - 1}`);
      await stack.fleet.flushCaches();
    }
    /** writes routes `names` back to back and records the last one's 201 → all ACKed and what the fleet received */
    const timed = async (stack, kind, round, names) => {
      const { acked, got } = await routeWrites(stack.admin, stack.fleet, names);
      stack.ms[kind].push(acked);
      stack.got[kind].push(got);
      process.stdout.write(`round ${round + 1} ${kind} ${stack.root}: 201 → all ${N} ACKed ${acked.toFixed(1)} ms; received ${JSON.stringify(got)}\n`);
    };
    for (let round = 0; round < ROUNDS; round++) {
      for (const stack of round % 2 ? [...stacks].reverse() : stacks) {
        await stopChild(stack.cp, 30_000);
        await startControlPlane(stack);
        await fleetBack(stack);
        await timed(stack, 'restart', round, [`back-${round}`]);
        await stack.fleet.flushCaches();
        await timed(stack, 'burst', round, Array.from({ length: BURST }, (_, i) => `burst-${round}-${i}`));
        await stack.fleet.flushCaches();
      }
    }
    const lines = [
      `${N} data planes per build, ${ROUTES.toLocaleString('en')} routes + ${ROUTES.toLocaleString('en')} consumers, ${ROUNDS} rounds; restart: the first write after a control plane restart; burst: ${BURST} route writes back to back, from the last one's 201`,
      ...stacks.map((s, i) => `${'AB'[i]} = ${s.root}`),
      '| case | build | 201 → all ACKed, ms: median (min–max) | received per round: whole snapshots; deltas | MiB per round |',
      '|---|---|---|---|---|',
    ];
    for (const kind of CASES) {
      stacks.forEach((s, i) => {
        const ms = s.ms[kind];
        const per = (k) => s.got[kind].map((g) => g[k]).join('/');
        const mib = s.got[kind].map((g) => ((g.snapshotBytes + g.deltaBytes) / 2 ** 20).toFixed(2)).join('/');
        lines.push(`| ${kind} | ${'AB'[i]} | ${fmtRange(rounds(ms), 1)} | ${per('snapshots')}; ${per('deltas')} | ${mib} |`);
      });
    }
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
