// Runs the gateway's roles as child processes: each role gets its own event loop (the data plane's
// hot path never waits on control-plane work), and the CLI forwards signals and exit codes.
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';

/** dist/apps/<app>/src/main.js, next to this compiled file. */
export function appMain(app: 'control-plane' | 'data-plane'): string {
  return join(__dirname, '..', '..', app, 'src', 'main.js');
}

export function spawnRole(app: 'control-plane' | 'data-plane', env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [appMain(app)], { env, stdio: 'inherit' });
}

/** Resolves once something accepts TCP connections on host:port; rejects after `timeoutMs` or if `child` exits. */
export function waitForPort(host: string, port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    let exited = false;
    child.once('exit', (code) => {
      exited = true;
      reject(new Error(`the control plane exited (code ${code}) before it was ready`));
    });
    const attempt = () => {
      if (exited) return;
      const socket = connect({ host: host === '0.0.0.0' ? '127.0.0.1' : host, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`nothing answered on ${host}:${port} after ${timeoutMs} ms`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

/** Forwards SIGINT/SIGTERM to every child; when any child exits, stops the others and exits with its code. */
export function superviseChildren(children: ChildProcess[]): void {
  let stopping = false;
  const stopAll = (signal: NodeJS.Signals) => {
    stopping = true;
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill(signal);
  };
  process.on('SIGINT', () => stopAll('SIGINT'));
  process.on('SIGTERM', () => stopAll('SIGTERM'));
  let remaining = children.length;
  let firstCode: number | null = null;
  for (const child of children) {
    child.once('exit', (code, signal) => {
      firstCode ??= code ?? (signal ? 1 : 0);
      remaining--;
      if (!stopping) stopAll('SIGTERM');
      if (remaining === 0) process.exit(stopping && firstCode === 0 ? 0 : firstCode);
    });
  }
}
