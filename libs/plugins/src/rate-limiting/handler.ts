// rate-limiting (kong/plugins/rate-limiting/handler.lua, Kong 3.9): counts requests per identifier in
// fixed windows (second ... year) and answers `error_code` / `error_message` (429, "API rate limit
// exceeded") once a window's limit is used up, with Kong's RateLimit-*, X-RateLimit-*-<Period> and
// Retry-After headers. Counters live in this process (`local`) or in Redis (`redis`, shared by every
// data plane); a Redis failure lets the request through when `fault_tolerant` is on, else answers 500.
import type { PluginContext, PluginHandler, PluginLogger } from '@archway/pipeline';
import type { Plugin } from '@archway/schema';
import { LocalCounters, PROCESS_COUNTERS } from './policies/local';
import { acquireRedis, countInRedis, redisKey, type RedisLease } from './policies/redis';
import type { RedisOptions } from './policies/resp-client';
import { PERIODS, rateLimitingSchema } from './schema';
import { EXPIRATION, secondsToReset, windowStart, type Period } from './windows';

/** Kong's scope id when a plugin has no route or service (policies/init.lua EMPTY_UUID) */
const EMPTY_UUID = '00000000-0000-0000-0000-000000000000';
/** kong.response.error(500)'s message, when the counters are unreachable and fault_tolerant is off */
const INTERNAL_ERROR = 'An unexpected error occurred';
/** where access leaves the headers for header_filter (Kong's kong.ctx.plugin.headers) */
const HEADERS_SLOT = 'rate-limiting.headers';
/** at most one "failed to get usage" line per instance in this interval */
const FAILURE_LOG_INTERVAL_MS = 10_000;

const title = (p: string): string => p[0].toUpperCase() + p.slice(1);

/** every header name this plugin sets, lower-cased once (header_filter replaces the upstream's own) */
const LOWER: Readonly<Record<string, string>> = Object.fromEntries(
  ['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', ...PERIODS.flatMap((p) => [`X-RateLimit-Limit-${title(p)}`, `X-RateLimit-Remaining-${title(p)}`])].map((n) => [
    n,
    n.toLowerCase(),
  ]),
);

interface Limit {
  period: Period;
  /** index of the period in PERIODS (the local counters' slot) */
  slot: number;
  limit: number;
  /** String(limit), sent in every response */
  limitText: string;
  expiration: number;
  xLimit: string;
  xRemaining: string;
}

/** identifiers whose local counter key is kept built, per instance (then the cache starts over) */
const MAX_CACHED_KEYS = 10_000;

/**
 * String(n) for a non-negative integer. Counts above 2^30 are heap numbers, which V8 prints through
 * its double-to-string path (several times slower); a limit of 10^12 puts two of them in every response.
 */
function decimal(n: number): string {
  if (n < 1e9) return String(n);
  const high = Math.floor(n / 1e9);
  return String(high) + String(n - high * 1e9).padStart(9, '0');
}

/**
 * The headers access computed for one request, left for header_filter: `names` (the instance's, in
 * Kong's order) and this request's `values`, index for index.
 */
class ClientHeaders {
  constructor(
    readonly names: readonly string[],
    readonly values: string[],
  ) {}

  toRecord(): Record<string, string> {
    const out: Record<string, string> = {};
    for (let i = 0; i < this.names.length; i++) out[this.names[i]] = this.values[i];
    return out;
  }
}

export interface RateLimitingState {
  /** the configured periods, shortest first */
  limits: readonly Limit[];
  /** the client headers' names: X-RateLimit-Limit/Remaining-<Period> per limit, then RateLimit-Limit/Remaining/Reset */
  headerNames: readonly string[];
  /** identifier -> `<scope>:<identifier>`, the local counters' key, built once per identifier */
  keys: Map<string, string>;
  /** each limit's window start at `startsAt` (a second), recomputed when the second changes */
  starts: number[];
  startsAt: number;
  /** per-request scratch of the local policy (its access runs to the end synchronously) */
  used: number[];
  expirations: readonly number[];
  limitBy: string;
  /** lower-cased, for limit_by header */
  headerName: string | null;
  path: string | null;
  /** `<route_id>:<service_id>` of the plugin's scope, as Kong's keys carry them */
  scope: string;
  counters: LocalCounters;
  redis: RedisLease | null;
  faultTolerant: boolean;
  hideClientHeaders: boolean;
  errorCode: number;
  errorMessage: string;
  logger: PluginLogger;
  now: () => number;
  /** when a policy failure was last logged, and how many since were not */
  failures: { loggedAt: number; suppressed: number };
}

/**
 * The request path the client sent (Kong's kong.request.get_path), before any strip_path: from the
 * request target the data plane records (`requestUri`, where the context has it), else the path.
 */
function requestPath(ctx: PluginContext): string {
  const uri = ctx.requestUri;
  if (!uri) return ctx.path;
  const q = uri.indexOf('?');
  return q < 0 ? uri : uri.slice(0, q);
}

/** Kong's get_identifier: what the counters are kept per; anything missing falls back to the client IP. */
function identifierOf(ctx: PluginContext, s: RateLimitingState): string {
  let id: string | undefined;
  switch (s.limitBy) {
    case 'consumer':
      id = ctx.consumer?.id ?? ctx.credential?.id;
      break;
    case 'credential':
      id = ctx.credential?.id;
      break;
    case 'service':
      id = ctx.service?.id;
      break;
    case 'header':
      id = ctx.header(s.headerName as string);
      break;
    case 'path': {
      const p = requestPath(ctx);
      if (p === s.path) id = p;
      break;
    }
  }
  return id ?? ctx.clientIp;
}

/**
 * Kong's access decision on the usage before this request: over the limit in any window -> the error
 * with Retry-After; otherwise headers for the client. RateLimit-* describe the window with the fewest
 * requests left (the longest one on a tie). Returns whether the request may go on.
 */
function decide(ctx: PluginContext, s: RateLimitingState, now: number, starts: readonly number[], used: readonly number[]): boolean {
  const limits = s.limits;
  let stop = -1;
  for (let i = 0; i < limits.length; i++) if (limits[i].limit - used[i] <= 0) stop = i;
  let headers: ClientHeaders | null = null;
  if (!s.hideClientHeaders) {
    const values: string[] = new Array<string>(s.headerNames.length);
    let best = -1;
    let bestRemaining = 0;
    let reset = 0;
    for (let i = 0; i < limits.length; i++) {
      const l = limits[i];
      let remaining = l.limit - used[i];
      if (stop < 0 || stop === i) remaining -= 1;
      remaining = Math.max(0, remaining);
      if (best < 0 || remaining < bestRemaining || (remaining === bestRemaining && l.expiration > limits[best].expiration)) {
        best = i;
        bestRemaining = remaining;
        reset = secondsToReset(l.period, now, starts[i]);
      }
      values[2 * i] = l.limitText;
      values[2 * i + 1] = decimal(remaining);
    }
    const n = 2 * limits.length;
    values[n] = limits[best].limitText;
    values[n + 1] = values[2 * best + 1];
    values[n + 2] = String(reset);
    headers = new ClientHeaders(s.headerNames, values);
  }
  if (stop >= 0) {
    let record: Record<string, string> | undefined;
    if (headers) {
      record = headers.toRecord();
      record['Retry-After'] = headers.values[headers.values.length - 1];
    }
    ctx.error(s.errorCode, s.errorMessage, record);
    return false;
  }
  if (headers) ctx.shared.set(HEADERS_SLOT, headers);
  return true;
}

/** Redis failed: Kong logs and lets the request through (fault_tolerant), or answers 500. */
function policyFailed(ctx: PluginContext, s: RateLimitingState, err: unknown): void {
  if (!s.faultTolerant) ctx.error(500, INTERNAL_ERROR);
  // while Redis is down every request fails the same way: one line per interval says so, with a count
  const t = Date.now();
  if (t - s.failures.loggedAt < FAILURE_LOG_INTERVAL_MS) {
    s.failures.suppressed++;
    return;
  }
  const fields = {
    request_id: ctx.requestId,
    plugin: 'rate-limiting',
    redis: s.redis?.client.target,
    code: (err as { code?: string }).code,
    err: (err as Error).message,
    failures_not_logged: s.failures.suppressed,
  };
  s.failures.loggedAt = t;
  s.failures.suppressed = 0;
  if (s.faultTolerant) s.logger.error('failed to get usage; requests continue (fault_tolerant)', fields);
  else s.logger.error('failed to get usage; answering 500 (fault_tolerant is false)', fields);
}

function redisOptions(redis: Record<string, unknown>): RedisOptions {
  return {
    host: redis.host as string,
    port: redis.port as number,
    timeout: redis.timeout as number,
    username: (redis.username as string | null) ?? null,
    password: (redis.password as string | null) ?? null,
    database: (redis.database as number | null) ?? 0,
    ssl: (redis.ssl as boolean | null) ?? false,
    sslVerify: (redis.ssl_verify as boolean | null) ?? false,
    serverName: (redis.server_name as string | null) ?? null,
  };
}

function configure(config: Record<string, unknown>, plugin: Plugin | undefined, logger: PluginLogger, counters: LocalCounters, now: () => number): RateLimitingState {
  const limits: Limit[] = [];
  PERIODS.forEach((period, slot) => {
    const limit = config[period];
    if (typeof limit === 'number')
      limits.push({
        period,
        slot,
        limit,
        limitText: String(limit),
        expiration: EXPIRATION[period],
        xLimit: `X-RateLimit-Limit-${title(period)}`,
        xRemaining: `X-RateLimit-Remaining-${title(period)}`,
      });
  });
  const headerName = config.header_name as string | null;
  return {
    limits,
    headerNames: [...limits.flatMap((l) => [l.xLimit, l.xRemaining]), 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'],
    keys: new Map(),
    starts: limits.map(() => 0),
    startsAt: -1,
    used: limits.map(() => 0),
    expirations: limits.map((l) => l.expiration),
    limitBy: config.limit_by as string,
    headerName: headerName ? headerName.toLowerCase() : null,
    path: (config.path as string | null) ?? null,
    scope: `${plugin?.route?.id ?? EMPTY_UUID}:${plugin?.service?.id ?? EMPTY_UUID}`,
    counters,
    redis: config.policy === 'redis' ? acquireRedis(redisOptions(config.redis as Record<string, unknown>), logger) : null,
    faultTolerant: config.fault_tolerant as boolean,
    hideClientHeaders: config.hide_client_headers as boolean,
    errorCode: config.error_code as number,
    errorMessage: config.error_message as string,
    logger,
    now,
    failures: { loggedAt: -Infinity, suppressed: 0 },
  };
}

/** The local counters' key for `id`: built once per identifier, so the counters' maps hash a string they have seen. */
function localKey(s: RateLimitingState, id: string): string {
  let key = s.keys.get(id);
  if (key === undefined) {
    if (s.keys.size >= MAX_CACHED_KEYS) s.keys.clear();
    key = `${s.scope}:${id}`;
    s.keys.set(id, key);
  }
  return key;
}

/** The local policy: read every window's usage, decide, count the request if it goes on (all synchronous). */
function accessLocal(ctx: PluginContext, s: RateLimitingState, id: string, now: number): void {
  const key = localKey(s, id);
  const limits = s.limits;
  const starts = s.starts;
  if (now !== s.startsAt) {
    for (let i = 0; i < limits.length; i++) starts[i] = windowStart(limits[i].period, now);
    s.startsAt = now;
  }
  const used = s.used;
  for (let i = 0; i < limits.length; i++) used[i] = s.counters.get(limits[i].slot, starts[i], key);
  if (decide(ctx, s, now, starts, used)) for (let i = 0; i < limits.length; i++) s.counters.increment(limits[i].slot, starts[i], key);
}

async function accessRedis(ctx: PluginContext, s: RateLimitingState, lease: RedisLease, id: string, now: number): Promise<void> {
  const starts = s.limits.map((l) => windowStart(l.period, now));
  const keys = s.limits.map((l, i) => redisKey(s.scope, id, starts[i], l.period));
  let used: number[];
  try {
    used = await countInRedis(lease.client, keys, s.expirations);
  } catch (err) {
    return policyFailed(ctx, s, err);
  }
  // Redis counted this request already (Kong's realtime mode counts rejected requests too)
  decide(ctx, s, now, starts, used);
}

export interface RateLimitingOptions {
  /** the local policy's counters (default: this process's) */
  counters?: LocalCounters;
  /** epoch ms (default Date.now); Kong reads the clock in whole seconds */
  clock?: () => number;
}

export function createRateLimitingHandler(opts: RateLimitingOptions = {}): PluginHandler<RateLimitingState> {
  const counters = opts.counters ?? PROCESS_COUNTERS;
  const clock = opts.clock ?? Date.now;
  // whole seconds: a floor division (a `%` of a heap number is a call to fmod)
  const now = (): number => Math.floor(clock() / 1000) * 1000;
  return {
    name: rateLimitingSchema.name,
    priority: rateLimitingSchema.priority,
    version: rateLimitingSchema.version,
    configure: (config, env, plugin) => configure(config, plugin, env.logger, counters, now),
    access(ctx, s) {
      const t = s.now();
      const id = identifierOf(ctx, s);
      if (s.redis) return accessRedis(ctx, s, s.redis, id, t);
      accessLocal(ctx, s, id, t);
    },
    headerFilter(ctx) {
      const headers = ctx.shared.get(HEADERS_SLOT) as ClientHeaders | undefined;
      if (!headers) return;
      const out = ctx.responseHeaders;
      const { names, values } = headers;
      for (let i = 0; i < names.length; i++) {
        // the upstream's own rate-limit headers give way to the gateway's, whatever their case
        const lower = LOWER[names[i]];
        if (out[lower] !== undefined) delete out[lower];
        out[names[i]] = values[i];
      }
    },
    dispose(s) {
      s.redis?.release();
    },
  };
}

export const rateLimitingHandler = createRateLimitingHandler();
