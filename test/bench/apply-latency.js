'use strict';
// The sync bench's "proxy latency while big snapshots are applied", in a process of its own: the bench's
// heap holds a 10,000-route snapshot and more, and its garbage collections (on both cores) would show up
// as proxy latency. An open-loop load (`rate` requests/s over keep-alive, each on its own timer tick
// whatever the answers) runs `steadyMs` without config changes, then `writes` route additions through
// the Admin API, each polled on the proxy until served, `pauseMs` apart. With `cp` ({ pid, nice }),
// every other write is made with the control plane and the processes below it (the embedded Postgres)
// at that nice value, put back to 0 once the write is served: the two halves tell how much of the
// latency during an apply is the control plane's own work on the shared cores. Prints one JSON line:
// { samples: [[start ms, latency ms, status]], steady: [from, to], windows: [[write's 201, served, niced]] }
// (times in ms since the epoch, performance clock).
// Usage: node apply-latency.js '<JSON: admin, proxyPort, loadPath, loadHeaders, probeHeaders, writes, label, rate, steadyMs, pauseMs, cp?>'
const http = require('node:http');
const { readdir, readFile } = require('node:fs/promises');
const { setPriority } = require('node:os');
const { performance } = require('node:perf_hooks');
const { call, parseProcStat } = require('./lib');

const o = JSON.parse(process.argv[2]);
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * `pid` and every process below it (from /proc: Linux). Read asynchronously: a synchronous walk of /proc
 * blocks this process's event loop for milliseconds, which would show as latency of the requests in flight.
 */
async function processTree(pid) {
  const children = new Map();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try {
      stat = await readFile(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const { ppid } = parseProcStat(stat);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(name));
  }
  const tree = [];
  for (const queue = [pid]; queue.length > 0; ) {
    const p = queue.pop();
    tree.push(p);
    queue.push(...(children.get(p) ?? []));
  }
  return tree;
}

function renice(pids, nice) {
  for (const p of pids) {
    try {
      setPriority(p, nice);
    } catch {
      // exited meanwhile
    }
  }
}

async function main() {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  // the probes every 2 ms reuse a connection: a new one per probe would load the data plane during the windows
  const probeAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const probe = (path) =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: o.proxyPort, path, headers: o.probeHeaders, agent: probeAgent }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode }));
      });
      req.on('error', reject);
      req.end();
    });
  const samples = [];
  const timer = setInterval(() => {
    const t0 = now();
    const req = http.request({ host: '127.0.0.1', port: o.proxyPort, path: o.loadPath, headers: o.loadHeaders, agent }, (res) => {
      res.resume();
      res.on('end', () => samples.push([t0, now() - t0, res.statusCode]));
    });
    req.on('error', () => samples.push([t0, now() - t0, 0]));
    req.end();
  }, 1000 / o.rate);
  const windows = [];
  const start = now();
  try {
    await sleep(o.steadyMs);
    for (let i = 0; i < o.writes; i++) {
      const niced = o.cp !== undefined && i % 2 === 1;
      // the same processes are put back once the write is served (a few setpriority calls, no walk in the window's tail)
      const cpTree = niced ? await processTree(o.cp.pid) : [];
      renice(cpTree, o.cp?.nice);
      const name = `w-${o.label}-${i}`;
      const res = await call('POST', `${o.admin}/services/bench/routes`, { name, paths: [`/${name}/`] });
      if (res.status !== 201) throw new Error(`write answered ${res.status}: ${res.body}`);
      const from = now();
      while ((await probe(`/${name}/`)).status !== 200) await sleep(2);
      windows.push([from, now(), niced]);
      renice(cpTree, 0);
      await sleep(o.pauseMs);
    }
  } finally {
    if (o.cp !== undefined) renice(await processTree(o.cp.pid), 0);
    clearInterval(timer);
    await sleep(1000); // answers to the last requests sent
    agent.destroy();
    probeAgent.destroy();
  }
  return `${JSON.stringify({ samples, steady: [start, start + o.steadyMs], windows })}\n`;
}

main().then(
  // a pipe is written asynchronously: exit once all of it is out
  (text) => process.stdout.write(text, () => process.exit(0)),
  (err) => {
    process.stderr.write(`${err.stack || err}\n`);
    process.exit(1);
  },
);
