'use strict';
// One child process of the bench's fleet (sync-fleet.js): it runs the data planes it is told to add,
// each a real SyncClient (its own gRPC stream) applying into a real ConfigStore with its own prefix,
// exactly as a single-process data plane does (main.ts): decode + check in the sync client, compile in
// time slices, swap, then ACK; the disk cache is written off the ACK's path, coalesced, as main.ts does. Apply times go to the parent as hrtime values
// (CLOCK_MONOTONIC, comparable across processes on one machine). BENCH_FLEET_ROOT: the built checkout
// whose dist the data planes run (default: this one), for a fleet of another build beside it.
const { randomUUID } = require('node:crypto');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { ROOT } = require('./lib');

const dist = (...p) => require(join(process.env.BENCH_FLEET_ROOT || ROOT, 'dist', ...p));
const { SyncClient } = dist('apps', 'data-plane', 'src', 'sync', 'sync-client.js');
const { ConfigStore } = dist('apps', 'data-plane', 'src', 'config-store.js');
const { createLogger } = dist('libs', 'telemetry', 'src', 'index.js');
const { ARCHWAY_VERSION } = dist('libs', 'config', 'src', 'index.js');

const quiet = createLogger({ level: 'error', bindings: { role: 'bench-fleet' } });
const members = new Map();
/** entity watches: key -> { collection ('routes', 'consumers', ...), by: 'id' | 'name', value } */
const watches = new Map();

const send = (msg) => process.connected && process.send(msg);

function has(member, w) {
  const rt = member.store.runtime;
  return rt !== null && (rt.config[w.collection] ?? []).some((e) => e[w.by] === w.value);
}

/** Reports every watch `member` now satisfies (each once per member). */
function check(member) {
  for (const [key, w] of watches) {
    if (member.reported.has(key) || !has(member, w)) continue;
    member.reported.add(key);
    send({ type: 'has', key, member: member.index, at: member.appliedAt.toString() });
  }
}

function add(address, index) {
  const prefix = mkdtempSync(join(tmpdir(), `archway-bench-fleet-${index}-`));
  const store = new ConfigStore({ prefix, logger: quiet, cacheDelayMs: 1000 });
  const member = { index, prefix, store, appliedAt: 0n, reported: new Set(), client: null };
  member.client = new SyncClient({
    controlPlanes: [address],
    node: { id: randomUUID(), hostname: `bench-${index}`, zone: 'default', version: ARCHWAY_VERSION, labels: {} },
    logger: quiet,
    // as main.ts wires it (builds before the store had a checker leave it to the sync client)
    checker: store.checker,
    current: () => store.current(),
    apply: async (snapshot) => {
      await store.apply(snapshot);
      member.appliedAt = process.hrtime.bigint(); // swapped in: what the ACK reports
      check(member);
    },
  });
  members.set(index, member);
  member.client.start();
}

async function remove(index) {
  const m = members.get(index);
  if (!m) return;
  members.delete(index);
  await m.client.stop();
  await m.store.close(0);
  rmSync(m.prefix, { recursive: true, force: true });
}

process.on('message', async (msg) => {
  switch (msg.type) {
    case 'add':
      return add(msg.address, msg.index);
    case 'remove':
      await remove(msg.index);
      return send({ type: 'removed', index: msg.index });
    case 'watch':
      watches.set(msg.key, { collection: msg.collection, by: msg.by, value: msg.value });
      for (const m of members.values()) check(m);
      return;
    case 'unwatch':
      watches.delete(msg.key);
      for (const m of members.values()) m.reported.delete(msg.key);
      return;
    case 'received': {
      const sum = { snapshots: 0, deltas: 0, snapshotBytes: 0, deltaBytes: 0 };
      for (const m of members.values()) for (const k of Object.keys(sum)) sum[k] += m.client.received[k];
      return send({ type: 'received', sum });
    }
    case 'flush-caches':
      await Promise.all([...members.values()].map((m) => m.store.flushCache()));
      return send({ type: 'caches-flushed' });
    case 'cache-file':
      await Promise.all([...members.values()].map((m) => m.store.flushCache()));
      return send({ type: 'cache-file', file: members.size ? join([...members.values()][0].prefix, 'dp-cache', 'snapshot.json') : null });
  }
});
process.on('disconnect', async () => {
  for (const index of [...members.keys()]) await remove(index);
  process.exit(0);
});
send({ type: 'ready' });
