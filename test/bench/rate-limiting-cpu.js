'use strict';
// CPU per request of the rate-limiting plugin (local policy, one process) in-process: a PluginContext
// per request, access, then header_filter over a typical proxied response's headers, N times, read
// with process.cpuUsage. With a second directory, A/B interleaved against another build of the plugin
// (e.g. a copy of dist/libs/plugins/src/rate-limiting made before a change, placed beside it).
// Usage: npm run build && node test/bench/rate-limiting-cpu.js [baselineDir] [N] [rounds] [consumers]
//   env LIMIT (default 1e12, as in the proxy bench) and PERIODS (comma list, default hour)
const { join } = require('node:path');
const DIST = join(__dirname, '..', '..', 'dist', 'libs');
const { PluginContext } = require(join(DIST, 'pipeline', 'src', 'plugin-context.js'));

const [baseline, nArg, roundsArg, consumersArg] = process.argv.slice(2);
const N = Number(nArg ?? 300_000);
const ROUNDS = Number(roundsArg ?? 5);
const CONSUMERS = Number(consumersArg ?? 1);
const LIMIT = Number(process.env.LIMIT ?? 1e12);
const config = { limit_by: 'consumer', policy: 'local', fault_tolerant: true, hide_client_headers: false, error_code: 429, error_message: 'API rate limit exceeded', header_name: null, path: null, redis: {} };
for (const p of ['second', 'minute', 'hour', 'day', 'month', 'year']) config[p] = null;
for (const p of (process.env.PERIODS ?? 'hour').split(',')) config[p] = LIMIT;
const plugin = { id: 'p1', name: 'rate-limiting', route: { id: 'r1' }, service: null, config };
const consumers = Array.from({ length: CONSUMERS }, (_, i) => ({ id: `c0000000-0000-4000-8000-${String(i).padStart(12, '0')}`, username: `u${i}`, custom_id: null }));
const route = { id: 'r1' };
const service = { id: 's1' };
const logger = { debug() {}, info() {}, warn() {}, error() {} };

function build(dir) {
  const { createRateLimitingHandler } = require(join(dir, 'handler.js'));
  const { LocalCounters } = require(join(dir, 'policies', 'local.js'));
  const handler = createRateLimitingHandler({ counters: new LocalCounters() });
  return { dir, handler, state: handler.configure(config, { logger, node: null }, plugin) };
}

function run({ handler, state }, n) {
  let sink = 0;
  for (let i = 0; i < n; i++) {
    const ctx = new PluginContext({ requestId: 'id', method: 'GET', clientIp: '127.0.0.1', route, service, path: '/', query: '', headers: { host: 'h', apikey: 'k' }, startedAt: 0 });
    const c = consumers[i % CONSUMERS];
    ctx.authenticate(c, { id: c.id, identifier: 'k' });
    handler.access(ctx, state);
    ctx.status = 200;
    ctx.responseHeaders = { server: 'nginx', date: 'd', 'content-type': 'text/plain', 'content-length': '3', via: '1.1 archway', 'x-archway-upstream-latency': '1', 'x-archway-proxy-latency': '0', 'x-archway-request-id': 'id' };
    handler.headerFilter(ctx, state);
    sink += ctx.responseHeaders['RateLimit-Remaining'].length;
  }
  return sink;
}

const builds = [build(join(DIST, 'plugins', 'src', 'rate-limiting'))];
if (baseline) builds.unshift(build(baseline.includes('/') ? baseline : join(DIST, 'plugins', 'src', baseline)));
for (const b of builds) run(b, N); // warm-up
const ns = builds.map(() => []);
for (let r = 0; r < ROUNDS; r++)
  builds.forEach((b, k) => {
    const t = process.cpuUsage();
    run(b, N);
    const d = process.cpuUsage(t);
    ns[k].push(((d.user + d.system) * 1000) / N);
  });
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
builds.forEach((b, k) => console.log(`${b.dir}: ${median(ns[k]).toFixed(0)} ns/request (median of ${ROUNDS}; ${ns[k].map((x) => x.toFixed(0)).join(' ')})`));
if (builds.length === 2) console.log(`ratio (this build / baseline): ${(median(ns[1]) / median(ns[0])).toFixed(3)}`);
