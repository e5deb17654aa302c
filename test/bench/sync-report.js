'use strict';
// The sync benchmark's section of docs/benchmarks.md.
const { cpus, loadavg } = require('node:os');
const { summarize } = require('./lib');
const { APPLY_SLICE_MS } = require('./sync-measures');

const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const cell = (xs) => {
  const s = summarize(xs);
  return `${f1(s.p50)} | ${f1(s.p99)} | ${f1(s.min)}–${f1(s.max)}`;
};

function writesTable(phase, writes) {
  const rows = [
    '| data planes (N) | writes | measure (ms) | p50 | p99 | min–max |',
    '|---|---|---|---|---|---|',
  ];
  for (const r of phase.results) {
    rows.push(`| ${r.n} | ${writes} | Admin API write (until its 201) | ${cell(r.write)} |`);
    rows.push(`| | | 201 → first data plane ACKed | ${cell(r.first)} |`);
    rows.push(`| | | **201 → all ${r.n} ACKed** | ${cell(r.acked)} |`);
    rows.push(`| | | 201 → the real data plane serves it | ${cell(r.served)} |`);
    if (r.builds.length) rows.push(`| | | snapshot build on the control plane (build_ms) | ${cell(r.builds)} |`);
  }
  return `${rows.join('\n')}\n\n${wireTable(phase)}`;
}

/** Consumer writes at the large config: a consumer, then its key-auth key, each until every data plane ACKed it. */
function consumerWritesTable(phase) {
  const c = phase.consumerWrites;
  if (!c) return '';
  return `
Consumer writes, at the same config and N = ${c.n}: ${c.writes} consumers added one at a time (\`POST /consumers\`), each
then given a key (\`POST /consumers/{username}/key-auth\`); the real data plane is polled until the new key is let through.

| data planes (N) | writes | measure (ms) | p50 | p99 | min–max |
|---|---|---|---|---|---|
| ${c.n} | ${c.writes} | consumer: 201 → all ${c.n} ACKed | ${cell(c.consumer)} |
| | ${c.writes} | **key: 201 → all ${c.n} ACKed** | ${cell(c.key)} |
| | | key: 201 → the real data plane lets it through | ${cell(c.served)} |
`;
}

function burstsTable(phase) {
  const b = phase.bursts;
  if (!b) return '';
  const s = stepCells({ acked: b.rounds.map((r) => r.acked) });
  const per = (k) => b.rounds.map((r) => r[k]).join(', ');
  const mib = b.rounds.map((r) => ((r.snapshotBytes + r.deltaBytes) / 2 ** 20).toFixed(2)).join(', ');
  return `
Bursts, at the same config and N = ${b.n}: ${b.writes} route writes back to back (each sent once the one before is
answered, as a script would), ${b.rounds.length} times. The data planes are still applying one snapshot when the
next ones are published; each gets the newest as the delta from the config it serves (docs/sync-protocol.md, "Deltas").

| data planes (N) | bursts | measure | median | min–max |
|---|---|---|---|---|
| ${b.n} | ${b.rounds.length} | **last write's 201 → all ${b.n} ACKed (ms)** | ${s('acked')} |

Received by the ${b.n}, burst by burst: ${per('deltas')} deltas and ${per('snapshots')} whole snapshots (${mib} MiB).
`;
}

/** What the fleet received during the writes: deltas and whole snapshots, with their mean size. */
function wireTable(phase) {
  const rows = ['| data planes (N) | deltas received | mean delta bytes | whole snapshots received | mean snapshot bytes |', '|---|---|---|---|---|'];
  const mean = (bytes, n) => (n ? Math.round(bytes / n).toLocaleString('en') : '–');
  for (const r of phase.results) {
    const w = r.wire;
    if (!w) continue;
    rows.push(`| ${r.n} | ${w.deltas} | ${mean(w.deltaBytes, w.deltas)} | ${w.snapshots} | ${mean(w.snapshotBytes, w.snapshots)} |`);
  }
  return rows.join('\n');
}

function target(phase, n, limitMs) {
  const r = phase.results.find((x) => x.n === n);
  if (!r) return `N=${n} not measured`;
  const p99 = summarize(r.acked).p99;
  return `p99 ${f1(p99)} ms vs ≤ ${limitMs} ms: **${p99 <= limitMs ? 'met' : 'not met'}**`;
}

/** A table's "median | min–max" cells for the steps measured: (step name) => cells. */
function stepCells(steps) {
  return (k) => {
    const x = summarize(steps[k]);
    return `${f1(x.p50)} | ${f1(x.min)}–${f1(x.max)}`;
  };
}

function breakdownTable(b) {
  if (!b) return '(no snapshot captured)';
  const s = stepCells(b.steps);
  return [
    '| step (ms of CPU) | median | min–max |',
    '|---|---|---|',
    `| control plane: snapshot → SyncResponse bytes (once per snapshot, shared by all streams) | ${s('encode')} |`,
    `| data plane: bytes → snapshot (the sync client's decoder, entity by entity) | ${s('decode')} |`,
    `| data plane: canonical hash (once) | ${s('hash')} |`,
    `| data plane: validateConfig (once) | ${s('validate')} |`,
    `| data plane: compile the checked snapshot (router, plugin chains, pools; no hash, no validation) | ${s('compile')} |`,
    `| … of which: compileRouter | ${s('router')} |`,
    `| **data plane: all of it as it runs, in ${APPLY_SLICE_MS} ms slices on an idle event loop (wall time)** | ${s('sliced')} |`,
    `| … number of slices (event-loop turns in between) | ${s('slices')} |`,
    `| … longest slice | ${s('longest')} |`,
    `| not taken: a worker_thread handing the validated config to the proxy's thread (structured-clone receive, one block) | ${s('clone')} |`,
    `| not taken: a worker JSON-parsing the whole snapshot from one IPC message (one block; now parts of 500 entities) | ${s('parse')} |`,
  ].join('\n');
}

function deltaTable(b) {
  const d = b?.delta;
  if (!d) return '';
  const s = stepCells(d.steps);
  return `A one-route change to that config as a **delta**: **${d.bytes.toLocaleString('en')} bytes** on the wire (one SyncResponse).

| step (ms of CPU) | median | min–max |
|---|---|---|
| control plane: encode the delta (its incremental build's changes; once per snapshot, shared by all streams) | ${s('diff')} |
| data plane: decode the delta + check it (base, hash from the changed digests, the changed entities, their references and keys) | ${s('check')} |
| data plane: compile the new config from what the last compile kept (${d.reused.toLocaleString('en')} routes' matchers; router index ${d.incremental ? 'updated in the sections the new route is filed under' : 'rebuilt'}; ${d.indexesBuilt ? `${d.indexesBuilt} plugin indexes rebuilt` : "key-auth's key and consumer indexes kept"}; route metric series and https-only map changed for the new route) | ${s('compile')} |
| **data plane: all of it as it runs, in ${APPLY_SLICE_MS} ms slices on an idle event loop (wall time)** | ${s('sliced')} |
| … number of slices | ${s('slices')} |
| … longest slice | ${s('longest')} |`;
}

function wholeTable(b) {
  const w = b?.whole;
  if (!w) return '';
  const s = stepCells(w.steps);
  return `A one-route change to that config sent as the **whole snapshot** (what a data plane gets when the config it serves is older than the control plane keeps as delta bases, after a NACKed delta, or with \`ARCHWAY_CLUSTER_INCREMENTAL_SYNC=off\`): ${(w.bytes / 2 ** 20).toFixed(2)} MiB on the wire; ${w.asDeltas} of ${w.steps.check.length + w.steps.sliced.length} read as a delta against the config before.

| step (ms of CPU) | median | min–max |
|---|---|---|
| control plane: encode it, the unchanged entities' messages kept from the snapshot before (SnapshotEncoder; once per snapshot, shared by all streams) | ${s('encode')} |
| data plane: split it into its entities' bytes, decode only those whose bytes changed, and check the delta they make against the config before (whole-as-delta.ts) | ${s('check')} |
| data plane: compile the new config from what the last compile kept | ${s('compile')} |
| **data plane: all of it as it runs, in ${APPLY_SLICE_MS} ms slices on an idle event loop (wall time)** | ${s('sliced')} |
| … number of slices | ${s('slices')} |
| … longest slice | ${s('longest')} |`;
}

function render({ small, large, breakdown, during, duringWorkers, duringWhole, WRITES, LARGE_WRITES, procs, machine }) {
  const applyTotal = breakdown
    ? ['decode', 'hash', 'validate', 'compile'].reduce((sum, k) => sum + summarize(breakdown.steps[k]).p50, 0)
    : NaN;
  return `## Config propagation at scale (\`npm run bench sync\`)

Command: \`npm run bench sync\` (builds, then \`node --max-old-space-size=12288 test/bench/sync.js\`; env
BENCH_SYNC_WRITES=${WRITES} BENCH_SYNC_LARGE_WRITES=${LARGE_WRITES}${large.consumerWrites ? ` BENCH_SYNC_CONSUMER_WRITES=${large.consumerWrites.writes}` : ''}${large.bursts ? ` BENCH_SYNC_BURSTS=${large.bursts.rounds.length} BENCH_SYNC_BURST_WRITES=${large.bursts.writes}` : ''} BENCH_SYNC_APPLY_WRITES=${during.writes} BENCH_SYNC_APPLY_RATE=${during.rate}${duringWhole ? ` BENCH_SYNC_WHOLE_WRITES=${duringWhole.writes}` : ''}), ${new Date().toISOString().slice(0, 10)}.
Machine: ${machine}. Database: ${process.env.ARCHWAY_DATABASE_URL ? 'the server at ARCHWAY_DATABASE_URL' : 'embedded Postgres'}.
Load average when the run ended (1, 5, 15 min): ${loadavg().map((x) => x.toFixed(1)).join(', ')} on ${cpus().length} cores — other work
on the machine stretches every wall-clock figure below; CPU-bound rows stretch the most.

One control-plane process (default snapshot scheduling: a lone write builds at once), one real data-plane process
(\`ARCHWAY_WORKERS=1\`), and N = 1, 10, 50 data planes spread round-robin over ${procs} child processes of
the bench (\`test/bench/sync-fleet.js\`): each a real \`SyncClient\` on its own gRPC stream applying into
its own real \`ConfigStore\`, the full work of a single-process data plane (decode, hash and validation
once, compile in ${APPLY_SLICE_MS} ms slices, swap, then the ACK; the disk cache written a second later, coalesced: a
journal line for a delta). ACK times are taken in those
apply callbacks (hrtime, comparable across the processes), never by polling the Admin API; the 201 is
timed when the bench process sees it, which can be after a data plane's ACK (the control plane builds
and sends as it answers; a negative minimum below), so a figure from the 201 can read a few ms low. The config
is loaded in one \`POST /config\` (${small.routes} routes: ${(small.loadMs / 1000).toFixed(1)} s;
${large.routes.toLocaleString('en')} routes + ${large.consumers.toLocaleString('en')} consumers with key-auth credentials and a global key-auth
plugin: ${(large.loadMs / 1000).toFixed(1)} s); once every data plane serves it and has written its disk cache (a
whole snapshot each, once after the load), each write adds one route (\`POST /services/bench/routes\`), sequentially.
The real data plane is polled on its proxy port (every 2 ms) until it serves the new route.

**What the N = 10 and 50 rows measure:** N data planes applying on the **2 cores** of one machine that
also runs the control plane, Postgres and the real data plane. Each apply costs CPU (see the breakdown
below), so "all N ACKed" is bounded below by N × that CPU ÷ 2 cores, however the work is scheduled.
Separate data-plane machines apply in parallel: there "all N" is about the N = 1 figure plus the
control plane's fan-out (one encoding per snapshot, shared by all streams).${LARGE_WRITES < 100 ? ` The ${large.routes.toLocaleString('en')}-route rows use
${LARGE_WRITES} writes per N (not 100).` : ''}

### ${small.routes} routes
${writesTable(small, WRITES)}

### ${large.routes.toLocaleString('en')} routes + ${large.consumers.toLocaleString('en')} consumers with key-auth credentials
${writesTable(large, LARGE_WRITES)}
${consumerWritesTable(large)}${burstsTable(large)}

### Targets
- write → all 50 ACKed, ${small.routes} routes: ${target(small, 50, 100)}.
- write → all 50 ACKed, ${large.routes.toLocaleString('en')} routes: ${target(large, 50, 1000)}; for one data plane (N = 1): ${target(large, 1, 1000)}.

### One ${breakdown ? breakdown.routes.toLocaleString('en') : ''}-route snapshot: wire size and apply cost
Bytes on the wire (one encoded SyncResponse): **${breakdown ? (breakdown.bytes / 2 ** 20).toFixed(2) : 'n/a'} MiB** (${breakdown ? breakdown.bytes.toLocaleString('en') : ''} bytes; ${breakdown ? breakdown.consumers.toLocaleString('en') : ''} consumers).
Measured in the bench process, 3 rounds, each step alone, as CPU time (process.cpuUsage, user + system of
all its threads, garbage collection included: steadier than wall time on a busy machine; the rows marked
wall time are wall time). What a data plane runs before its ACK is
decode + hash + validation + compile ≈ **${f1(applyTotal)} ms** of CPU, once each; the data plane runs it in
slices of ${APPLY_SLICE_MS} ms with the event loop free in between (last three rows), so its proxy keeps answering.

${breakdownTable(breakdown)}

${deltaTable(breakdown)}

${wholeTable(breakdown)}

### Proxy latency while big snapshots are applied
A fixed ${during.rate} requests/s (open loop, keep-alive; load, writes and probes from a process of its own: \`test/bench/apply-latency.js\`) to the
real data plane holding the ${large.routes.toLocaleString('en')}-route config while ${during.writes} writes are made, each polled on the proxy until
served, ${during.pauseMs / 1000} s apart. Requests sent between a write's 201 and the moment the proxy serves the new route
count as "during an apply"; those sent outside every window and the ${during.settleMs / 1000} s after it (the data plane writes its disk cache a
second after an apply), from ${during.steadyMs / 1000} s before the first write on, as "steady": interleaved, so the machine's
other work weighs on both alike. First the single-process
data plane (\`ARCHWAY_WORKERS=1\`), then a fresh one with \`ARCHWAY_WORKERS=2\` (the primary decodes and
checks; each worker receives the snapshot in parts and only compiles)${duringWhole ? `, then a fresh single process
with \`ARCHWAY_CLUSTER_INCREMENTAL_SYNC=off\`: every change reaches it as the whole snapshot, read
against the config before by its entities' bytes (only the changed entities decoded, the difference
checked and compiled as a delta) in time slices beside the proxy (what a data plane does when the config
it serves is older than the control plane keeps as delta bases, and after a NACKed delta); ${duringWhole.writes} writes, ${duringWhole.pauseMs / 1000} s apart` : ''}.
${during.control ? `
The window also holds the control plane's work on the write (and its Postgres's), on the same 2 cores;
deployed, it runs on cores of its own. So each row has a **control**: a single-process data plane
serving the same config from its disk cache with no control plane (it applies nothing), sent a request
at every tick of the load as well (as many requests/s again). Its latency in the same windows is what
the machine alone does to a proxy meanwhile; the data plane's own share is its p99 during applies ÷
the control's p99 in the same windows.
` : ''}
| data plane | requests | n | p50 ms | p99 ms | max ms | apply window median (max) ms | not 200 |
|---|---|---|---|---|---|---|---|
${latencyRows('1 process', during)}
${duringWorkers ? latencyRows('2 workers', duringWorkers) : ''}
${duringWhole ? latencyRows('1 process, whole snapshots', duringWhole) : ''}

Target "no spike beyond 2× the steady p99": ${[['1 process', during], ['2 workers', duringWorkers], ['whole snapshots', duringWhole]]
    .filter(([, d]) => d)
    .map(([label, d]) => `${label} **${f1(d.during.p99 / d.steady.p99)}×** — **${d.during.p99 <= 2 * d.steady.p99 ? 'met' : 'not met'}**${d.control ? ` (the control, applying nothing: ${f1(d.control.during.p99 / d.control.steady.p99)}× its steady p99; the data plane's p99 ÷ the control's in the same windows: ${f1(d.during.p99 / d.control.during.p99)}×)` : ''}`)
    .join('; ')}.`;
}

function latencyRows(label, d) {
  const row = (first, what, x, window = '', failed = '') => `| ${first} | ${what} | ${x.n} | ${f1(x.p50)} | ${f1(x.p99)} | ${f1(x.max)} | ${window} | ${failed} |`;
  const failed = `${d.failed} of ${d.steady.n + d.during.n + d.after.n}${d.failedBy && Object.keys(d.failedBy).length ? ` (all targets: ${Object.entries(d.failedBy).map(([k, v]) => `${k === '0' ? 'connection error' : k}: ${v}`).join(', ')})` : ''}`;
  const rows = [
    row(label, 'steady (between applies)', d.steady, '', failed),
    row('', 'sent during an apply', d.during, `${f1(d.applyMs.p50)} (${f1(d.applyMs.max)})`),
    row('', `sent in the ${d.settleMs / 1000} s after an apply (disk cache written)`, d.after),
  ];
  if (d.control) rows.push(row('', 'control: steady', d.control.steady, '', String(d.control.failed)), row('', 'control: sent during an apply', d.control.during));
  return rows.join('\n');
}

module.exports = { render };
