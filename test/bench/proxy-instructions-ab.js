'use strict';
// Instructions per request of the proxy process, before/after, counted by valgrind's callgrind: the bare
// undici proxy and Archway data planes (1 route without plugins; key-auth + rate-limiting local) from two
// builds — A: another built checkout (e.g. a git worktree of the base commit); B: this one — against one
// nginx upstream. Each process runs under callgrind: WARM requests, counters zeroed, N requests at c=1
// from this process, counters dumped. Instructions do not depend on what else the machine is doing, so
// two builds compare within a few per cent where proxy-cpu-ab.js's CPU time swings by 10–20 %. The
// caveat: N + WARM requests are far from the ≈ 400,000 after which V8 stops optimizing (--trace-opt
// under wrk), so the count is of code still settling, and V8's compiler threads show in "all threads";
// "main thread" is the event loop's work. Both builds are measured at the same point, which is what an
// A/B needs. Usage: node test/bench/proxy-instructions-ab.js <checkout A>   (env R=2 rounds, N=3000, WARM=5000)
const B = `${__dirname}/`;
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const { join, resolve } = require('node:path');
const { Pool } = require('undici');
const lib = require(B + 'lib');
const fx = require(B + 'fixtures');
const tools = require(B + 'tools');
const { pluginsSnapshot } = require(B + 'proxy-contenders');

const ROUNDS = Number(process.env.R || 2), N = Number(process.env.N || 3000), WARM = Number(process.env.WARM || 5000);
if (!process.argv[2]) {
  console.error('usage: node test/bench/proxy-instructions-ab.js <checkout A (built)>');
  process.exit(2);
}
const ROOTS = { A: resolve(process.argv[2]), B: lib.ROOT };
const AUTH = { apikey: 'key-42' };

/** `n` GET / one after another on one keep-alive connection; throws on anything but a 200. */
async function load(port, n, headers) {
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 1 });
  try {
    for (let i = 0; i < n; i++) {
      const res = await pool.request({ path: '/', method: 'GET', headers });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`GET / answered ${res.statusCode}`);
    }
  } finally {
    await pool.close();
  }
}

/** Instructions of the dump file (callgrind's `totals:` line). */
function instructions(file) {
  return Number(/^(?:summary|totals): (\d+)/m.exec(fs.readFileSync(file, 'utf8'))[1]);
}

/** One contender under callgrind: { main, all } instructions per measured request. */
async function measure(dir, label, argv, env, port, headers) {
  const child = spawn('valgrind', ['--tool=callgrind', '--separate-threads=yes', `--callgrind-out-file=${join(dir, `${label}.%p.cg`)}`, process.execPath, ...argv], {
    env: { ...process.env, ...env },
    stdio: 'ignore',
  });
  try {
    await lib.waitFor(label, () => tools.portOpen(port), 300_000);
    await load(port, WARM, headers);
    execFileSync('callgrind_control', ['-z', String(child.pid)], { stdio: 'ignore' });
    await load(port, N, headers);
    execFileSync('callgrind_control', ['-d', String(child.pid)], { stdio: 'ignore' });
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
  // the dump holds one file per thread: <label>.<pid>.cg.1-<thread>, thread 01 the main one
  const files = fs.readdirSync(dir).filter((f) => f.startsWith(`${label}.${child.pid}.cg.1-`));
  const main = files.filter((f) => f.endsWith('-01')).reduce((a, f) => a + instructions(join(dir, f)), 0);
  const all = files.reduce((a, f) => a + instructions(join(dir, f)), 0);
  for (const f of fs.readdirSync(dir)) if (f.startsWith(`${label}.${child.pid}.`)) fs.rmSync(join(dir, f));
  return { main: main / N, all: all / N };
}

const med = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (a, d = 0) => `${med(a).toFixed(d)} (${Math.min(...a).toFixed(d)}–${Math.max(...a).toFixed(d)})`;

(async () => {
  if (!tools.which('valgrind') || !tools.which('callgrind_control')) {
    console.error('needs valgrind (apt-get install -y valgrind)');
    process.exit(3);
  }
  const dir = lib.tempPrefix('instructions-ab');
  const upstreamPort = await lib.freePort();
  const nginx = await tools.startNginx(tools.which('nginx'), 'nginx-upstream.conf', { PORT: upstreamPort, DIR: dir }, dir);
  try {
    const svc = fx.service({ name: 'bench', host: '127.0.0.1', port: upstreamPort });
    const snapshots = {
      one: fx.snapshotOf(1, { services: [svc], routes: [fx.route(svc, { name: 'root', paths: ['/'] })] }),
      plug: pluginsSnapshot(svc, 'local'),
    };
    /** a contender's argv, env and headers, for a free port */
    const contender = async (key, port) => {
      if (key === 'bare') return { argv: [B + 'bare-undici-proxy.js', String(port), String(upstreamPort)], env: {}, headers: {} };
      const kind = key.slice(0, -1);
      const prefix = join(dir, `${key}-prefix`);
      fx.writeCache(prefix, snapshots[kind]);
      const env = await fx.cachedDataPlaneEnv(prefix, port);
      return { argv: [`${ROOTS[key.slice(-1)]}/dist/apps/data-plane/src/main.js`], env, headers: kind === 'plug' ? AUTH : {} };
    };
    const keys = ['bare', 'oneA', 'oneB', 'plugA', 'plugB'];
    const res = Object.fromEntries(keys.map((k) => [k, { main: [], all: [] }]));
    for (let r = 0; r < ROUNDS; r++) {
      for (const key of keys.map((_, i) => keys[(i + r) % keys.length])) {
        const port = await lib.freePort();
        const c = await contender(key, port);
        const x = await measure(dir, key, c.argv, c.env, port, c.headers);
        res[key].main.push(x.main);
        res[key].all.push(x.all);
        console.log(`round ${r + 1} ${key}: ${x.main.toFixed(0)} instructions per request on the main thread, ${x.all.toFixed(0)} on all threads`);
      }
    }
    const ratio = (a, b, t) => res[a][t].map((x, i) => x / res[b][t][i]);
    console.log(`\n== instructions per request (callgrind), median (min–max) of ${ROUNDS} rounds; ${WARM} requests, then ${N} counted, at c=1`);
    for (const t of ['main', 'all']) {
      console.log(`${t === 'main' ? 'main thread' : 'all threads'}: bare ${fmt(res.bare[t])} | no plugins before ${fmt(res.oneA[t])} after ${fmt(res.oneB[t])} | plugins before ${fmt(res.plugA[t])} after ${fmt(res.plugB[t])}`);
      console.log(`  after/before: no plugins ${fmt(ratio('oneB', 'oneA', t), 3)}, plugins ${fmt(ratio('plugB', 'plugA', t), 3)}; Archway (after) ÷ bare: ${fmt(ratio('oneB', 'bare', t), 3)}`);
    }
  } finally {
    nginx.kill('SIGQUIT');
    await new Promise((r) => nginx.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
})().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
