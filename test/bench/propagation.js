'use strict';
// Config propagation: from an Admin API write's response to the moment every data plane proxies the
// new route. Real processes over loopback: one control plane (embedded Postgres unless
// ARCHWAY_DATABASE_URL is set) and N data planes. Usage: node test/bench/propagation.js [writes] [dataPlanes]
const http = require('node:http');
const { rmSync } = require('node:fs');
const { freePort, tempPrefix, spawnRole, stopChild, startOkUpstream, waitFor, summarize, machine, writeSection } = require('./lib');

const WRITES = Number(process.argv[2] || 100);
const DATA_PLANES = Number(process.argv[3] || 2);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function request(method, url, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent, headers: body ? { 'content-type': 'application/x-www-form-urlencoded' } : {} }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function main() {
  const upstream = await startOkUpstream();
  const prefixes = [tempPrefix('cp')];
  const cpPorts = { admin: await freePort(), cluster: await freePort() };
  const admin = `http://127.0.0.1:${cpPorts.admin}`;
  const children = [
    spawnRole('control-plane', {
      ARCHWAY_ADMIN_LISTEN: `127.0.0.1:${cpPorts.admin}`,
      ARCHWAY_CLUSTER_LISTEN: `127.0.0.1:${cpPorts.cluster}`,
      ARCHWAY_PREFIX: prefixes[0],
    }),
  ];
  const proxies = [];
  try {
    await waitFor('the Admin API', async () => (await request('GET', admin + '/status')) === 200);
    for (let i = 0; i < DATA_PLANES; i++) {
      const proxyPort = await freePort();
      prefixes.push(tempPrefix(`dp${i}`));
      children.push(
        spawnRole('data-plane', {
          ARCHWAY_PROXY_LISTEN: `127.0.0.1:${proxyPort}`,
          ARCHWAY_PROXY_SSL_LISTEN: '127.0.0.1:0',
          ARCHWAY_STATUS_LISTEN: `127.0.0.1:${await freePort()}`,
          ARCHWAY_CLUSTER_CONTROL_PLANE: `127.0.0.1:${cpPorts.cluster}`,
          ARCHWAY_PREFIX: prefixes[prefixes.length - 1],
          ARCHWAY_ZONE: i % 2 ? 'b' : 'a',
        }),
      );
      proxies.push(`http://127.0.0.1:${proxyPort}`);
    }
    await request('POST', admin + '/services', `name=bench&url=http://127.0.0.1:${upstream.port}`);
    for (const p of proxies) await waitFor('data plane', async () => (await request('GET', p + '/nothing')) === 404);

    const writeMs = [];
    const serveMs = [];
    for (let i = 0; i < WRITES; i++) {
      const t0 = process.hrtime.bigint();
      const status = await request('POST', admin + '/services/bench/routes', `paths[]=/p${i}/`);
      const t1 = process.hrtime.bigint();
      if (status !== 201) throw new Error(`write ${i} answered ${status}`);
      // poll every data plane as fast as loopback allows until all serve the new path
      await Promise.all(proxies.map(async (p) => {
        while ((await request('GET', `${p}/p${i}/`)) !== 200);
      }));
      const t2 = process.hrtime.bigint();
      writeMs.push(Number(t1 - t0) / 1e6);
      serveMs.push(Number(t2 - t1) / 1e6);
    }
    const w = summarize(writeMs);
    const s = summarize(serveMs);
    const row = (name, x) => `| ${name} | ${x.p50.toFixed(1)} | ${x.p99.toFixed(1)} | ${x.min.toFixed(1)}–${x.max.toFixed(1)} | ${x.mean.toFixed(1)} |`;
    const table = [
      '| measure (ms) | p50 | p99 | min–max | mean |',
      '|---|---|---|---|---|',
      row('Admin API write (POST route, until its 201)', w),
      row(`write's 201 → all ${DATA_PLANES} data planes proxy the route`, s),
    ].join('\n');
    process.stdout.write(`\n${table}\n`);
    writeSection(
      'propagation',
      `## Config propagation: Admin API write → data planes serving it

Command: \`node test/bench/propagation.js ${WRITES} ${DATA_PLANES}\` (after \`npm run build\`), ${new Date().toISOString().slice(0, 10)}.
Machine: ${machine()}. Database: ${process.env.ARCHWAY_DATABASE_URL ? 'the server at ARCHWAY_DATABASE_URL' : 'embedded Postgres'}.
Real processes over loopback: one control plane, ${DATA_PLANES} data planes (zones a and b). Each of ${WRITES} sequential
writes adds a route; the clock stops when every data plane proxies it (polled back-to-back over keep-alive).
It includes the snapshot scheduling (a lone write builds at once; \`ARCHWAY_SNAPSHOT_DEBOUNCE_MS\`, default 5 ms, gathers bursts).

${table}`,
    );
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r() : c.once('exit', r)))));
    await stopChild(upstream.child);
    agent.destroy();
    for (const p of prefixes) rmSync(p, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack || err}\n`);
  process.exit(1);
});
