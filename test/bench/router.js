'use strict';
// Router match time at 100 / 1,000 / 10,000 mixed routes (the built @archway/router, routes built
// through the real schemas), compile time, and the data plane's RSS with 10,000 routes + 10,000
// consumers with key-auth credentials loaded.
// Usage: node test/bench/router.js   (env: BENCH_ROUNDS=3 BENCH_SAMPLES=50000)
const { readFileSync, rmSync } = require('node:fs');
const { join } = require('node:path');
const { ROOT, machine, writeSection, rounds, fmtRange, sleep, percentile, stopChild, startOkUpstream } = require('./lib');
const fx = require('./fixtures');

const { compileRouter } = require(join(ROOT, 'dist', 'libs', 'router', 'src', 'index.js'));

const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const SAMPLES = Number(process.env.BENCH_SAMPLES || 50_000);
const SIZES = [100, 1_000, 10_000];
const MEMORY_ROUTES = 10_000;
const MEMORY_CONSUMERS = 10_000;

/** A deterministic PRNG (mulberry32), so every run asks for the same requests. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The route kinds of fixtures.mixedRoute, by index. */
function kindOf(i) {
  const k = i % 20;
  if (k < 8) return 'exact host + prefix';
  if (k < 11) return 'wildcard host + prefix';
  if (k < 15) return 'prefix + methods';
  if (k < 17) return 'regex under an exact host';
  if (k < 19) return 'header + prefix';
  return 'regex on any host';
}

/** The lookups of one run: requests for random routes of the set, one in ten a miss (404). */
function workload(requests, n) {
  const rand = prng(42);
  const out = [];
  for (let i = 0; i < n; i++) {
    if (rand() < 0.1) out.push({ req: { method: 'GET', host: 'nowhere.example.org', path: `/missing/${i}`, headers: {} }, want: null, kind: 'miss (404)' });
    else {
      const j = Math.floor(rand() * requests.length);
      out.push({ req: requests[j], want: `r${j}`, kind: kindOf(j) });
    }
  }
  return out;
}

/** One round for one size: compile time, per-match samples (ns), mean of a timed batch, wrong answers. */
function measureSize(set) {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const router = compileRouter(set.routes, [set.svc]);
  const compileMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(c0);
  // CPU time too: on a shared machine the wall time of one compile mostly says how long the process waited
  const compileCpuMs = (cpu.user + cpu.system) / 1e3;
  const lookups = set.lookups;
  for (let i = 0; i < lookups.length; i++) router.match(lookups[i].req); // warm-up: let the JIT settle
  let wrong = 0;
  const b0 = process.hrtime.bigint();
  for (let i = 0; i < lookups.length; i++) {
    const m = router.match(lookups[i].req);
    if ((m === null ? null : m.route.name) !== lookups[i].want) wrong++;
  }
  const batchNs = Number(process.hrtime.bigint() - b0) / lookups.length;
  const samples = new Float64Array(lookups.length);
  for (let i = 0; i < lookups.length; i++) {
    const s0 = process.hrtime.bigint();
    router.match(lookups[i].req);
    samples[i] = Number(process.hrtime.bigint() - s0);
  }
  const kinds = {};
  for (let i = 0; i < lookups.length; i++) (kinds[lookups[i].kind] ??= []).push(samples[i]);
  for (const k of Object.keys(kinds)) {
    const s = Float64Array.from(kinds[k]).sort();
    kinds[k] = { p50: percentile(s, 50), p99: percentile(s, 99) };
  }
  samples.sort();
  return { compileMs, compileCpuMs, batchNs, p50: percentile(samples, 50), p99: percentile(samples, 99), wrong, kinds };
}

/** What one hrtime.bigint() pair costs: included in every per-match sample. */
function timerOverheadNs() {
  const s = new Float64Array(100_000);
  for (let i = 0; i < s.length; i++) {
    const a = process.hrtime.bigint();
    s[i] = Number(process.hrtime.bigint() - a);
  }
  s.sort();
  return percentile(s, 50);
}

async function matchBench() {
  const sets = SIZES.map((n) => {
    const svc = fx.service({ name: `svc-${n}`, host: 'upstream.internal' });
    const { routes, requests } = fx.mixedRoutes(svc, n);
    return { n, svc, routes, lookups: workload(requests, SAMPLES) };
  });
  const res = Object.fromEntries(SIZES.map((n) => [n, []]));
  for (let round = 0; round < ROUNDS; round++)
    for (const set of round % 2 ? [...sets].reverse() : sets) res[set.n].push(measureSize(set));
  return res;
}

function rssOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(status)[1]);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/** RSS of a data plane serving `snapshot` from its cache, 2 s after it first served `probe`. */
async function dataPlaneRss(snapshot, probe) {
  const dp = await fx.startCachedDataPlane(snapshot, probe);
  try {
    await sleep(2000);
    return rssOf(dp.child.pid);
  } finally {
    await stopChild(dp.child);
    rmSync(dp.prefix, { recursive: true, force: true });
  }
}

async function memoryBench() {
  const upstream = await startOkUpstream();
  const svc = fx.service({ name: 'mem', host: '127.0.0.1', port: upstream.port });
  const base = fx.snapshotOf(1, { services: [svc], routes: [fx.route(svc, { paths: ['/'] })] });
  const { routes, requests } = fx.mixedRoutes(svc, MEMORY_ROUTES);
  const { consumers, keyauth_credentials } = fx.consumersWithKeys(MEMORY_CONSUMERS);
  // key-auth on every route (global), so the data plane builds its key index
  const plugins = [fx.plugin({ name: 'key-auth' })];
  const full = fx.snapshotOf(1, { services: [svc], routes, consumers, keyauth_credentials, plugins });
  const snapshotMb = Buffer.byteLength(JSON.stringify(full)) / 2 ** 20;
  const probe = { path: requests[0].path, headers: { host: requests[0].host, apikey: 'key-7' } };
  const res = { base: [], full: [] };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      res.base.push(await dataPlaneRss(base, { path: '/' }));
      res.full.push(await dataPlaneRss(full, probe));
    }
  } finally {
    await stopChild(upstream.child);
  }
  return { res, snapshotMb };
}

function render(match, mem, overhead) {
  const rows = ['| routes | match p50 µs | match p99 µs | mean µs (timed batch) | p99 × 100-route p99 | compile ms (wall) | compile ms (CPU) | wrong answers |', '|---|---|---|---|---|---|---|---|'];
  for (const n of SIZES) {
    const r = match[n];
    const f = (k, d = 2, scale = 1e-3) => fmtRange(rounds(r.map((x) => x[k] * scale)), d);
    const rel = rounds(r.map((x, i) => x.p99 / match[SIZES[0]][i].p99));
    rows.push(`| ${n.toLocaleString('en')} | ${f('p50')} | ${f('p99')} | ${f('batchNs')} | ${fmtRange(rel)} | ${f('compileMs', 1, 1)} | ${f('compileCpuMs', 1, 1)} | ${r.reduce((a, x) => a + x.wrong, 0)} |`);
  }
  const p99At10k = rounds(match[10_000].map((x) => x.p99 / 1000)).median;
  const sizes = SIZES.map((n) => n.toLocaleString('en'));
  const kindRows = [
    `| request for a route of kind | ${sizes.map((n) => `p50 µs at ${n} | p99 µs at ${n}`).join(' | ')} |`,
    `|---|${SIZES.map(() => '---|---|').join('')}`,
  ];
  for (const k of Object.keys(match[10_000][0].kinds).sort()) {
    // a kind too rare to appear among the lookups of a small set has no samples there
    const f = (n, q) => fmtRange(rounds(match[n].map((x) => (x.kinds[k] ? x.kinds[k][q] / 1000 : NaN))));
    kindRows.push(`| ${k} | ${SIZES.map((n) => `${f(n, 'p50')} | ${f(n, 'p99')}`).join(' | ')} |`);
  }
  const rss = (k, f) => rounds(mem.res[k].map((x) => x[f]));
  const delta = rounds(mem.res.full.map((x, i) => x.rss - mem.res.base[i].rss));
  const fullRss = rss('full', 'rss');
  const memRows = [
    '| data plane | RSS MB | peak RSS (VmHWM) MB |',
    '|---|---|---|',
    `| 1 route (baseline) | ${fmtRange(rss('base', 'rss'), 0)} | ${fmtRange(rss('base', 'hwm'), 0)} |`,
    `| ${MEMORY_ROUTES.toLocaleString('en')} routes + ${MEMORY_CONSUMERS.toLocaleString('en')} consumers with key-auth credentials, global key-auth | ${fmtRange(fullRss, 0)} | ${fmtRange(rss('full', 'hwm'), 0)} |`,
    `| difference | ${fmtRange(delta, 0)} | |`,
  ].join('\n');
  return `## Router and memory (\`npm run bench router\`)

Command: \`npm run bench router\` (builds, then \`node test/bench/router.js\`; env BENCH_ROUNDS=${ROUNDS} BENCH_SAMPLES=${SAMPLES}), ${new Date().toISOString().slice(0, 10)}.
Machine: ${machine()}.

Routes are built through the real schemas (\`test/bench/fixtures.js\`, \`mixedRoutes\`): per 20 routes, 8 exact host
(250 distinct hosts) + prefix, 3 wildcard host + prefix, 4 prefix with methods, 2 regex path under an exact
host, 2 header (\`x-version\`) + prefix, 1 regex path on any host. ${SAMPLES.toLocaleString('en')} lookups per round: a random route's
matching request, one in ten a miss; each answer is checked against the route it was made for. Each
lookup is timed alone with \`process.hrtime.bigint()\` (a pair costs ≈ ${(overhead / 1000).toFixed(2)} µs here, included in
p50/p99); the mean comes from one timed batch of all lookups. ${ROUNDS} rounds interleaved by size, after a
warm-up pass; cells are the median of rounds (min–max). Compile is one \`compileRouter\` call per size and round,
wall and process CPU time (on a shared machine the wall time mostly says how long the process waited for a core).

${rows.join('\n')}

**Target ≤ 5 µs p99 at 10,000 routes: ${p99At10k <= 5 ? 'met' : 'not met'}** (${p99At10k.toFixed(2)} µs).

By kind of request (same samples):

${kindRows.join('\n')}

Data-plane RSS: a data-plane process (\`ARCHWAY_WORKERS=1\`) started with the snapshot in its disk cache
(${mem.snapshotMb.toFixed(1)} MB of JSON), read from \`/proc/<pid>/status\` 2 s after it first served a request;
baseline is the same process with one route, measured in the same rounds.

${memRows}

**Target ≤ 250 MB: ${fullRss.median <= 250 ? 'met' : 'not met'}** (${fullRss.median.toFixed(0)} MB).`;
}

async function main() {
  const overhead = timerOverheadNs();
  const match = await matchBench();
  const mem = await memoryBench();
  const md = render(match, mem, overhead);
  process.stdout.write(`\n${md}\n`);
  writeSection('router', md);
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
