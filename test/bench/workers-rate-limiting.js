'use strict';
// The cost of rate-limiting's node-wide counters with proxy workers: CPU time per request of every
// data-plane process (primary + workers, from /proc), which contention on a shared machine inflates
// far less than throughput. Contenders: a route without plugins and one with rate-limiting `local` (a
// limit the load never reaches), with ARCHWAY_WORKERS=2 and 1, against one nginx upstream; interleaved
// rounds of wrk. With another build's root as argument (e.g. a worktree of main), its data planes run
// beside this build's, for an A/B. Linux only (/proc).
// Usage: node test/bench/workers-rate-limiting.js [other-root]   (env: ROUNDS=5 SECS=6 CONN=50)
const { join } = require('node:path');
const { readFileSync, readdirSync, rmSync } = require('node:fs');
const { ROOT, freePort, tempPrefix, cpuSeconds, parseProcStat } = require('./lib');
const tools = require('./tools');

const ROUNDS = Number(process.env.ROUNDS || 5);
const SECONDS = Number(process.env.SECS || 6);
const CONN = Number(process.env.CONN || 50);

/** `pid` and its children (a primary and its workers) */
function family(pid) {
  const out = [pid];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (parseProcStat(readFileSync(`/proc/${d}/stat`, 'utf8')).ppid === pid) out.push(Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

const cpu = (pids) => pids.reduce((a, p) => a + cpuSeconds(p), 0);
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const { nginx, wrk } = tools.requireTools();
  const builds = [['this', ROOT], ...(process.argv[2] ? [['other', process.argv[2]]] : [])];
  const dir = tempPrefix('workers-rl');
  const upstreamPort = await freePort();
  const children = [await tools.startNginx(nginx, 'nginx-upstream.conf', { PORT: upstreamPort, DIR: dir }, dir)];
  const contenders = [];
  try {
    for (const [build, root] of builds) {
      const fx = require(join(root, 'test', 'bench', 'fixtures.js'));
      const svc = fx.service({ name: 'up', port: upstreamPort });
      const r = fx.route(svc, { name: 'root', paths: ['/'] });
      const plain = fx.snapshotOf(1, { services: [svc], routes: [r] });
      const limit = fx.plugin({ name: 'rate-limiting', route: { id: r.id }, config: { hour: 1e12, policy: 'local' } });
      const limited = fx.snapshotOf(1, { services: [svc], routes: [r], plugins: [limit] });
      for (const workers of ['2', '1'])
        for (const [kind, snapshot] of [['plain', plain], ['rl', limited]]) {
          const dp = await fx.startCachedDataPlane(snapshot, { path: '/' }, { env: { ARCHWAY_WORKERS: workers } });
          children.push(dp.child);
          await new Promise((res) => setTimeout(res, 300)); // every worker listening
          contenders.push({ key: `${build} ${kind} w${workers}`, port: dp.port, prefix: dp.prefix, pids: family(dp.child.pid), runs: [] });
        }
    }
    for (let round = 0; round < ROUNDS; round++) {
      const order = contenders.map((_, i) => contenders[(i + round) % contenders.length]);
      for (const c of order) {
        const url = `http://127.0.0.1:${c.port}/`;
        await tools.wrk(wrk, url, { connections: CONN, seconds: 1 });
        const before = cpu(c.pids);
        const r = await tools.wrk(wrk, url, { connections: CONN, seconds: SECONDS });
        const us = ((cpu(c.pids) - before) * 1e6) / (r.rps * SECONDS);
        c.runs.push({ us, rps: r.rps });
        process.stdout.write(`round ${round + 1} ${c.key}: ${r.rps.toFixed(0)} rps, ${us.toFixed(0)} µs CPU/request${r.non2xx ? `, ${r.non2xx} non-2xx` : ''}\n`);
      }
    }
    const by = Object.fromEntries(contenders.map((c) => [c.key, c.runs]));
    process.stdout.write(`\nmedians of ${ROUNDS} rounds, wrk -c${CONN} -d${SECONDS}s (CPU of the primary and its workers):\n`);
    for (const c of contenders) process.stdout.write(`  ${c.key.padEnd(15)} ${median(c.runs.map((x) => x.us)).toFixed(0).padStart(5)} µs CPU/request ${median(c.runs.map((x) => x.rps)).toFixed(0).padStart(7)} rps\n`);
    const added = (a, b) => median(by[a].map((x, i) => x.us - by[b][i].us)).toFixed(0);
    for (const [build] of builds)
      for (const w of ['2', '1']) process.stdout.write(`${build} build, ARCHWAY_WORKERS=${w}: rate-limiting adds ${added(`${build} rl w${w}`, `${build} plain w${w}`)} µs CPU/request\n`);
  } finally {
    for (const ch of children.reverse()) {
      if (ch.exitCode !== null || ch.signalCode !== null) continue;
      const exited = new Promise((r) => ch.once('exit', r));
      ch.kill(ch.spawnargs[0].endsWith('nginx') ? 'SIGQUIT' : 'SIGTERM');
      await exited;
    }
    for (const c of contenders) rmSync(c.prefix, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
