'use strict';
// CPU time per request of the proxy process, before/after: the bare undici proxy and Archway data
// planes (one process each, 1 route without plugins and key-auth + rate-limiting local) from two
// builds — A: another checkout, built (npm run build), e.g. a git worktree of the base commit; B: this
// one — all against one nginx upstream. Rounds interleaved (order rotated), ratios within a round,
// median (min–max). CPU per request (utime + stime of the process ÷ requests served) moves much less
// with the machine's load than throughput does. Measured twice: on fresh processes, then after four
// full GCs in every data plane (heap snapshots, --heapsnapshot-signal), as in a process that has run
// a while. Usage: node test/bench/proxy-cpu-ab.js <checkout A>   (env R=5 rounds, S=4 seconds)
const B = `${__dirname}/`;
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const lib = require(B + 'lib');
const fx = require(B + 'fixtures');
const tools = require(B + 'tools');
const { pluginsSnapshot } = require(B + 'proxy-contenders');
const ROUNDS = Number(process.env.R || 6), SECS = Number(process.env.S || 6), WARM = 2;
const SNAPDIR = fs.mkdtempSync(require('node:path').join(require('node:os').tmpdir(), 'archway-ab-snaps-'));
if (!process.argv[2]) {
  console.error('usage: node test/bench/proxy-cpu-ab.js <checkout A (built)>');
  process.exit(2);
}
const ROOTS = { A: require('node:path').resolve(process.argv[2]), B: lib.ROOT };
/** temporary directories, removed at the end */
const temps = [SNAPDIR];
async function dp(root, snapshot, probe) {
  const prefix = lib.tempPrefix('dp'); fx.writeCache(prefix, snapshot); temps.push(prefix);
  const port = await lib.freePort();
  const child = spawn(process.execPath, ['--heapsnapshot-signal=SIGUSR2', `${root}/dist/apps/data-plane/src/main.js`], { cwd: SNAPDIR, env: { ...process.env, ...(await fx.cachedDataPlaneEnv(prefix, port)) }, stdio: ['ignore', 'ignore', 'inherit'] });
  await lib.waitFor('dp', async () => (await fx.get(port, probe.path, probe.headers)) === 200, 120000);
  return { port, child };
}
const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const fmt = (a, d = 3) => `${med(a).toFixed(d)} (${Math.min(...a).toFixed(d)}–${Math.max(...a).toFixed(d)})`;
(async () => {
  const wrkBin = tools.which('wrk'); const nginxBin = tools.which('nginx');
  const dir = lib.tempPrefix('ab-nginx'); const kids = []; temps.push(dir);
  try {
    const up = await lib.freePort();
    kids.push(await tools.startNginx(nginxBin, 'nginx-upstream.conf', { PORT: up, DIR: dir }, dir));
    const barePort = await lib.freePort();
    kids.push(spawn(process.execPath, [B + 'bare-undici-proxy.js', String(barePort), String(up)], { stdio: 'ignore' }));
    await lib.waitFor('bare', () => tools.portOpen(barePort), 20000);
    const svc = fx.service({ name: 'bench', host: '127.0.0.1', port: up });
    const one = fx.snapshotOf(1, { services: [svc], routes: [fx.route(svc, { name: 'root', paths: ['/'] })] });
    const auth = { apikey: 'key-42' };
    const c = { direct: { port: up, headers: {} }, bare: { port: barePort, headers: {} } };
    for (const v of ['A', 'B']) {
      const a = await dp(ROOTS[v], one, { path: '/' }); kids.push(a.child); c[`one${v}`] = { port: a.port, headers: {} };
      const p = await dp(ROOTS[v], pluginsSnapshot(svc, 'local'), { path: '/', headers: auth }); kids.push(p.child); c[`plug${v}`] = { port: p.port, headers: auth };
    }
    const pids = {};
    for (const k of Object.keys(c)) pids[k] = null;
    pids.bare = kids[1].pid;
    // the data planes, in the order started: oneA, plugA, oneB, plugB
    pids.oneA = kids[2].pid; pids.plugA = kids[3].pid; pids.oneB = kids[4].pid; pids.plugB = kids[5].pid;
    const cpu = (pid) => lib.cpuSeconds(pid) * 1e6;
    const measure = async (k, conns, secs) => {
      const url = `http://127.0.0.1:${c[k].port}/`;
      await tools.wrk(wrkBin, url, { connections: conns, seconds: 1, headers: c[k].headers });
      const before = cpu(pids[k]);
      const x = await tools.wrk(wrkBin, url, { connections: conns, seconds: secs, headers: c[k].headers });
      const used = cpu(pids[k]) - before;
      return { rps: x.rps, us: used / (x.rps * secs), non2xx: x.non2xx };
    };
    const phase = async (label) => {
      const res = { 50: {}, 1: {} };
      const keys = ['bare', 'oneA', 'oneB', 'plugA', 'plugB'];
      const loads = [];
      for (let r = 0; r < ROUNDS; r++) {
        loads.push(require('node:os').loadavg()[0]);
        for (const conns of [50, 1]) {
          const order = keys.map((_, i) => keys[(i + r) % keys.length]);
          for (const k of order) {
            const x = await measure(k, conns, SECS);
            (res[conns][k] ??= []).push(x.us);
            process.stdout.write(`${label} round ${r + 1} c=${conns} ${k}: ${x.rps.toFixed(0)} rps ${x.us.toFixed(1)} µs CPU/request${x.non2xx ? ` non2xx ${x.non2xx}` : ''}\n`);
          }
        }
      }
      const rat = (R, a, b) => R[a].map((x, i) => x / R[b][i]);
      const out = [`\n== ${label}: CPU µs per request (utime+stime of the process / requests), median (min–max) of ${ROUNDS} interleaved rounds, wrk -t1 -d${SECS}s after 1 s warm-up; load average at round starts ${loads.map((l) => l.toFixed(1)).join(' ')}`];
      for (const conns of [50, 1]) {
        const R = res[conns];
        out.push(`c=${conns}: bare ${fmt(R.bare, 1)} | no plugins before ${fmt(R.oneA, 1)} after ${fmt(R.oneB, 1)} | plugins before ${fmt(R.plugA, 1)} after ${fmt(R.plugB, 1)}`);
        out.push(`c=${conns}: CPU ratios — bare/no-plugins (≈ throughput ratio at equal CPU): before ${fmt(rat(R, 'bare', 'oneA'))} after ${fmt(rat(R, 'bare', 'oneB'))}; no-plugins/plugins: before ${fmt(rat(R, 'oneA', 'plugA'))} after ${fmt(rat(R, 'oneB', 'plugB'))}; after/before: no plugins ${fmt(rat(R, 'oneB', 'oneA'))}, plugins ${fmt(rat(R, 'plugB', 'plugA'))}`);
      }
      console.log(out.join('\n'));
    };
    await phase('fresh processes');
    // four full GCs in every data plane (a heap snapshot each), with traffic between, as a process that has run a while
    for (let g = 0; g < 4; g++) {
      for (const k of ['oneA', 'oneB', 'plugA', 'plugB']) {
        await tools.wrk(wrkBin, `http://127.0.0.1:${c[k].port}/`, { connections: 10, seconds: 1, headers: c[k].headers });
        process.kill(pids[k], 'SIGUSR2');
      }
      await new Promise((r) => setTimeout(r, 4000));
    }
    for (const f of fs.readdirSync(SNAPDIR)) fs.rmSync(`${SNAPDIR}/${f}`);
    await phase('after four full GCs');
  } finally {
    const exited = kids.map((k) => (k.exitCode === null && k.signalCode === null ? new Promise((r) => k.once('exit', r)) : null));
    for (const k of kids.reverse()) try { k.kill(k.spawnargs[0].endsWith('nginx') ? 'SIGQUIT' : 'SIGTERM'); } catch {}
    // the data planes and nginx write into their directories until they are gone
    await Promise.race([Promise.all(exited), new Promise((r) => setTimeout(r, 10000))]);
    for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
  }
})().catch((e) => { console.error(e); process.exitCode = 1; });
