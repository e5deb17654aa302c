// A minimal Redis client over one connection (node:net or node:tls), no dependencies: commands are
// pipelined (written as they come, replies matched in order), AUTH and SELECT go first on every
// connection, a lost connection is re-opened with capped exponential backoff, and while it is down
// commands fail at once (the rate limiter's fault_tolerant decides what that means for the request).
// One timer per client covers every command's timeout: replies come in order, so only the oldest
// pending command can be the first to expire.
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { PluginLogger } from '@archway/pipeline';
import { encodeCommand, RespParser, RespReplyError, type RespValue } from './resp-parser';

export interface RedisOptions {
  host: string;
  port: number;
  /** milliseconds, for connecting and for each command's reply */
  timeout: number;
  username: string | null;
  password: string | null;
  database: number;
  ssl: boolean;
  sslVerify: boolean;
  serverName: string | null;
}

export type RedisErrorCode = 'ARCHWAY_REDIS_UNAVAILABLE' | 'ARCHWAY_REDIS_TIMEOUT' | 'ARCHWAY_REDIS_REPLY' | 'ARCHWAY_REDIS_CLOSED';

export class RedisError extends Error {
  constructor(
    readonly code: RedisErrorCode,
    message: string,
  ) {
    super(message);
  }
}

interface Pending {
  resolve(value: RespValue): void;
  reject(err: Error): void;
  /** Date.now() ms when the reply is overdue */
  deadline: number;
}

const MIN_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 5_000;

export class RespClient {
  readonly #opts: RedisOptions;
  readonly #logger: PluginLogger | null;
  #state: 'connecting' | 'ready' | 'down' | 'closed' = 'down';
  #socket: Socket | null = null;
  #parser = new RespParser();
  #pending: Pending[] = [];
  #timer: NodeJS.Timeout | null = null;
  #retry: NodeJS.Timeout | null = null;
  #backoff = MIN_BACKOFF_MS;
  /** the last failure was logged; the next success is logged too */
  #reportedDown = false;

  constructor(opts: RedisOptions, logger: PluginLogger | null = null) {
    this.#opts = opts;
    this.#logger = logger;
    this.#connect();
  }

  /** where this client connects, for logs (never the password) */
  get target(): string {
    return `${this.#opts.host}:${this.#opts.port}/${this.#opts.database}`;
  }

  /** Sends one command; rejects with a RedisError (an error reply is ARCHWAY_REDIS_REPLY). */
  command(args: readonly (string | number)[]): Promise<RespValue> {
    const socket = this.#socket;
    if (this.#state === 'down' || this.#state === 'closed' || !socket)
      return Promise.reject(new RedisError(this.#state === 'closed' ? 'ARCHWAY_REDIS_CLOSED' : 'ARCHWAY_REDIS_UNAVAILABLE', `Redis at ${this.target} is unreachable`));
    return new Promise<RespValue>((resolve, reject) => {
      this.#enqueue(
        (v) => (v instanceof RespReplyError ? reject(new RedisError('ARCHWAY_REDIS_REPLY', v.message)) : resolve(v)),
        reject,
      );
      socket.write(encodeCommand(args));
    });
  }

  /** Closes the connection for good; pending commands fail with ARCHWAY_REDIS_CLOSED. */
  close(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    if (this.#retry) clearTimeout(this.#retry);
    this.#teardown(new RedisError('ARCHWAY_REDIS_CLOSED', 'Redis client closed'));
  }

  #enqueue(resolve: Pending['resolve'], reject: Pending['reject']): void {
    this.#pending.push({ resolve, reject, deadline: Date.now() + this.#opts.timeout });
    if (!this.#timer) this.#arm(this.#opts.timeout);
  }

  #arm(ms: number): void {
    this.#timer = setTimeout(() => this.#checkDeadline(), Math.max(1, ms));
    this.#timer.unref();
  }

  #checkDeadline(): void {
    this.#timer = null;
    const head = this.#pending[0];
    if (!head) return;
    const left = head.deadline - Date.now();
    // a late reply would be matched to the wrong command: the connection is useless, start over
    if (left <= 0) this.#fail(new RedisError('ARCHWAY_REDIS_TIMEOUT', `Redis at ${this.target} did not answer within ${this.#opts.timeout} ms`));
    else this.#arm(left);
  }

  #connect(): void {
    const o = this.#opts;
    this.#state = 'connecting';
    this.#parser = new RespParser();
    const socket = o.ssl
      ? tlsConnect({ host: o.host, port: o.port, servername: o.serverName ?? (isIP(o.host) ? undefined : o.host), rejectUnauthorized: o.sslVerify })
      : netConnect({ host: o.host, port: o.port });
    this.#socket = socket;
    // the data plane's listeners keep the process alive; a Redis connection alone must not
    socket.unref();
    socket.setNoDelay(true);
    socket.setTimeout(o.timeout, () => socket.destroy(new RedisError('ARCHWAY_REDIS_TIMEOUT', `connecting to Redis at ${this.target} timed out`)));
    socket.once(o.ssl ? 'secureConnect' : 'connect', () => {
      socket.setTimeout(0);
      socket.setKeepAlive(true, 10_000);
      if (this.#socket === socket && this.#state === 'connecting') this.#state = 'ready';
    });
    socket.on('data', (chunk: Buffer) => this.#onData(socket, chunk));
    socket.on('error', (err) => this.#fail(err, socket));
    socket.on('close', () => this.#fail(new RedisError('ARCHWAY_REDIS_UNAVAILABLE', `Redis at ${this.target} closed the connection`), socket));
    this.#handshake(socket);
  }

  /** AUTH and SELECT, written before any command (the socket buffers them until it connects). */
  #handshake(socket: Socket): void {
    const o = this.#opts;
    const steps: (string | number)[][] = [];
    if (o.password) steps.push(o.username ? ['AUTH', o.username, o.password] : ['AUTH', o.password]);
    if (o.database !== 0) steps.push(['SELECT', o.database]);
    let left = steps.length;
    const done = (): void => {
      this.#backoff = MIN_BACKOFF_MS;
      if (this.#reportedDown) this.#logger?.info('Redis connection restored', { redis: this.target });
      this.#reportedDown = false;
    };
    if (!left) {
      socket.once(o.ssl ? 'secureConnect' : 'connect', done);
      return;
    }
    for (const step of steps) {
      this.#enqueue(
        (v) => {
          if (v instanceof RespReplyError) return this.#fail(new RedisError('ARCHWAY_REDIS_REPLY', `Redis ${String(step[0])} failed: ${v.message}`), socket);
          if (--left === 0) done();
        },
        () => undefined,
      );
      socket.write(encodeCommand(step));
    }
  }

  #onData(socket: Socket, chunk: Buffer): void {
    if (socket !== this.#socket) return;
    let replies: RespValue[];
    try {
      replies = this.#parser.push(chunk);
    } catch (err) {
      return this.#fail(err as Error, socket);
    }
    for (const reply of replies) this.#pending.shift()?.resolve(reply);
  }

  /** The connection is lost (or useless): fail what is pending, then reconnect after a backoff. */
  #fail(err: Error, socket: Socket | null = this.#socket): void {
    if (socket !== this.#socket || this.#state === 'closed') return;
    if (!this.#reportedDown) this.#logger?.error('Redis connection failed; retrying in the background', { redis: this.target, err: err.message });
    this.#reportedDown = true;
    this.#state = 'down';
    this.#teardown(err instanceof RedisError ? err : new RedisError('ARCHWAY_REDIS_UNAVAILABLE', `Redis at ${this.target}: ${err.message}`));
    const delay = this.#backoff;
    this.#backoff = Math.min(MAX_BACKOFF_MS, this.#backoff * 2);
    this.#retry = setTimeout(() => {
      this.#retry = null;
      if (this.#state === 'down') this.#connect();
    }, delay);
    this.#retry.unref();
  }

  #teardown(err: RedisError): void {
    const socket = this.#socket;
    this.#socket = null;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    socket?.removeAllListeners('data');
    socket?.on('error', () => undefined);
    socket?.destroy();
    const pending = this.#pending;
    this.#pending = [];
    for (const p of pending) p.reject(err);
  }
}
