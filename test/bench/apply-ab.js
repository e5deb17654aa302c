'use strict';
// The proxy's latency while deltas are applied, two builds side by side: one control plane (this
// checkout's, embedded Postgres unless ARCHWAY_DATABASE_URL is set) holding ROUTES mixed routes +
// ROUTES consumers with key-auth keys, and one real single-process data plane per built checkout,
// both connected the whole time (so both apply every write), and a control: a data plane on the same
// config with no control plane (it applies nothing). Rounds alternate A B A B …: each loads one data
// plane and the control, half the requests each, at RATE requests/s in all while WRITES route
// additions are made and served (apply-latency.js, as the sync bench's "during applies" phase). Per
// round and build: the p50 and p99 of the requests sent during an apply, their p99 ÷ the steady p99,
// and ÷ the control's p99 in the same windows (the machine's share taken out), and the latency the
// applies added, summed over their requests, per write (a window's p99 alone favours a long window of
// mildly slowed requests over a short one); then the medians over the rounds with min–max.
// Usage: node --max-old-space-size=8192 test/bench/apply-ab.js <checkout A> <checkout B>
//   env: ROUNDS (per build, 3), WRITES (per round, 40), RATE (1000), ROUTES (10000), WORKERS (1),
//        WHOLE=1 (both data planes with ARCHWAY_CLUSTER_INCREMENTAL_SYNC=off: every write reaches them as
//        the whole snapshot), PAUSE_MS (between writes: 1500, or 3000 with WHOLE=1), SOLO=1 (each build's
//        data plane runs only in its own rounds, started afresh: with WHOLE=1 the builds' applies differ
//        so much in cost that the other build's apply would weigh on the measured one's windows)
const { rmSync } = require('node:fs');
const { join, resolve } = require('node:path');
const { ROOT, call, freePort, tempPrefix, spawnRole, stopChild, startOkUpstream, waitFor, rounds, fmtRange } = require('./lib');
const fx = require('./fixtures');
const { latencyDuringApply } = require('./sync-measures');
const { readSnapshotFile } = require(join(ROOT, 'dist', 'apps', 'data-plane', 'src', 'snapshot-file.js'));

const ROUNDS = Number(process.env.ROUNDS || 3);
const WRITES = Number(process.env.WRITES || 40);
const RATE = Number(process.env.RATE || 1000);
const ROUTES = Number(process.env.ROUTES || 10_000);
const WORKERS = process.env.WORKERS || '1';
const WHOLE = process.env.WHOLE === '1';
const PAUSE_MS = Number(process.env.PAUSE_MS || (WHOLE ? 3000 : 1500));
const SOLO = process.env.SOLO === '1';

async function main() {
  const roots = process.argv.slice(2).map((r) => resolve(r));
  if (roots.length !== 2) throw new Error('usage: apply-ab.js <checkout A> <checkout B>');
  const upstream = await startOkUpstream();
  const prefixes = [tempPrefix('cp'), tempPrefix('dpa'), tempPrefix('dpb')];
  const ports = { admin: await freePort(), cluster: await freePort() };
  const admin = `http://127.0.0.1:${ports.admin}`;
  const cp = spawnRole('control-plane', { ARCHWAY_ADMIN_LISTEN: `127.0.0.1:${ports.admin}`, ARCHWAY_CLUSTER_LISTEN: `127.0.0.1:${ports.cluster}`, ARCHWAY_PREFIX: prefixes[0], ARCHWAY_LOG_LEVEL: 'error' });
  const dps = [];
  let control = null;
  try {
    await waitFor('the Admin API', async () => (await call('GET', `${admin}/status`)).status === 200, 120_000);
    const res = await call('POST', `${admin}/config`, fx.declarative(upstream.port, ROUTES, ROUTES));
    if (res.status !== 201) throw new Error(`POST /config answered ${res.status}: ${res.body.slice(0, 500)}`);
    const last = fx.mixedRoute(fx.service({ name: 'probe' }), ROUTES - 1)[1];
    const probeHeaders = { apikey: 'key-1' };
    const loadHeaders = { ...probeHeaders, host: last.host ?? 'other.example.org', ...last.headers };
    const startDataPlane = async (i) => {
      const probe = { path: last.path, headers: loadHeaders };
      rmSync(prefixes[1 + i], { recursive: true, force: true });
      const env = { ARCHWAY_WORKERS: WORKERS, ...(WHOLE ? { ARCHWAY_CLUSTER_INCREMENTAL_SYNC: 'off' } : {}) };
      const { child, port } = await fx.startSyncedDataPlane('AB'[i], `127.0.0.1:${ports.cluster}`, prefixes[1 + i], probe, { root: roots[i], env });
      dps[i] = { child, ctx: { admin, proxyPort: port, loadPath: last.path, loadHeaders, probeHeaders, controlPort: control?.port } };
    };
    const stopDataPlane = async (i) => {
      await stopChild(dps[i].child);
      dps[i] = null;
    };
    for (let i = 0; i < (SOLO ? 1 : 2); i++) await startDataPlane(i);
    // the control serves data plane A's disk cache (written a second after its apply)
    const cacheFile = join(prefixes[1], 'dp-cache', 'snapshot.json');
    await waitFor('data plane A to write its disk cache', async () => (await readSnapshotFile(cacheFile)) !== null, 60_000);
    control = await fx.startCachedDataPlane(await readSnapshotFile(cacheFile), { path: last.path, headers: loadHeaders });
    for (const dp of dps) if (dp) dp.ctx.controlPort = control.port;
    if (SOLO) await stopDataPlane(0);
    const per = [[], []];
    /** latency added per write: (mean during − mean steady) × requests during ÷ writes, in ms */
    const added = (f, writes) => ((f.during.mean - f.steady.mean) * f.during.n) / writes;
    for (let r = 0; r < ROUNDS; r++) {
      for (let b = 0; b < 2; b++) {
        if (SOLO) {
          await startDataPlane(b);
          await new Promise((r) => setTimeout(r, 3000)); // its disk cache written, its lookups for deltas built
        }
        const d = await latencyDuringApply(dps[b].ctx, WRITES, { label: `ab${r}${'AB'[b]}`, rate: RATE, pauseMs: PAUSE_MS });
        if (SOLO) await stopDataPlane(b);
        per[b].push(d);
        const f1 = (x) => x.toFixed(1);
        process.stdout.write(
          `round ${r + 1} ${'AB'[b]}: steady p99 ${f1(d.steady.p99)} ms; during p50 ${f1(d.during.p50)}, p99 ${f1(d.during.p99)} ms (${d.during.n} requests, windows p50 ${f1(d.applyMs.p50)} ms); ${f1(d.during.p99 / d.steady.p99)}× steady; control during p99 ${f1(d.control.during.p99)} ms (${f1(d.control.during.p99 / d.control.steady.p99)}× its steady); added ${f1(added(d, d.writes))} ms per write (control ${f1(added(d.control, d.writes))}); failed ${d.failed}\n`,
        );
      }
    }
    const lines = [
      `${ROUTES.toLocaleString('en')} routes + consumers, ${ROUNDS} rounds per build of ${WRITES} route writes${WHOLE ? ' (each reaching the data planes as the whole snapshot)' : ''}${SOLO ? ', each build\'s data plane running alone in its rounds' : ''} ${PAUSE_MS} ms apart at ${RATE} requests/s; medians over the rounds (min–max)`,
      `A = ${roots[0]}`,
      `B = ${roots[1]}`,
      '| build | steady p99 (ms) | during p50 (ms) | during p99 (ms) | during p99 ÷ steady p99 | control: during p99 ÷ steady p99 | during p99 ÷ control during p99 | window 201 → served p50 (ms) | latency added per write (ms, summed over its requests) | the control\'s |',
      '|---|---|---|---|---|---|---|---|---|---|',
    ];
    for (let b = 0; b < 2; b++) {
      const col = (f) => fmtRange(rounds(per[b].map(f)), 1);
      lines.push(
        `| ${'AB'[b]} | ${col((d) => d.steady.p99)} | ${col((d) => d.during.p50)} | ${col((d) => d.during.p99)} | ${col((d) => d.during.p99 / d.steady.p99)} | ${col((d) => d.control.during.p99 / d.control.steady.p99)} | ${col((d) => d.during.p99 / d.control.during.p99)} | ${col((d) => d.applyMs.p50)} | ${col((d) => added(d, d.writes))} | ${col((d) => added(d.control, d.writes))} |`,
      );
    }
    process.stdout.write(`\n${lines.join('\n')}\n`);
  } finally {
    for (const dp of dps) if (dp) await stopChild(dp.child);
    if (control) {
      await stopChild(control.child);
      rmSync(control.prefix, { recursive: true, force: true });
    }
    await stopChild(cp, 30_000);
    await stopChild(upstream.child);
    for (const p of prefixes) rmSync(p, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${err.stack || err}\n`);
    process.exit(1);
  },
);
