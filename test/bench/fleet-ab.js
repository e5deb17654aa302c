'use strict';
// Two builds' data planes side by side on one control plane (this checkout's, embedded Postgres unless
// ARCHWAY_DATABASE_URL is set): a fleet of N data planes for each built checkout (sync-fleet.js with
// `root`: real SyncClients and ConfigStores doing a data plane's full work before their ACK), so every
// write is applied by both builds at the same moment on the same machine. Loads ROUTES mixed routes +
// ROUTES consumers with key-auth keys, then makes WRITES rounds of three writes: a route, a consumer,
// the consumer's key. Per kind of write and build: 201 → all N ACKed, p50 / p99, and B ÷ A.
// Usage: node --max-old-space-size=8192 test/bench/fleet-ab.js <checkout A> <checkout B>
//   (each built, with its own node_modules; the members run this checkout's sync-fleet-member.js on
//   the given checkout's dist)
//   env: N (data planes per build, 25), WRITES (rounds, 50), ROUTES (10000), BENCH_SYNC_PROCS (child
//        processes per build, 2)
const { rmSync } = require('node:fs');
const { resolve } = require('node:path');
const { call, freePort, tempPrefix, spawnRole, stopChild, startOkUpstream, waitFor, summarize } = require('./lib');
const fx = require('./fixtures');
const { Fleet, writeAndWait } = require('./sync-fleet');

const N = Number(process.env.N || 25);
const WRITES = Number(process.env.WRITES || 50);
const ROUTES = Number(process.env.ROUTES || 10_000);
const PROCS = Number(process.env.BENCH_SYNC_PROCS || 2);
const KINDS = ['route', 'consumer', 'key'];

async function main() {
  const roots = process.argv.slice(2).map((r) => resolve(r));
  if (roots.length !== 2) throw new Error('usage: fleet-ab.js <checkout A> <checkout B>');
  const upstream = await startOkUpstream();
  const prefix = tempPrefix('cp');
  const ports = { admin: await freePort(), cluster: await freePort() };
  const admin = `http://127.0.0.1:${ports.admin}`;
  const cp = spawnRole('control-plane', { ARCHWAY_ADMIN_LISTEN: `127.0.0.1:${ports.admin}`, ARCHWAY_CLUSTER_LISTEN: `127.0.0.1:${ports.cluster}`, ARCHWAY_PREFIX: prefix, ARCHWAY_LOG_LEVEL: 'error' }, { stdio: ['ignore', 'ignore', 'inherit'] });
  const fleets = roots.map((root) => new Fleet(`127.0.0.1:${ports.cluster}`, PROCS, root));
  try {
    await waitFor('the Admin API', async () => (await call('GET', `${admin}/status`)).status === 200, 120_000);
    const res = await call('POST', `${admin}/config`, fx.declarative(upstream.port, ROUTES, ROUTES));
    if (res.status !== 201) throw new Error(`POST /config answered ${res.status}: ${res.body.slice(0, 500)}`);
    for (const fleet of fleets) await fleet.grow(N);
    await Promise.all(fleets.map((fleet) => fleet.waitRouteName(`r${ROUTES - 1}`)));
    await Promise.all(fleets.map((fleet) => fleet.flushCaches()));
    /** one write, then every member of each fleet ACKing it: ms from the 201, the slowest member per fleet */
    const timed = async (path, body, collection) => (await writeAndWait(`${admin}${path}`, body, collection, fleets)).acked;
    const acked = Object.fromEntries(KINDS.map((k) => [k, [[], []]]));
    const push = (kind, ms) => ms.forEach((x, b) => acked[kind][b].push(x));
    for (let i = 0; i < WRITES; i++) {
      push('route', await timed('/services/bench/routes', { name: `ab-${i}`, paths: [`/ab-${i}/`] }, 'routes'));
      push('consumer', await timed('/consumers', { username: `ab-${i}` }, 'consumers'));
      push('key', await timed(`/consumers/ab-${i}/key-auth`, { key: `ab-key-${i}` }, 'keyauth_credentials'));
    }
    const f1 = (x) => x.toFixed(1);
    const lines = [
      `${N} data planes per build, ${ROUTES.toLocaleString('en')} routes + ${ROUTES.toLocaleString('en')} consumers, ${WRITES} writes of each kind; 201 → all ${N} ACKed (ms)`,
      `A = ${roots[0]}`,
      `B = ${roots[1]}`,
      '| write | A p50 | A p99 | B p50 | B p99 | B ÷ A (p50) |',
      '|---|---|---|---|---|---|',
    ];
    for (const kind of KINDS) {
      const [a, b] = acked[kind].map(summarize);
      lines.push(`| ${kind} | ${f1(a.p50)} | ${f1(a.p99)} | ${f1(b.p50)} | ${f1(b.p99)} | ${(b.p50 / a.p50).toFixed(2)} |`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    for (const fleet of fleets) await fleet.close();
    await stopChild(cp, 30_000);
    await stopChild(upstream.child);
    rmSync(prefix, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${err.stack || err}\n`);
    process.exit(1);
  },
);
