'use strict';
// Proxy throughput and latency: direct, nginx, a bare undici proxy and Archway in four scenarios, each
// single-process against the same nginx upstream, loaded by wrk over loopback. Rounds are interleaved
// (every contender once per round, order rotated) and every figure is a ratio within a round.
// Usage: node test/bench/proxy.js   (env: BENCH_ROUNDS=3 BENCH_SECONDS=10 BENCH_WARMUP=2 BENCH_ROUTES=10000)
const { readdirSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const { tempPrefix, machine, writeSection, rounds, fmtRange, sleep } = require('./lib');
const { requireTools, wrk, nginxVersion, wrkVersion } = require('./tools');
const { startContenders, pluginsSnapshot } = require('./proxy-contenders');
const { summarizeProfile, profileTable, byArea } = require('./cpu-profile');
const fx = require('./fixtures');

const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const SECONDS = Number(process.env.BENCH_SECONDS || 10);
const WARMUP = Number(process.env.BENCH_WARMUP || 2);
const ROUTES = Number(process.env.BENCH_ROUTES || 10_000);
const LOADS = [50, 1];

async function measure(tools, c, connections) {
  const url = `http://127.0.0.1:${c.port}${c.path}`;
  await wrk(tools.wrk, url, { connections, seconds: WARMUP, headers: c.headers });
  return wrk(tools.wrk, url, { connections, seconds: SECONDS, headers: c.headers });
}

/** results[load][key] = [report per round] */
async function runRounds(tools, contenders) {
  const live = contenders.filter((c) => !c.na);
  const results = Object.fromEntries(LOADS.map((l) => [l, Object.fromEntries(live.map((c) => [c.key, []]))]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = live.map((_, i) => live[(i + round) % live.length]);
    for (const load of LOADS) {
      for (const c of order) {
        const r = await measure(tools, c, load);
        results[load][c.key].push(r);
        process.stdout.write(`round ${round + 1} c=${load} ${c.label}: ${r.rps.toFixed(0)} rps, mean ${(r.mean * 1000).toFixed(0)} µs, p99 ${(r.p99 * 1000).toFixed(0)} µs${r.non2xx || r.socketErrors ? `, ${r.non2xx} non-2xx, ${r.socketErrors} socket errors` : ''}\n`);
      }
    }
  }
  return results;
}

/** per-round ratio a/b of field `f`, as rounds() */
const ratio = (xs, ys, f) => rounds(xs.map((x, i) => x[f] / ys[i][f]));
const diff = (xs, ys, f) => rounds(xs.map((x, i) => (x[f] - ys[i][f]) * 1000));
const of = (xs, f, k = 1) => rounds(xs.map((x) => x[f] * k));
/** At c=1 wrk is a closed loop on one connection: the mean time per request is exactly 1/rps. */
const perRequestUs = (x) => 1e6 / x.rps;
const addedMean = (xs, ys) => rounds(xs.map((x, i) => perRequestUs(x) - perRequestUs(ys[i])));

/** CPU profile of one Archway data plane during one wrk run at c=50. */
async function profile(tools, snapshot, probe, dir) {
  const profDir = join(dir, `prof-${Date.now()}`);
  const dp = await fx.startCachedDataPlane(snapshot, probe, { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profDir}`] });
  try {
    await measure(tools, { port: dp.port, path: probe.path, headers: probe.headers ?? {} }, 50);
  } finally {
    await sleep(500); // wrk abandons its last requests; let them finish before the shutdown
    const exited = new Promise((r) => dp.child.once('exit', r));
    dp.child.kill('SIGTERM');
    await exited;
    rmSync(dp.prefix, { recursive: true, force: true });
  }
  await sleep(200);
  const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile written in ${profDir}`);
  return summarizeProfile(join(profDir, file), 15);
}

function tables(contenders, results) {
  const c50 = results[50];
  const c1 = results[1];
  const rows50 = ['| contender | rps | p50 ms | p99 ms | × nginx (rps) | × bare undici (rps) |', '|---|---|---|---|---|---|'];
  const rows1 = ['| contender | mean µs (1/rps) | p50 µs | p99 µs | added mean µs | added p50 µs | added p99 µs |', '|---|---|---|---|---|---|---|'];
  for (const c of contenders) {
    if (c.na) {
      rows50.push(`| ${c.label} | ${c.na} | | | | |`);
      rows1.push(`| ${c.label} | ${c.na} | | | | | |`);
      continue;
    }
    const a = c50[c.key];
    const b = c1[c.key];
    const direct = c.key === 'direct';
    rows50.push(`| ${c.label} | ${fmtRange(of(a, 'rps'), 0)} | ${fmtRange(of(a, 'p50'))} | ${fmtRange(of(a, 'p99'))} | ${fmtRange(ratio(a, c50.nginx, 'rps'))} | ${fmtRange(ratio(a, c50.bare, 'rps'))} |`);
    const added = (f) => (direct ? '—' : fmtRange(diff(b, c1.direct, f), 0));
    rows1.push(`| ${c.label} | ${fmtRange(rounds(b.map(perRequestUs)), 0)} | ${fmtRange(of(b, 'p50', 1000), 0)} | ${fmtRange(of(b, 'p99', 1000), 0)} | ${direct ? '—' : fmtRange(addedMean(b, c1.direct), 0)} | ${added('p50')} | ${added('p99')} |`);
  }
  return { t50: rows50.join('\n'), t1: rows1.join('\n') };
}

function targets(results) {
  const c50 = results[50];
  const rows = ['| target (issue 6) | measured: median (min–max) | met? |', '|---|---|---|'];
  const check = (label, r, ok, digits = 3, unit = '') => rows.push(`| ${label} | ${fmtRange(r, digits)}${unit} | ${ok === null ? '— (no target)' : ok(r.median) ? 'yes' : '**no**'} |`);
  check('Archway (1 route, no plugins) ≥ 0.95× bare undici', ratio(c50.archway, c50.bare, 'rps'), (x) => x >= 0.95);
  check('Archway (1 route, no plugins) ≥ 0.45× nginx', ratio(c50.archway, c50.nginx, 'rps'), (x) => x >= 0.45);
  check(`${ROUTES.toLocaleString('en')} routes ≥ 0.95× 1 route`, ratio(c50.archway10k, c50.archway, 'rps'), (x) => x >= 0.95);
  check('key-auth + rate-limiting (local) ≥ 0.85× no plugins', ratio(c50.plugLocal, c50.archway, 'rps'), (x) => x >= 0.85);
  if (c50.plugRedis) check('key-auth + rate-limiting (redis) vs no plugins', ratio(c50.plugRedis, c50.archway, 'rps'), null);
  check('added mean latency at c=1 ≤ 120 µs (1 route, no plugins)', addedMean(results[1].archway, results[1].direct), (x) => x <= 120, 0, ' µs');
  check('(for scale) nginx added mean latency at c=1', addedMean(results[1].nginx, results[1].direct), null, 0, ' µs');
  check('(for scale) bare undici added mean latency at c=1', addedMean(results[1].bare, results[1].direct), null, 0, ' µs');
  return rows.join('\n');
}

function errorsNote(results) {
  const bad = [];
  for (const [load, byKey] of Object.entries(results))
    for (const [key, runs] of Object.entries(byKey)) {
      const n = runs.reduce((a, r) => a + r.non2xx + r.socketErrors, 0);
      if (n) bad.push(`${key} at c=${load}: ${n}`);
    }
  return bad.length ? `Non-2xx responses or socket errors seen (counted in the figures): ${bad.join('; ')}.` : 'Every response in every run was a 2xx; no socket errors.';
}

function render({ t50, t1, tt, profs, notes, results, tools }) {
  const area = (p) => byArea(p.all).map(([a, x]) => `${a} ${(x * 100).toFixed(0)}%`).join(', ');
  return `## Proxy throughput and latency (\`npm run bench proxy\`)

Command: \`npm run bench proxy\` (builds, then \`node test/bench/proxy.js\`; env BENCH_ROUNDS=${ROUNDS} BENCH_SECONDS=${SECONDS} BENCH_WARMUP=${WARMUP} BENCH_ROUTES=${ROUTES}), ${new Date().toISOString().slice(0, 10)}.
Machine: ${machine()}; ${tools.nginxVersion}; ${tools.wrkVersion}. Needs Debian's nginx and wrk (\`apt-get update && apt-get install -y nginx wrk\`; the bench says so and exits 3 when they are missing) and redis-server for the redis row.

Setup, all over loopback on one 2-core machine (wrk, the proxy and the upstream share the two cores, so
absolute figures are low and only ratios within a round mean anything): the upstream is nginx answering
a fixed \`200 ok\` (\`test/bench/nginx-upstream.conf\`, one worker). Contenders, each one process proxying
to it over keep-alive: **direct** (wrk → upstream), **nginx** (\`test/bench/nginx-proxy.conf\`, one
worker, upstream keepalive 64), the **bare undici proxy** (\`test/bench/bare-undici-proxy.js\`: node:http
+ one undici Pool, streaming, no routing), and **Archway**: one data-plane process (\`ARCHWAY_WORKERS=1\`)
serving a snapshot from its disk cache (\`<prefix>/dp-cache/snapshot.json\`, built with \`makeSnapshot\`),
its control plane a closed port. Scenarios: 1 route \`/\`; ${ROUTES.toLocaleString('en')} routes (exact hosts, wildcard hosts,
prefixes, methods, headers; the request matches the last route created, a prefix route on any host);
one route with \`key-auth\` + \`rate-limiting\` (hour limit 10¹², policy local, or redis on a local
redis-server) and 100 consumers, the request carrying a valid \`apikey\`.

Each run: \`wrk -t1 -c50 -d${SECONDS}s --latency\` after a ${WARMUP} s warm-up at the same concurrency, then the
same with \`-c1\`. ${ROUNDS} rounds; in each, every contender runs once (order rotated per round), and
ratios are taken within a round. Cells: median of rounds (min–max).

### Throughput at c=50
${t50}

### Latency at c=1 (added latency over direct)
With one connection wrk is a closed loop, so the mean time per request is exactly 1/rps. wrk's own
"Latency Avg" is not used: in a first run it disagreed with 1/rps by up to 17×. p50/p99 are wrk's.
"Added" is the contender minus direct, within the same round.

${t1}

### Targets
${tt}

${errorsNote(results)}${notes.length ? ` ${notes.join(' ')}` : ''}

### Where the time goes (CPU profile of the data plane under load)
\`node --cpu-prof\` on one data-plane process during one more warm-up + \`wrk -t1 -c50 -d${SECONDS}s\` run;
self time aggregated by function and source location (\`node test/bench/cpu-profile.js <file>\`), sampled
at V8's default 1 ms. On loopback the kernel delivers each segment to the receiving socket inside the
sender's system call, so \`writev\`/\`writeLatin1String\` (socket writes) carry the kernel's TCP work for
both ends; \`(idle)\` is the event loop waiting in epoll while wrk and the upstream share the two cores.

No plugins, 1 route — by area: ${area(profs.plain)}.

${profileTable(profs.plain)}

key-auth + rate-limiting (local) — by area: ${area(profs.plugins)}.

${profileTable(profs.plugins)}`;
}

async function main() {
  const tools = requireTools();
  tools.nginxVersion = nginxVersion(tools.nginx);
  tools.wrkVersion = wrkVersion(tools.wrk);
  const dir = tempPrefix('proxy');
  const { contenders, stop, svc, one, notes } = await startContenders({ nginx: tools.nginx, routes: ROUTES, dir });
  let results;
  const profs = {};
  try {
    results = await runRounds(tools, contenders);
    // the other contenders idle meanwhile; the upstream must stay up
    profs.plain = await profile(tools, one, { path: '/' }, dir);
    profs.plugins = await profile(tools, pluginsSnapshot(svc, 'local'), { path: '/', headers: { apikey: 'key-42' } }, dir);
  } finally {
    await stop();
    for (const c of contenders) if (c.prefix) rmSync(c.prefix, { recursive: true, force: true });
  }
  const { t50, t1 } = tables(contenders, results);
  const tt = targets(results);
  process.stdout.write(`\n${t50}\n\n${t1}\n\n${tt}\n\n${profileTable(profs.plain)}\n\n${profileTable(profs.plugins)}\n`);
  writeSection('proxy', render({ t50, t1, tt, profs, notes, results, tools }));
  rmSync(dir, { recursive: true, force: true });
}

module.exports = { main };
if (require.main === module)
  main().catch((err) => {
    process.stderr.write(`${err.stack || err}\n`);
    process.exit(1);
  });
