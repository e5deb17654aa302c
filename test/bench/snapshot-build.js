'use strict';
// `npm run bench snapshot`: what the control plane spends building the snapshot after a one-row write,
// in this process against a real Postgres (ARCHWAY_DATABASE_URL's server, else an embedded one):
// the builder before incremental builds (every row read, validated again only when changed, checks
// and hash over the whole set), today's full build, and today's incremental build. Interleaved
// rounds; wall time and this process's CPU time per build.
const { join } = require('node:path');
const { rmSync } = require('node:fs');
const { ROOT, machine, rounds, fmtRange, writeSection, tempPrefix } = require('./lib');
const fx = require('./fixtures');

const dist = (p) => require(join(ROOT, 'dist', p));
const schema = dist('libs/schema/src/index.js');
const { pluginSchema } = dist('libs/plugins/src/index.js');
const { silentLogger } = dist('libs/telemetry/src/index.js');
const { openDatabase } = dist('apps/control-plane/src/store/database.js');
const { EntityStore } = dist('apps/control-plane/src/store/entity-store.js');
const { tableSpec } = dist('apps/control-plane/src/store/table-spec.js');
const { SnapshotBuilder } = dist('apps/control-plane/src/snapshots/build-snapshot.js');
const { startEmbeddedPostgres } = dist('apps/control-plane/src/store/embedded-postgres.js');
const { Client } = require(join(ROOT, 'node_modules', 'pg'));

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const LARGE = Number(process.env.BENCH_ROUTES ?? 10000);

/** The builder as it was before incremental builds (apps/control-plane/src/snapshots/build-snapshot.ts at 75efb1c). */
class PreviousBuilder {
  #validated = new Map();
  constructor(store) {
    this.store = store;
  }
  async build() {
    const { version, entities, revisions } = await this.store.readConfig();
    const revOf = new Map();
    for (const [kind, list] of Object.entries(entities)) list.forEach((e, i) => revOf.set(e, revisions[kind][i]));
    const next = new Map();
    const memo = {
      known: (kind, raw) => {
        const key = `${kind}:${String(raw.id)}`;
        const before = this.#validated.get(key);
        if (before === undefined || before.rev !== revOf.get(raw)) return undefined;
        next.set(key, before);
        return before.entity;
      },
      validated: (kind, raw, entity) => {
        const rev = revOf.get(raw);
        if (rev !== undefined) next.set(`${kind}:${entity.id}`, { rev, entity });
      },
    };
    const config = schema.validateConfig(entities, pluginSchema, memo);
    this.#validated = next;
    return schema.makeSnapshot(version, config);
  }
}

/** A fresh database: a new one on the server at ARCHWAY_DATABASE_URL, else an embedded Postgres. */
async function freshDatabase() {
  const server = process.env.ARCHWAY_DATABASE_URL;
  if (server) {
    const name = `archway_bench_${process.pid}_${Date.now()}`;
    const admin = new Client({ connectionString: server });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(server);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      drop: async () => {
        const c = new Client({ connectionString: server });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.end();
      },
    };
  }
  const prefix = tempPrefix('snapshot-db');
  const pg = await startEmbeddedPostgres({ prefix, logger: silentLogger });
  return {
    url: pg.url,
    drop: async () => {
      await pg.stop();
      rmSync(prefix, { recursive: true, force: true });
    },
  };
}

function configOf(routes, consumers) {
  const svc = fx.service({ name: 'bench' });
  const { routes: rs } = fx.mixedRoutes(svc, routes);
  const parts = { services: [svc], routes: rs };
  if (consumers) {
    Object.assign(parts, fx.consumersWithKeys(consumers));
    parts.plugins = [schema.validatePlugin({ name: 'key-auth' }, 'create', pluginSchema)];
  }
  return parts;
}

async function load(store, parts) {
  await store.write(async (tx) => {
    for (const kind of schema.CONFIG_COLLECTIONS) for (const e of parts[kind] ?? []) await tx.insert(kind, e);
    return { result: undefined, changed: true };
  });
}

/** Wall ms and this process's CPU ms of `fn`. */
async function timed(fn) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const out = await fn();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { wall, cpu: (cpu.user + cpu.system) / 1000, out };
}

async function measure(label, routes, consumers) {
  const testDb = await freshDatabase();
  const db = await openDatabase({ databaseUrl: testDb.url, prefix: '/tmp' }, silentLogger, { migrate: true });
  try {
    const store = new EntityStore(db.ds, new Map(schema.ENTITY_SCHEMAS.map((s) => [s.name, tableSpec(s)])));
    const parts = configOf(routes, consumers);
    const t0 = Date.now();
    await load(store, parts);
    process.stdout.write(`${label}: loaded in ${Date.now() - t0} ms\n`);
    const previous = new PreviousBuilder(store);
    const current = new SnapshotBuilder(store);
    await previous.build();
    await current.build();
    let n = 0;
    /** one write of one row: a route's paths change */
    const writeOne = () => {
      const route = parts.routes[n++ % parts.routes.length];
      return store.write(async (tx) => {
        await tx.update('routes', { ...route, paths: [`/changed/${n}`], updated_at: route.updated_at + n });
        return { result: undefined, changed: true };
      });
    };
    const runs = {
      before: async () => (await timed(() => previous.build())),
      full: async () => {
        current.requestFullBuild('bench');
        return timed(() => current.build());
      },
      incremental: async () => {
        const r = await timed(() => current.build());
        if (current.lastBuild.mode !== 'incremental') throw new Error(`expected an incremental build, got ${JSON.stringify(current.lastBuild)}`);
        return r;
      },
      readConfig: async () => timed(() => store.readConfig()),
    };
    const names = ['before', 'full', 'incremental'];
    const results = Object.fromEntries([...names, 'readConfig', 'hashAll', 'changedSince', 'hashMemo'].map((k) => [k, { wall: [], cpu: [] }]));
    const memo = new schema.EntityDigests();
    const hashes = new Set();
    for (let r = 0; r < ROUNDS; r++) {
      const order = names.map((_, i) => names[(i + r) % names.length]);
      for (const name of order) {
        await writeOne();
        // the other builders catch up untimed, so each timed build follows exactly one write
        const m = await runs[name]();
        if (name !== 'before') await previous.build();
        if (name === 'before') await current.build();
        results[name].wall.push(m.wall);
        results[name].cpu.push(m.cpu);
        hashes.add(`${m.out.version}:${m.out.hash}`);
      }
      const rc = await runs.readConfig();
      results.readConfig.wall.push(rc.wall);
      results.readConfig.cpu.push(rc.cpu);
      const snap = await previous.build();
      const h = await timed(() => schema.configHash(snap.config));
      results.hashAll.wall.push(h.wall);
      results.hashAll.cpu.push(h.cpu);
      const cs = await timed(() => store.changedSince(snap.version - 1));
      results.changedSince.wall.push(cs.wall);
      results.changedSince.cpu.push(cs.cpu);
      schema.configHash(snap.config, memo);
      const hm = await timed(() => schema.configHash(snap.config, memo));
      results.hashMemo.wall.push(hm.wall);
      results.hashMemo.cpu.push(hm.cpu);
    }
    // the same version always had the same hash, whichever builder built it
    const byVersion = new Map();
    for (const vh of hashes) {
      const [v, h] = vh.split(':');
      if (byVersion.has(v) && byVersion.get(v) !== h) throw new Error(`version ${v} hashed two ways`);
      byVersion.set(v, h);
    }
    const entities = schema.CONFIG_COLLECTIONS.reduce((a, k) => a + (parts[k]?.length ?? 0), 0);
    return { label, entities, results };
  } finally {
    await db.close();
    await testDb.drop();
  }
}

function render(sets) {
  const rows = [];
  for (const s of sets) {
    const r = s.results;
    const line = (what, m) => rows.push(`| ${s.label} (${s.entities.toLocaleString('en-US')} entities) | ${what} | ${fmtRange(rounds(m.wall), 1)} | ${fmtRange(rounds(m.cpu), 1)} |`);
    line('before: every row read, changed rows validated, whole-set checks and hash', r.before);
    line('now, full build (at start, every 10 min, when the history cannot vouch)', r.full);
    line('**now, incremental build** (rows written since the last build)', r.incremental);
    line('… of the full builds: reading every row (readConfig)', r.readConfig);
    line('… of the full builds: hashing every entity from scratch (configHash)', r.hashAll);
    line('… of the incremental builds: reading the rows of one version (changedSince, one statement)', r.changedSince);
    line('… of the incremental builds: hashing, each entity digest remembered (configHash with EntityDigests: a sum of remembered digests)', r.hashMemo);
    const ratio = rounds(r.before.wall).median / rounds(r.incremental.wall).median;
    rows.push(`| ${s.label} | before ÷ incremental (wall, medians) | ${ratio.toFixed(0)}× | |`);
  }
  return `## Snapshot build after a one-row write (\`npm run bench snapshot\`)

Command: \`npm run bench snapshot\` (builds, then \`node test/bench/snapshot-build.js\`; env BENCH_ROUNDS=${ROUNDS} BENCH_ROUTES=${LARGE}), ${new Date().toISOString().slice(0, 10)}.
Machine: ${machine()}. Database: ${process.env.ARCHWAY_DATABASE_URL ? 'the Postgres server at ARCHWAY_DATABASE_URL' : 'embedded Postgres'}.

In the bench process, against a real Postgres loaded through the store (one write of every entity).
Each measured build follows exactly one write (a route's paths change, through the store's write
transaction, with its history row): the previous builder (kept in \`test/bench/snapshot-build.js\` as
it was), today's builder asked for a full build, and today's incremental build. ${ROUNDS} rounds, order
rotated per round. Cells: median (min–max) in ms; CPU is this process's (Postgres's own work is not in it).

| config | build | wall ms | CPU ms |
|---|---|---|---|
${rows.join('\n')}`;
}

async function main() {
  const sets = [await measure('100 routes', 100, 0), await measure(`${LARGE.toLocaleString('en-US')} routes + ${LARGE.toLocaleString('en-US')} consumers`, LARGE, LARGE)];
  const md = render(sets);
  process.stdout.write(`\n${md}\n`);
  writeSection('snapshot', md);
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${err.stack || err}\n`);
    process.exit(1);
  },
);
