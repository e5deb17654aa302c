// Real processes for e2e tests: spawn a role from the compiled build, keep its log, wait for it.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Temporary directories (process prefixes) made as a test file needs them and removed together. */
export function scratchDirs(): { make(label: string): string; removeAll(): void } {
  const dirs: string[] = [];
  return {
    make(label) {
      const dir = mkdtempSync(join(tmpdir(), `archway-e2e-${label}-`));
      dirs.push(dir);
      return dir;
    },
    removeAll() {
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export class RoleProcess {
  readonly log: string[] = [];
  #child: ChildProcess | null = null;

  constructor(
    readonly name: string,
    private readonly entry: string[],
    private readonly env: Record<string, string>,
  ) {}

  start(): this {
    const env: NodeJS.ProcessEnv = { ...process.env, ...this.env };
    if (!('ARCHWAY_DATABASE_URL' in this.env)) delete env.ARCHWAY_DATABASE_URL;
    const child = spawn(process.execPath, this.entry, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line) this.log.push(line);
      if (this.log.length > 2000) this.log.splice(0, this.log.length - 2000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.#child = child;
    return this;
  }

  get running(): boolean {
    return !!this.#child && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Stops the process: SIGTERM (graceful) or SIGKILL (a crash). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  tail(n = 40): string {
    return `--- ${this.name} (last ${n} lines)\n${this.log.slice(-n).join('\n')}`;
  }
}

export function role(name: string, app: 'control-plane' | 'data-plane', env: Record<string, string>): RoleProcess {
  return new RoleProcess(name, [join(ROOT, 'dist', 'apps', app, 'src', 'main.js')], env);
}

export function cli(name: string, args: string[], env: Record<string, string>): RoleProcess {
  return new RoleProcess(name, [join(ROOT, 'bin', 'archway.js'), ...args], env);
}

/** Polls `check` until it returns a truthy value or the deadline passes; the error names what was awaited. */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs = 15_000, procs: RoleProcess[] = []): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const logs = procs.map((p) => p.tail()).join('\n');
      throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
