'use strict';
// Two sync measurements beside write → ACK: what applying one big snapshot costs a data plane, step by
// step, with its size on the wire; and a real proxy's latency while big snapshots are being applied.
const { join } = require('node:path');
const { spawn } = require('node:child_process');
const { ROOT, summarize } = require('./lib');
const fx = require('./fixtures');
const { performance } = require('node:perf_hooks');
const { MessageChannel, receiveMessageOnPort } = require('node:worker_threads');
const { encodeResponse, decodeResponse, sync } = require('./wire');

const { decodeRawSyncResponse, snapshotFromBytesSteps } = sync;

const dist = (...p) => require(join(ROOT, 'dist', ...p));
/** the data plane's slice length (apps/data-plane/src/time-slices.ts) */
const { APPLY_SLICE_MS } = dist('apps', 'data-plane', 'src', 'time-slices.js');
const { compileRuntimeSteps, CompileCache } = dist('apps', 'data-plane', 'src', 'runtime-config.js');
const { checkSnapshotSteps, trustCheckedSnapshot, SnapshotChecker } = dist('apps', 'data-plane', 'src', 'snapshot-check.js');
const { compileRouter } = dist('libs', 'router', 'src', 'index.js');
const { ProxyMetrics } = dist('apps', 'data-plane', 'src', 'proxy-metrics.js');
const { pluginSchema } = dist('libs', 'plugins', 'src', 'index.js');
const { ConfigReceiver } = dist('apps', 'data-plane', 'src', 'sync', 'config-receiver.js');

const msSince = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
/** CPU time (user + system, ms) of this process since `c0` (process.cpuUsage()): steady where wall time is not on a busy machine */
const cpuSince = (c0) => {
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1000;
};

/** Runs `steps` in slices of `sliceMs` on this (otherwise idle) event loop: wall time, slices, longest slice. */
function inSlices(steps, sliceMs = APPLY_SLICE_MS) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let slices = 0;
    let longest = 0;
    const slice = () => {
      const start = performance.now();
      slices++;
      try {
        for (;;) {
          const r = steps.next();
          const now = performance.now();
          if (r.done || now - start >= sliceMs) {
            longest = Math.max(longest, now - start);
            if (r.done) return resolve({ wall: msSince(t0), slices, longest, value: r.value });
            break;
          }
        }
      } catch (err) {
        return reject(err);
      }
      setImmediate(slice);
    };
    slice();
  });
}

/**
 * What one data plane does with one big snapshot, step by step (each step alone, `rounds` times), then
 * the whole pipeline as the data plane runs it: decode + check + compile in the data plane's time slices. Bytes on the wire.
 */
async function applyBreakdown(snapshot, rounds) {
  if (!snapshot) return null;
  const steps = { encode: [], decode: [], hash: [], validate: [], router: [], compile: [], sliced: [], slices: [], longest: [], clone: [], parse: [] };
  let bytes = 0;
  for (let i = 0; i < rounds; i++) {
    let t = process.cpuUsage();
    const wire = encodeResponse(snapshot);
    steps.encode.push(cpuSince(t));
    bytes = wire.length;
    t = process.cpuUsage();
    const received = decodeResponse(wire);
    steps.decode.push(cpuSince(t));
    t = process.cpuUsage();
    fx.schema.configHash(received.config);
    steps.hash.push(cpuSince(t));
    t = process.cpuUsage();
    const config = fx.schema.validateConfig(received.config, pluginSchema);
    steps.validate.push(cpuSince(t));
    t = process.cpuUsage();
    compileRouter(config.routes, config.services);
    steps.router.push(cpuSince(t));
    t = process.cpuUsage();
    const rt = fx.schema.runSteps(compileRuntimeSteps(trustCheckedSnapshot({ version: received.version, hash: received.hash, config })));
    steps.compile.push(cpuSince(t));
    dispose(rt);
    // the alternatives, as blocks on the receiving thread: a worker_thread handing the validated config
    // back (structured clone; the compiled router and chains hold functions and cannot cross), and one
    // JSON.parse of the whole snapshot (a worker's IPC message, before snapshots went in parts)
    const { port1, port2 } = new MessageChannel();
    port1.postMessage(config);
    t = process.cpuUsage();
    receiveMessageOnPort(port2);
    steps.clone.push(cpuSince(t));
    port1.close();
    const text = JSON.stringify(received);
    t = process.cpuUsage();
    JSON.parse(text);
    steps.parse.push(cpuSince(t));
    const all = await inSlices(
      (function* () {
        const s = yield* snapshotFromBytesSteps(decodeRawSyncResponse(wire).snapshot);
        return yield* compileRuntimeSteps(yield* checkSnapshotSteps(s));
      })(),
    );
    steps.sliced.push(all.wall);
    steps.slices.push(all.slices);
    steps.longest.push(all.longest);
    dispose(all.value);
  }
  const delta = await deltaBreakdown(snapshot, rounds);
  const whole = await wholeBreakdown(snapshot, rounds);
  return { bytes, routes: snapshot.config.routes.length, consumers: snapshot.config.consumers.length, steps, delta, whole };
}

/**
 * A one-route change to the big config as a delta: the control plane's diff + encoding (once per
 * snapshot), and on the data plane decode + check of the delta, then the compile with the matchers of
 * the unchanged routes kept (what ConfigStore does), and all of it in the data plane's time slices.
 */
async function deltaBreakdown(snapshot, rounds) {
  const steps = { diff: [], check: [], compile: [], sliced: [], slices: [], longest: [] };
  const checker = new SnapshotChecker(pluginSchema);
  const base0 = fx.schema.runSteps(checker.checkSteps(decodeResponse(encodeResponse(snapshot))));
  const cache = new CompileCache();
  const metrics = new ProxyMetrics();
  dispose(fx.schema.runSteps(compileRuntimeSteps(base0, undefined, undefined, {}, undefined, metrics, cache)));
  const digests = new fx.schema.EntityDigests();
  const svc = base0.config.services[0];
  let bytes = 0;
  let reused = 0;
  let incremental = true;
  let indexesBuilt = 0;
  for (let i = 0; i < rounds; i++) {
    const base = checker.base;
    const added = fx.route(svc, { name: `delta-${i}`, paths: [`/delta-${i}/`] });
    const config = { ...base.config, routes: [...base.config.routes, added] };
    const next = { version: base.version + 1, hash: fx.schema.configHash(config), config };
    // the control plane's builder knows what it changed (its incremental build's changes): only encoded here
    const changes = { upserted: { ...fx.schema.emptyConfig(), routes: [added] }, removed: fx.schema.emptyRemoved() };
    let t = process.cpuUsage();
    const field = sync.encodeDeltaField({ baseVersion: base.version, baseHash: base.hash, version: next.version, hash: next.hash, ...changes });
    const wire = sync.encodeSyncResponse({ version_info: String(next.version), nonce: 'n', control_plane_version: '0' }, field);
    steps.diff.push(cpuSince(t));
    bytes = wire.length;
    const served = { version: base.version, hash: base.hash };
    t = process.cpuUsage();
    const checked = fx.schema.runSteps(
      (function* () {
        return yield* checker.checkDeltaSteps(yield* sync.deltaFromBytesSteps(decodeRawSyncResponse(wire).delta), served);
      })(),
    );
    steps.check.push(cpuSince(t));
    const built = cache.indexes.built;
    t = process.cpuUsage();
    const rt = fx.schema.runSteps(compileRuntimeSteps(checked, undefined, undefined, {}, undefined, metrics, cache));
    steps.compile.push(cpuSince(t));
    reused = cache.routes.reused;
    incremental &&= cache.routes.incremental;
    indexesBuilt += cache.indexes.built - built;
    dispose(rt);
    // the same once more as the data plane runs it (a fresh delta against the new base), in slices
    const base2 = checker.base;
    const config2 = { ...base2.config, routes: [...base2.config.routes, fx.route(svc, { name: `delta-s-${i}`, paths: [`/delta-s-${i}/`] })] };
    const hash2 = fx.schema.configHash(config2);
    const wire2 = sync.encodeSyncResponse(
      { version_info: String(base2.version + 1), nonce: 'n' },
      sync.encodeDeltaField({ baseVersion: base2.version, baseHash: base2.hash, version: base2.version + 1, hash: hash2, ...fx.schema.diffConfigs(base2.config, config2, digests) }),
    );
    const served2 = { version: base2.version, hash: base2.hash };
    const all = await inSlices(
      (function* () {
        const c = yield* checker.checkDeltaSteps(yield* sync.deltaFromBytesSteps(decodeRawSyncResponse(wire2).delta), served2);
        return yield* compileRuntimeSteps(c, undefined, undefined, {}, undefined, metrics, cache);
      })(),
    );
    steps.sliced.push(all.wall);
    steps.slices.push(all.slices);
    steps.longest.push(all.longest);
    dispose(all.value);
  }
  return { bytes, reused, incremental, indexesBuilt, steps };
}

/**
 * A one-route change to the big config sent as the **whole** snapshot (a data plane further behind than
 * the control plane's delta bases, a data plane without deltas): the control plane's encoding with the
 * unchanged entities' messages kept (SnapshotEncoder), and on the data plane the whole snapshot read
 * against the last config by its entities' bytes (ConfigReceiver: whole-as-delta.ts), then the compile,
 * and all of it in slices.
 */
async function wholeBreakdown(snapshot, rounds) {
  const steps = { encode: [], check: [], compile: [], sliced: [], slices: [], longest: [] };
  const encoder = new sync.SnapshotEncoder();
  const receiver = new ConfigReceiver(pluginSchema);
  const cache = new CompileCache();
  const metrics = new ProxyMetrics();
  const respond = (s, field) => decodeRawSyncResponse(sync.encodeSyncResponse({ version_info: String(s.version), nonce: 'n', control_plane_version: '0' }, field));
  let served = fx.schema.runSteps(receiver.receiveSteps(respond(snapshot, encoder.encodeField(snapshot)), () => null));
  dispose(fx.schema.runSteps(compileRuntimeSteps(served, undefined, undefined, {}, undefined, metrics, cache)));
  fx.schema.runSteps(receiver.prepareDeltaSteps()); // as the sync client does after a whole snapshot's ACK
  const svc = snapshot.config.services[0];
  let config = snapshot.config;
  const next = (name) => {
    config = { ...config, routes: [...config.routes, fx.route(svc, { name, paths: [`/${name}/`] })] };
    return { version: served.version + 1, hash: fx.schema.configHash(config), config };
  };
  const now = () => ({ version: served.version, hash: served.hash });
  let bytes = 0;
  for (let i = 0; i < rounds; i++) {
    const s1 = next(`whole-${i}`);
    let t = process.cpuUsage();
    const field = encoder.encodeField(s1);
    steps.encode.push(cpuSince(t));
    const response = respond(s1, field);
    bytes = response.snapshot.length;
    t = process.cpuUsage();
    const checked = fx.schema.runSteps(receiver.receiveSteps(response, now));
    steps.check.push(cpuSince(t));
    t = process.cpuUsage();
    const rt = fx.schema.runSteps(compileRuntimeSteps(checked, undefined, undefined, {}, undefined, metrics, cache));
    steps.compile.push(cpuSince(t));
    dispose(rt);
    served = checked;
    // once more as the data plane runs it, in slices
    const s2 = next(`whole-s-${i}`);
    const response2 = respond(s2, encoder.encodeField(s2));
    const all = await inSlices(
      (function* () {
        served = yield* receiver.receiveSteps(response2, now);
        return yield* compileRuntimeSteps(served, undefined, undefined, {}, undefined, metrics, cache);
      })(),
    );
    steps.sliced.push(all.wall);
    steps.slices.push(all.slices);
    steps.longest.push(all.longest);
    dispose(all.value);
  }
  return { bytes, asDeltas: receiver.received.snapshotsAsDeltas, steps };
}

function dispose(rt) {
  rt.chains.dispose(() => undefined);
  for (const u of rt.upstreams.values()) void u.pool?.close();
}

/**
 * A fixed-rate load (open loop, `rate` requests/s over keep-alive) on the real data plane while `writes`
 * route additions to the big config are made, `pauseMs` apart. Requests sent between a write's response
 * and the moment the proxy serves the new route count as "during an apply"; those sent outside every
 * such window and the `settleMs` after it (the data plane writes its disk cache a second after an
 * apply), from `steadyMs` before the first write on, as "steady": the two interleaved over the same
 * minute, so that the machine's other work weighs on both alike. Enough writes that the p99 of the
 * requests during applies is not merely the slowest of a few dozen. Load, writes and probes run in a
 * process of their own (apply-latency.js). With `ctx.controlPort` (a data plane on the same config that
 * applies nothing), each tick of the load sends it a request too: `control` holds its figures, the
 * machine's own share of the latency during a write.
 */
async function latencyDuringApply(ctx, writes, { rate = 200, steadyMs = 5000, pauseMs = 1500, settleMs = 1200, label = 'apply' } = {}) {
  const opts = { admin: ctx.admin, proxyPort: ctx.proxyPort, controlPort: ctx.controlPort, loadPath: ctx.loadPath, loadHeaders: ctx.loadHeaders, probeHeaders: ctx.probeHeaders, writes, label, rate, steadyMs, pauseMs };
  const child = spawn(process.execPath, [join(__dirname, 'apply-latency.js'), JSON.stringify(opts)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (c) => (out += c));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`apply-latency.js exited with ${code}`);
  const { samples, steady: [from], windows } = JSON.parse(out);
  const inWindow = (t) => windows.some(([a, b]) => t >= a && t <= b);
  const settling = (t) => windows.some(([a, b]) => t >= a && t <= b + settleMs);
  /** one target's requests: steady, during an apply, and in the settling time after one */
  const figures = (target) => {
    const mine = samples.filter((s) => s[3] === target);
    const ms = (keep) => mine.filter(([t0]) => keep(t0)).map(([, latency]) => latency);
    return {
      steady: summarize(ms((t) => t >= from && !settling(t))),
      during: summarize(ms(inWindow)),
      after: summarize(ms((t) => settling(t) && !inWindow(t))),
      failed: mine.filter(([, , status]) => status !== 200).length,
    };
  };
  const failedBy = {};
  for (const [, , status] of samples) if (status !== 200) failedBy[status] = (failedBy[status] ?? 0) + 1;
  return {
    rate,
    writes,
    steadyMs,
    pauseMs,
    settleMs,
    ...figures(0),
    control: ctx.controlPort === undefined ? null : figures(1),
    applyMs: summarize(windows.map(([a, b]) => b - a)),
    failedBy,
    total: samples.length,
  };
}

module.exports = { applyBreakdown, latencyDuringApply, APPLY_SLICE_MS };
