'use strict';
// Two sync measurements beside write → ACK: what applying one big snapshot costs a data plane, step by
// step, with its size on the wire; and a real proxy's latency while big snapshots are being applied.
const http = require('node:http');
const { join } = require('node:path');
const { ROOT, summarize, sleep } = require('./lib');
const fx = require('./fixtures');
const { encodeResponse, decodeResponse } = require('./wire');

const dist = (...p) => require(join(ROOT, 'dist', ...p));
const { compileRuntime } = dist('apps', 'data-plane', 'src', 'runtime-config.js');
const { compileRouter } = dist('libs', 'router', 'src', 'index.js');
const { pluginSchema } = dist('libs', 'plugins', 'src', 'index.js');

const msSince = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

/** Encode/decode/hash/validate/route-compile/compileRuntime of `snapshot`, `rounds` times; bytes on the wire. */
function applyBreakdown(snapshot, rounds) {
  if (!snapshot) return null;
  const steps = { encode: [], decode: [], hash: [], validate: [], router: [], compileRuntime: [] };
  let bytes = 0;
  for (let i = 0; i < rounds; i++) {
    let t = process.hrtime.bigint();
    const wire = encodeResponse(snapshot);
    steps.encode.push(msSince(t));
    bytes = wire.length;
    t = process.hrtime.bigint();
    const received = decodeResponse(wire);
    steps.decode.push(msSince(t));
    t = process.hrtime.bigint();
    fx.schema.configHash(received.config);
    steps.hash.push(msSince(t));
    t = process.hrtime.bigint();
    const config = fx.schema.validateConfig(received.config, pluginSchema);
    steps.validate.push(msSince(t));
    t = process.hrtime.bigint();
    compileRouter(config.routes, config.services);
    steps.router.push(msSince(t));
    t = process.hrtime.bigint();
    const rt = compileRuntime(received);
    steps.compileRuntime.push(msSince(t));
    rt.chains.dispose(() => undefined);
    for (const u of rt.upstreams.values()) void u.pool?.close();
  }
  return { bytes, routes: snapshot.config.routes.length, consumers: snapshot.config.consumers.length, steps };
}

/**
 * A fixed-rate load (open loop, `rate` requests/s over keep-alive) on the real data plane: `steadyMs`
 * without config changes, then `writes` route additions to the big config, each followed by a pause.
 * Requests sent between a write's response and the moment the proxy serves the new route count as
 * "during apply".
 */
async function latencyDuringApply(ctx, call, writes, { rate = 200, steadyMs = 5000, pauseMs = 1500 } = {}) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const samples = [];
  const send = () => {
    const t0 = process.hrtime.bigint();
    const req = http.request({ host: '127.0.0.1', port: ctx.proxyPort, path: ctx.loadPath, headers: ctx.loadHeaders, agent }, (res) => {
      res.resume();
      res.on('end', () => samples.push({ t0, ms: msSince(t0), status: res.statusCode }));
    });
    req.on('error', () => samples.push({ t0, ms: msSince(t0), status: 0 }));
    req.end();
  };
  const timer = setInterval(send, 1000 / rate);
  const windows = [];
  const start = process.hrtime.bigint();
  try {
    await sleep(steadyMs);
    for (let i = 0; i < writes; i++) {
      const name = `w-apply-${i}`;
      const res = await call('POST', `${ctx.admin}/services/bench/routes`, { name, paths: [`/${name}/`] });
      if (res.status !== 201) throw new Error(`write answered ${res.status}`);
      const from = process.hrtime.bigint();
      while ((await fx.get(ctx.proxyPort, `/${name}/`, ctx.probeHeaders)) !== 200) await sleep(2);
      windows.push([from, process.hrtime.bigint()]);
      await sleep(pauseMs);
    }
  } finally {
    clearInterval(timer);
    await sleep(1000);
    agent.destroy();
  }
  const steadyEnd = start + BigInt(steadyMs) * 1_000_000n;
  const inWindow = (t) => windows.some(([a, b]) => t >= a && t <= b);
  const steady = samples.filter((s) => s.t0 < steadyEnd).map((s) => s.ms);
  const during = samples.filter((s) => inWindow(s.t0)).map((s) => s.ms);
  const applyMs = windows.map(([a, b]) => Number(b - a) / 1e6);
  const failed = samples.filter((s) => s.status !== 200).length;
  return { rate, steady: summarize(steady), during: summarize(during), applyMs: summarize(applyMs), failed, total: samples.length };
}

module.exports = { applyBreakdown, latencyDuringApply };
