import { promises as fsp, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { silentLogger } from '@archway/telemetry';
import { EmbeddedPostgresError, startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres';

jest.setTimeout(120_000);

let prefix: string;
const started: EmbeddedPostgres[] = [];
const clients: Client[] = [];

async function start(): Promise<EmbeddedPostgres> {
  const db = await startEmbeddedPostgres({ prefix, logger: silentLogger });
  started.push(db);
  return db;
}

async function connect(url: string): Promise<Client> {
  const c = new Client({ connectionString: url });
  c.on('error', () => undefined); // a server killed under a test client must not crash the test
  clients.push(c);
  await c.connect();
  return c;
}

function postmasterPid(): number {
  return Number(readFileSync(path.join(prefix, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);
}

beforeEach(async () => {
  // World-traversable, because as root the server runs as an unprivileged user that must reach it.
  prefix = path.join(await fsp.mkdtemp(path.join(os.tmpdir(), 'archway-embedded-pg-')), 'prefix');
  await fsp.chmod(path.dirname(prefix), 0o755);
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.end().catch(() => undefined)));
  await Promise.all(started.splice(0).map((db) => db.stop()));
  await fsp.rm(path.dirname(prefix), { recursive: true, force: true });
});

describe('embedded Postgres', () => {
  it('serves the archway database on 127.0.0.1 and keeps rows across a stop and start', async () => {
    const first = await start();
    const url = new URL(first.url);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.pathname).toBe('/archway');
    expect(Number(url.port)).not.toBe(5432);

    const c = await connect(first.url);
    await c.query('CREATE TABLE services (name text PRIMARY KEY)');
    await c.query("INSERT INTO services VALUES ('billing')");
    await c.end();
    await first.stop();

    const second = await start();
    const again = await connect(second.url);
    const { rows } = await again.query('SELECT name FROM services');
    expect(rows).toEqual([{ name: 'billing' }]);
  });

  it('accepts two connections at once, each with its own session', async () => {
    const db = await start();
    const [a, b] = await Promise.all([connect(db.url), connect(db.url)]);
    await a.query('CREATE TABLE t (v int)');
    await a.query('BEGIN');
    await a.query('INSERT INTO t VALUES (1)');
    // b must neither block on a's open transaction nor see its uncommitted row
    expect((await b.query('SELECT count(*)::int AS n FROM t')).rows[0].n).toBe(0);
    await a.query('COMMIT');
    expect((await b.query('SELECT count(*)::int AS n FROM t')).rows[0].n).toBe(1);
  });

  it('delivers NOTIFY to a listening connection', async () => {
    const db = await start();
    const [listener, notifier] = await Promise.all([connect(db.url), connect(db.url)]);
    await listener.query('LISTEN config_changed');
    const received = new Promise<string | undefined>((resolve) => listener.once('notification', (n) => resolve(n.payload)));
    await notifier.query("NOTIFY config_changed, 'v42'");
    await expect(received).resolves.toBe('v42');
  });

  it('starts again after the previous server was SIGKILLed, with the data intact', async () => {
    const first = await start();
    const c = await connect(first.url);
    await c.query('CREATE TABLE t (v int)');
    await c.query('INSERT INTO t VALUES (7)');
    process.kill(postmasterPid(), 'SIGKILL');
    await first.stop(); // the server is already gone: stop must not hang or throw

    const second = await start();
    const again = await connect(second.url);
    expect((await again.query('SELECT v FROM t')).rows).toEqual([{ v: 7 }]);
  });

  it('refuses a second start on a prefix whose server is still running, saying what to do', async () => {
    await start();
    const second = startEmbeddedPostgres({ prefix, logger: silentLogger });
    await expect(second).rejects.toBeInstanceOf(EmbeddedPostgresError);
    await expect(second).rejects.toThrow(/already using the embedded Postgres .*different --prefix/);
  });
});
