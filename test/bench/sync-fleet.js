'use strict';
// N data planes spread over a few child processes (sync-fleet-member.js): each a real SyncClient on its
// own gRPC stream applying into a real ConfigStore, the full work of a single-process data plane
// (decode, hash + validation once, compile in time slices, swap, disk cache, ACK). Spreading them over
// processes lets the machine's cores apply in parallel, as separate data planes would; on a 2-core
// machine N applies still share two cores, which the report says. The parent learns apply times
// (hrtime, comparable across processes) by watching for an entity (a route, a credential). `root`: the
// built checkout the members run (default: this one), to run two builds' fleets side by side.
const { fork } = require('node:child_process');
const { join } = require('node:path');
const { call } = require('./lib');

const PROCS = Number(process.env.BENCH_SYNC_PROCS || 4);

class Fleet {
  constructor(address, procs = PROCS, root = undefined) {
    this.address = address;
    this.procs = procs;
    this.root = root;
    this.children = [];
    this.size = 0;
    this.nextKey = 0;
    this.waiters = new Map(); // key -> { pending: Set<member>, times: Map<member, bigint>, resolve }
    this.removed = new Map();
  }

  async #start() {
    if (this.children.length) return;
    for (let i = 0; i < this.procs; i++) {
      const env = this.root ? { ...process.env, BENCH_FLEET_ROOT: this.root } : process.env;
      const child = fork(join(__dirname, 'sync-fleet-member.js'), [], { env, execArgv: ['--max-old-space-size=8192'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      child.on('message', (msg) => this.#onMessage(msg));
      await new Promise((resolve) => child.once('message', resolve)); // ready
      this.children.push(child);
    }
  }

  #childOf(index) {
    return this.children[index % this.children.length];
  }

  #onMessage(msg) {
    if (msg.type === 'has') {
      const w = this.waiters.get(msg.key);
      if (!w || !w.pending.has(msg.member)) return;
      w.pending.delete(msg.member);
      w.times.set(msg.member, BigInt(msg.at));
      if (w.pending.size === 0) w.resolve([...w.times.values()]);
    } else if (msg.type === 'removed') this.removed.get(msg.index)?.();
    else if (msg.type === 'cache-file') this.cacheFileAnswer?.(msg.file);
    else if (msg.type === 'received') this.receivedAnswers?.push(msg.sum);
    else if (msg.type === 'caches-flushed') this.flushedAnswers++;
  }

  /** Adds data planes until there are `n` (members i go to child i mod procs). */
  async grow(n) {
    await this.#start();
    while (this.size < n) {
      this.#childOf(this.size).send({ type: 'add', address: this.address, index: this.size });
      this.size++;
    }
  }

  async shrink(n) {
    while (this.size > n) {
      const index = --this.size;
      const done = new Promise((r) => this.removed.set(index, r));
      this.#childOf(index).send({ type: 'remove', index });
      await done;
      this.removed.delete(index);
    }
  }

  /** Resolves with every member's apply time (hrtime bigint) of the first snapshot holding the entity. */
  #watch(collection, by, value) {
    const key = ++this.nextKey;
    const members = Array.from({ length: this.size }, (_, i) => i);
    const times = new Promise((resolve) => this.waiters.set(key, { pending: new Set(members), times: new Map(), resolve }));
    for (const c of this.children) c.send({ type: 'watch', key, collection, by, value });
    return times.then((t) => {
      this.waiters.delete(key);
      for (const c of this.children) c.send({ type: 'unwatch', key });
      return t;
    });
  }

  /** Every member's apply time of the first snapshot that holds route `routeId`. */
  waitRoute(routeId) {
    return this.#watch('routes', 'id', routeId);
  }

  /** Every member's apply time of the first snapshot that holds entity `id` of `collection` ('consumers', 'keyauth_credentials', ...). */
  waitEntity(collection, id) {
    return this.#watch(collection, 'id', id);
  }

  /** Resolves once every member serves a config holding a route named `name`. */
  waitRouteName(name) {
    return this.#watch('routes', 'name', name);
  }

  /** What every member received so far, summed: { snapshots, deltas, snapshotBytes, deltaBytes }. */
  async received() {
    const sum = { snapshots: 0, deltas: 0, snapshotBytes: 0, deltaBytes: 0 };
    if (!this.children.length) return sum;
    this.receivedAnswers = [];
    for (const c of this.children) c.send({ type: 'received' });
    while (this.receivedAnswers.length < this.children.length) await new Promise((r) => setTimeout(r, 5));
    for (const part of this.receivedAnswers) for (const k of Object.keys(sum)) sum[k] += part[k];
    return sum;
  }

  /** Resolves once every member's disk cache holds the config it serves (no write left pending). */
  async flushCaches() {
    this.flushedAnswers = 0;
    for (const c of this.children) c.send({ type: 'flush-caches' });
    while (this.flushedAnswers < this.children.length) await new Promise((r) => setTimeout(r, 5));
  }

  /** The disk cache of one member: the last snapshot it applied, as a file. */
  cacheFile() {
    if (!this.children.length) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.cacheFileAnswer = resolve;
      this.children[0].send({ type: 'cache-file' });
    });
  }

  async close() {
    await this.shrink(0);
    for (const c of this.children) c.disconnect();
    this.children = [];
  }
}

/**
 * POSTs `body` to the Admin API at `url` (it must answer 201 with the entity), then waits until every
 * member of each of `fleets` applied a snapshot holding that entity of `collection`. Returns the 201's
 * time (hrtime) and, per fleet, ms from it to its slowest member's apply.
 */
async function writeAndWait(url, body, collection, fleets) {
  const res = await call('POST', url, body);
  const t1 = process.hrtime.bigint();
  if (res.status !== 201) throw new Error(`POST ${url} answered ${res.status}: ${res.body}`);
  const id = JSON.parse(res.body).id;
  const acks = await Promise.all(fleets.map((fleet) => fleet.waitEntity(collection, id)));
  return { t1, acked: acks.map((times) => Math.max(...times.map((t) => Number(t - t1) / 1e6))) };
}

/** What the fleet received between two of its received() sums. */
function receivedBetween(before, after) {
  return Object.fromEntries(Object.keys(after).map((k) => [k, after[k] - before[k]]));
}

/**
 * Adds a route per name to the service `bench` through the Admin API at `admin`, back to back (each sent
 * once the one before is answered, as a script does), then waits until every member of `fleet` applied a
 * config holding the last. Returns ms from the last write's 201 to the slowest member's apply, and what
 * the fleet received meanwhile (received()'s fields).
 */
async function routeWrites(admin, fleet, names) {
  const before = await fleet.received();
  let last = null;
  for (const name of names) {
    const res = await call('POST', `${admin}/services/bench/routes`, { name, paths: [`/${name}/`] });
    if (res.status !== 201) throw new Error(`POST /routes answered ${res.status}: ${res.body}`);
    last = { id: JSON.parse(res.body).id, t1: process.hrtime.bigint() };
  }
  const times = await fleet.waitRoute(last.id);
  const got = receivedBetween(before, await fleet.received());
  return { acked: Math.max(...times.map((t) => Number(t - last.t1) / 1e6)), got };
}

module.exports = { Fleet, writeAndWait, receivedBetween, routeWrites };
