'use strict';
// The sync bench's "proxy latency while big snapshots are applied", in a process of its own: the bench's
// heap holds a 10,000-route snapshot and more, and its garbage collections (on both cores) would show up
// as proxy latency. An open-loop load (`rate` requests/s over keep-alive, each on its own timer tick
// whatever the answers) runs `steadyMs` without config changes, then `writes` route additions through
// the Admin API, each polled on the proxy until served, `pauseMs` apart. With `controlPort` (a data
// plane serving the same config with no control plane: it applies nothing), each tick of the load
// sends it a request too (`rate` is per data plane): its latency in the same windows is what the
// machine alone does to a proxy while the control plane and the loaded data plane work on a write
// (deployed, the control plane has cores of its own; here they all share 2). Prints one JSON line:
// { samples: [[start ms, latency ms, status, 0 = data plane | 1 = control]], steady: [from, to],
//   windows: [[write's 201, served]] } (times in ms since the epoch, performance clock).
// Usage: node apply-latency.js '<JSON: admin, proxyPort, loadPath, loadHeaders, probeHeaders, writes, label, rate, steadyMs, pauseMs, controlPort?>'
const http = require('node:http');
const { performance } = require('node:perf_hooks');
const { call } = require('./lib');

const o = JSON.parse(process.argv[2]);
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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
  const ports = o.controlPort === undefined ? [o.proxyPort] : [o.proxyPort, o.controlPort];
  const send = (target) => {
    const t0 = now();
    const req = http.request({ host: '127.0.0.1', port: ports[target], path: o.loadPath, headers: o.loadHeaders, agent }, (res) => {
      res.resume();
      res.on('end', () => samples.push([t0, now() - t0, res.statusCode, target]));
    });
    req.on('error', () => samples.push([t0, now() - t0, 0, target]));
    req.end();
  };
  let tick = 0;
  const timer = setInterval(() => {
    // the two in turn first, so that neither is always the second to get its request
    const first = tick++ % ports.length;
    for (let k = 0; k < ports.length; k++) send((first + k) % ports.length);
  }, 1000 / o.rate);
  const windows = [];
  const start = now();
  try {
    await sleep(o.steadyMs);
    for (let i = 0; i < o.writes; i++) {
      const name = `w-${o.label}-${i}`;
      const res = await call('POST', `${o.admin}/services/bench/routes`, { name, paths: [`/${name}/`] });
      if (res.status !== 201) throw new Error(`write answered ${res.status}: ${res.body}`);
      const from = now();
      while ((await probe(`/${name}/`)).status !== 200) await sleep(2);
      windows.push([from, now()]);
      await sleep(o.pauseMs);
    }
  } finally {
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
