// The `redis` policy: counters in Redis, shared by every data plane pointed at it. Each request counts
// itself and reads the usage of all its windows in one round trip (one EVALSHA of a script that INCRs
// each window's key and sets its expiry on the first hit), so concurrent requests on different data
// planes never both see the last free slot. Keys and expiries are Kong's (policies/init.lua), so
// Archway and Kong nodes sharing one Redis agree on the counts.
import { createHash } from 'node:crypto';
import type { PluginLogger } from '@archway/pipeline';
import { RedisError, RespClient, type RedisOptions } from './resp-client';

/** Kong's realtime script, for every window at once; returns each window's usage before this request. */
const SCRIPT = `local r = {}
for i = 1, #KEYS do
  local n = redis.call("incr", KEYS[i])
  if n == 1 then redis.call("expire", KEYS[i], ARGV[i]) end
  r[i] = n - 1
end
return r`;
const SHA = createHash('sha1').update(SCRIPT).digest('hex');

/** Kong's get_local_key: ratelimit:<route_id>:<service_id>:<identifier>:<period_date>:<period> */
export function redisKey(scope: string, identifier: string, start: number, period: string): string {
  return `ratelimit:${scope}:${identifier}:${start}:${period}`;
}

/**
 * Counts one request in each window (`keys`, expiring after `expirations` seconds) and returns the
 * usage before it. A script unknown to the server (restarted, flushed) is sent whole once.
 */
export async function countInRedis(client: RespClient, keys: string[], expirations: readonly number[]): Promise<number[]> {
  const args: (string | number)[] = ['EVALSHA', SHA, keys.length, ...keys, ...expirations];
  let reply;
  try {
    reply = await client.command(args);
  } catch (err) {
    if (!(err instanceof RedisError && err.code === 'ARCHWAY_REDIS_REPLY' && err.message.startsWith('NOSCRIPT'))) throw err;
    args[0] = 'EVAL';
    args[1] = SCRIPT;
    reply = await client.command(args);
  }
  if (!Array.isArray(reply) || reply.length !== keys.length || reply.some((v) => typeof v !== 'number'))
    throw new RedisError('ARCHWAY_REDIS_REPLY', 'unexpected reply to the rate-limiting script');
  return reply as number[];
}

/** How long a client no instance uses stays open: requests of a replaced snapshot may still be on it. */
const IDLE_CLOSE_MS = 5_000;

interface Shared {
  client: RespClient;
  users: number;
  idle: NodeJS.Timeout | null;
}

/** One client per distinct Redis config in this process, shared by instances and across snapshots. */
const CLIENTS = new Map<string, Shared>();

export interface RedisLease {
  readonly client: RespClient;
  /** the instance is gone (its snapshot was replaced); the client closes once nobody uses it */
  release(): void;
}

/**
 * Takes a share of the client for `opts` (connecting it if this is the first user). Keeping clients
 * across snapshots means a config change that keeps the Redis settings keeps the connection.
 */
export function acquireRedis(opts: RedisOptions, logger: PluginLogger): RedisLease {
  const id = JSON.stringify(opts);
  let shared = CLIENTS.get(id);
  if (!shared) CLIENTS.set(id, (shared = { client: new RespClient(opts, logger), users: 0, idle: null }));
  if (shared.idle) clearTimeout(shared.idle);
  shared.idle = null;
  shared.users++;
  const s = shared;
  let released = false;
  return {
    client: s.client,
    release() {
      if (released) return;
      released = true;
      if (--s.users > 0) return;
      s.idle = setTimeout(() => {
        if (s.users > 0) return;
        CLIENTS.delete(id);
        s.client.close();
      }, IDLE_CLOSE_MS);
      s.idle.unref();
    },
  };
}

/** plugin instances holding a Redis client in this process (a snapshot swap must not leak them) */
export function redisClientUsers(): number {
  let n = 0;
  for (const s of CLIENTS.values()) n += s.users;
  return n;
}
