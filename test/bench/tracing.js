'use strict';
// What the opentelemetry plugin costs a proxied request: one single-process data plane per contender
// (no plugins; opentelemetry at sampling_rate 0, i.e. propagation only; opentelemetry sampling every
// request and exporting to a local OTLP sink; http-log batching to a local sink, for reference), all
// against the same nginx upstream and loaded by wrk over loopback. Rounds are interleaved (order
// rotated), every figure is a ratio or a difference against "no plugins" within the same round, and
// the data plane's own CPU time per request (utime + stime from /proc, less noisy than wall clock on a
// shared machine) is reported beside throughput. First, in this process, what the plugin's log phase
// and its batch encoding cost one request (building its two spans; serializing them, 200 a batch).
// Usage: node test/bench/tracing.js   (env: BENCH_ROUNDS=3 BENCH_SECONDS=10 BENCH_WARMUP=2)
const { once } = require('node:events');
const { rmSync } = require('node:fs');
const { loadavg } = require('node:os');
const { createServer } = require('node:http');
const { join } = require('node:path');
const { ROOT, tempPrefix, machine, writeSection, rounds, fmtRange, freePort, stopChild, cpuSeconds } = require('./lib');
const { requireTools, startNginx, wrk, wrkVersion } = require('./tools');
const fx = require('./fixtures');

const ROUNDS = Number(process.env.BENCH_ROUNDS || 3);
const SECONDS = Number(process.env.BENCH_SECONDS || 10);
const WARMUP = Number(process.env.BENCH_WARMUP || 2);
const LOAD = 50;
/** µs of CPU per request to build its spans, and to serialize them (batches of 200), over `n` requests. */
function inProcess(n) {
  const dist = (p) => require(join(ROOT, 'dist', 'libs', ...p.split('/')));
  const { requestSpans } = dist('plugins/src/opentelemetry/spans.js');
  const { newSpanId, newTraceId } = dist('plugins/src/opentelemetry/ids.js');
  const { PluginContext } = dist('pipeline/src/index.js');
  const { ProtobufTraceSerializer } = require('@opentelemetry/otlp-transformer');
  const { resourceFromAttributes } = require('@opentelemetry/resources');
  const resource = resourceFromAttributes({ 'service.name': 'kong', 'service.version': '0.1.0' });
  const route = { paths: ['/orders'] };
  const now = performance.timeOrigin + performance.now();
  const contexts = [];
  for (let i = 0; i < n; i++) {
    const ctx = new PluginContext({ requestId: 'f3a1c2d4e5b60718', method: 'GET', clientIp: '127.0.0.1', route, service: null, path: '/orders/7', query: 'x=1', headers: { host: 'api.example.com:8000' }, startedAt: performance.now() - 1 });
    ctx.status = 200;
    ctx.requestUri = '/orders/7?x=1';
    ctx.tries = [{ ip: '10.0.0.5', port: 8080, balancer_start: Math.round(now), balancer_start_ns: Math.round(now * 1e6), balancer_latency: 0, balancer_latency_ns: 2000 }];
    contexts.push(ctx);
  }
  const spans = [];
  const t0 = process.cpuUsage();
  for (const ctx of contexts) {
    const trace = { traceId: newTraceId(), rootSpanId: newSpanId(), parentSpanId: null, balancerSpanId: newSpanId(), sampled: true };
    for (const span of requestSpans(ctx, trace, resource, performance.now())) spans.push(span);
  }
  const t1 = process.cpuUsage(t0);
  for (let i = 0; i < spans.length; i += 200) ProtobufTraceSerializer.serializeRequest(spans.slice(i, i + 200));
  const t2 = process.cpuUsage(t0);
  const build = t1.user + t1.system;
  return { build: build / n, serialize: (t2.user + t2.system - build) / n };
}

/** A collector that reads and discards what it is sent, counting OTLP exports (requests, bytes). */
async function startSink() {
  const seen = { requests: 0, bytes: 0 };
  const server = createServer((req, res) => {
    const otlp = req.url === '/v1/traces';
    req.on('data', (c) => {
      if (otlp) seen.bytes += c.length;
    });
    req.on('end', () => {
      if (otlp) seen.requests++;
      res.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { seen, port: server.address().port, close: () => new Promise((r) => server.close(r)) };
}

async function main() {
  const tools = requireTools();
  const loadBefore = loadavg()[0];
  const micro = [];
  for (let round = 0; round < ROUNDS; round++) {
    micro.push(inProcess(100_000));
    process.stdout.write(`in process, round ${round + 1}: build ${micro[round].build.toFixed(2)} µs, serialize ${micro[round].serialize.toFixed(2)} µs per request\n`);
  }
  const dir = tempPrefix('bench-tracing');
  const sink = await startSink();
  const children = [];
  const dps = [];
  try {
    const upstreamPort = await freePort();
    children.push(await startNginx(tools.nginx, 'nginx-upstream.conf', { PORT: upstreamPort, DIR: dir }, dir));
    const svc = fx.service({ name: 'bench', host: '127.0.0.1', port: upstreamPort });
    const r = fx.route(svc, { name: 'root', paths: ['/'] });
    const otlp = `http://127.0.0.1:${sink.port}/v1/traces`;
    const scenarios = [
      { key: 'none', label: 'no plugins', plugins: [] },
      { key: 'propagate', label: 'opentelemetry, sampling_rate 0 (propagation only)', plugins: [{ name: 'opentelemetry', config: { traces_endpoint: otlp, sampling_rate: 0 } }] },
      { key: 'traced', label: 'opentelemetry, every request sampled and exported', plugins: [{ name: 'opentelemetry', config: { traces_endpoint: otlp, sampling_rate: 1 } }] },
      { key: 'httplog', label: 'http-log, batches of 200 (reference)', plugins: [{ name: 'http-log', config: { http_endpoint: `http://127.0.0.1:${sink.port}/logs`, queue: { max_batch_size: 200 } } }] },
    ];
    for (const s of scenarios) {
      const plugins = s.plugins.map((p) => fx.plugin({ ...p, route: { id: r.id } }));
      const dp = await fx.startCachedDataPlane(fx.snapshotOf(1, { services: [svc], routes: [r], plugins }), { path: '/' });
      dps.push(dp);
      s.dp = dp;
    }
    const results = Object.fromEntries(scenarios.map((s) => [s.key, []]));
    for (let round = 0; round < ROUNDS; round++) {
      const order = scenarios.map((_, i) => scenarios[(i + round) % scenarios.length]);
      for (const s of order) {
        const url = `http://127.0.0.1:${s.dp.port}/`;
        await wrk(tools.wrk, url, { connections: LOAD, seconds: WARMUP });
        const cpu0 = cpuSeconds(s.dp.child.pid);
        const rep = await wrk(tools.wrk, url, { connections: LOAD, seconds: SECONDS });
        const cpuUsPerReq = ((cpuSeconds(s.dp.child.pid) - cpu0) * 1e6) / (rep.rps * SECONDS);
        results[s.key].push({ ...rep, cpuUsPerReq });
        process.stdout.write(`round ${round + 1} ${s.label}: ${rep.rps.toFixed(0)} rps, p99 ${(rep.p99 * 1000).toFixed(0)} µs, ${cpuUsPerReq.toFixed(1)} µs CPU/request${rep.non2xx || rep.socketErrors ? `, ${rep.non2xx} non-2xx, ${rep.socketErrors} socket errors` : ''}\n`);
      }
    }
    const base = results.none;
    const rows = ['| contender | rps | × no plugins (rps) | p99 ms | CPU µs / request | added CPU µs / request |', '|---|---|---|---|---|---|'];
    for (const s of scenarios) {
      const xs = results[s.key];
      rows.push(
        `| ${s.label} | ${fmtRange(rounds(xs.map((x) => x.rps)), 0)} | ${fmtRange(rounds(xs.map((x, i) => x.rps / base[i].rps)))} | ${fmtRange(rounds(xs.map((x) => x.p99)))} | ${fmtRange(rounds(xs.map((x) => x.cpuUsPerReq)), 1)} | ${fmtRange(rounds(xs.map((x, i) => x.cpuUsPerReq - base[i].cpuUsPerReq)), 1)} |`,
      );
    }
    const table = rows.join('\n');
    const md = `## Tracing: what the opentelemetry plugin costs a request

\`npm run bench tracing\` — ${new Date().toISOString().slice(0, 10)}, ${machine()}, ${wrkVersion(tools.wrk)}. One single-process
data plane per contender against the same nginx upstream, wrk -t1 -c${LOAD} for ${SECONDS} s (after ${WARMUP} s of warm-up),
${ROUNDS} interleaved rounds, median (min–max). CPU is the data plane's utime + stime over the run divided by the
requests served; "added" is the difference from "no plugins" in the same round. The OTLP sink on loopback
received ${sink.seen.requests} export requests, ${(sink.seen.bytes / sink.seen.requests / 1024).toFixed(0)} KiB each on average, over the whole run (warm-ups included).
Load average (1 min) ${loadBefore.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end: on a machine shared with other work, read the
CPU per request rather than throughput.

${table}

In process (100,000 requests a round, process.cpuUsage): building a request's two spans in the log phase
${fmtRange(rounds(micro.map((m) => m.build)))} µs; serializing them to OTLP protobuf, 200 spans a batch,
${fmtRange(rounds(micro.map((m) => m.serialize)))} µs per request.`;
    process.stdout.write(`\n${table}\n`);
    writeSection('tracing', md);
  } finally {
    for (const dp of dps) {
      await stopChild(dp.child);
      rmSync(dp.prefix, { recursive: true, force: true });
    }
    for (const c of children.reverse()) await stopChild(c);
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
