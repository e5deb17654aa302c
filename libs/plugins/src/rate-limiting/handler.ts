// rate-limiting (kong/plugins/rate-limiting/handler.lua, Kong 3.9): counts requests per identifier in
// fixed windows (second ... year) and answers `error_code` / `error_message` (429, "API rate limit
// exceeded") once a window's limit is used up, with Kong's RateLimit-*, X-RateLimit-*-<Period> and
// Retry-After headers. Counters live in the node (`local`: this process, or the primary process shared
// by the proxy workers) or in Redis (`redis`, shared by every data plane); when they cannot be reached
// the request goes through if `fault_tolerant` is on, else it gets a 500.
import type { NodeCounters, PluginContext, PluginHandler, PluginLogger } from '@archway/pipeline';
import type { Plugin } from '@archway/schema';
import { PROCESS_COUNTERS } from './policies/local';
import { acquireRedis, countInRedis, type RedisLease } from './policies/redis';
import type { RedisOptions } from './policies/resp-client';
import { clientHeaders, headerNames, limitsOf, setClientHeaders, type Limit } from './limits';
import { rateLimitingSchema } from './schema';
import { NO_WINDOWS, windowsAt, type Period, type Windows } from './windows';

/** Kong's scope id when a plugin has no route or service (policies/init.lua EMPTY_UUID) */
const EMPTY_UUID = '00000000-0000-0000-0000-000000000000';
/** kong.response.error(500)'s message, when the counters are unreachable and fault_tolerant is off */
const INTERNAL_ERROR = 'An unexpected error occurred';
/** where access leaves the headers for header_filter (Kong's kong.ctx.plugin.headers) */
const HEADERS_SLOT = 'rate-limiting.headers';
/** at most one "failed to get usage" line per instance in this interval */
const FAILURE_LOG_INTERVAL_MS = 10_000;

/** identifiers whose counter key is kept built, per instance (then the cache starts over) */
const MAX_CACHED_KEYS = 10_000;

/** limit_by, as a number the access phase switches on */
const enum LimitBy {
  Consumer,
  Credential,
  Ip,
  Service,
  Header,
  Path,
}
const LIMIT_BY: Readonly<Record<string, LimitBy>> = {
  consumer: LimitBy.Consumer,
  credential: LimitBy.Credential,
  ip: LimitBy.Ip,
  service: LimitBy.Service,
  header: LimitBy.Header,
  path: LimitBy.Path,
};

export interface RateLimitingState {
  /** the configured periods, shortest first */
  limits: readonly Limit[];
  periods: readonly Period[];
  /** per configured period, for the local counters: its series and its limit */
  slots: readonly number[];
  maxima: readonly number[];
  expirations: readonly number[];
  /**
   * the client headers' names in Kong's order: X-RateLimit-Limit/Remaining-<Period> per configured
   * period, then RateLimit-Limit/Remaining/Reset
   */
  names: readonly string[];
  windows: Windows;
  /** identifier -> its counters' key, built once per identifier (`<scope>:<identifier>`, or redis' `ratelimit:<scope>:<identifier>`) */
  keys: Map<string, string>;
  /** the local counters' answer, when they answer synchronously (access then runs to its end at once) */
  used: number[];
  limitBy: LimitBy;
  /** lower-cased, for limit_by header */
  headerName: string | null;
  path: string | null;
  /** `<route_id>:<service_id>` of the plugin's scope, as Kong's keys carry them */
  scope: string;
  counters: NodeCounters;
  redis: RedisLease | null;
  faultTolerant: boolean;
  hideClientHeaders: boolean;
  errorCode: number;
  errorMessage: string;
  logger: PluginLogger;
  /** epoch ms */
  clock: () => number;
  /** when a policy failure was last logged, and how many since were not */
  failures: { loggedAt: number; suppressed: number };
}

/** The current windows: the instance's, unless the clock has left them (a new window, or a step back). */
function currentWindows(s: RateLimitingState, now: number): Windows {
  const w = s.windows;
  if (now < w.until && now >= w.from) return w;
  return (s.windows = windowsAt(s.periods, now));
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
    case LimitBy.Consumer:
      id = ctx.consumer?.id ?? ctx.credential?.id;
      break;
    case LimitBy.Credential:
      id = ctx.credential?.id;
      break;
    case LimitBy.Service:
      id = ctx.service?.id;
      break;
    case LimitBy.Header:
      id = ctx.header(s.headerName as string);
      break;
    case LimitBy.Path: {
      const p = requestPath(ctx);
      if (p === s.path) id = p;
      break;
    }
  }
  return id ?? ctx.clientIp;
}

/**
 * The counters' key for `id`: built once per identifier, so the counters' maps hash a string whose
 * hash is already known rather than a new concatenation per request.
 */
function counterKey(s: RateLimitingState, id: string): string {
  let key = s.keys.get(id);
  if (key === undefined) {
    if (s.keys.size >= MAX_CACHED_KEYS) s.keys.clear();
    key = s.redis !== null ? `ratelimit:${s.scope}:${id}` : `${s.scope}:${id}`;
    s.keys.set(id, key);
  }
  return key;
}

/**
 * Kong's access decision on the usage before this request: over the limit in any window -> the error
 * with Retry-After; otherwise headers for the client (left for header_filter). Returns whether the
 * request may go on.
 */
function decide(ctx: PluginContext, s: RateLimitingState, now: number, starts: readonly number[], used: readonly number[]): boolean {
  const limits = s.limits;
  let stop = -1;
  for (let i = 0; i < limits.length; i++) if (limits[i].limit - used[i] <= 0) stop = i;
  const list = s.hideClientHeaders ? null : clientHeaders(s.limits, s.names, now, starts, used, stop);
  if (stop >= 0) {
    let headers: Record<string, string> | undefined;
    if (list !== null) {
      headers = {};
      for (let i = 0; i < list.length; i += 2) headers[list[i]] = list[i + 1];
      headers['Retry-After'] = list[list.length - 1];
    }
    ctx.error(s.errorCode, s.errorMessage, headers);
    return false;
  }
  if (list !== null) ctx.shared.set(HEADERS_SLOT, list);
  return true;
}

/**
 * The counters (Redis, or the node's primary process) cannot be reached: Kong logs and lets the
 * request through (fault_tolerant), or answers 500.
 */
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

function configure(config: Record<string, unknown>, plugin: Plugin | undefined, logger: PluginLogger, counters: NodeCounters, clock: () => number): RateLimitingState {
  const limits = limitsOf(config);
  const names = headerNames(limits);
  const headerName = config.header_name as string | null;
  return {
    limits,
    periods: limits.map((l) => l.period),
    slots: limits.map((l) => l.slot),
    maxima: limits.map((l) => l.limit),
    expirations: limits.map((l) => l.expiration),
    names,
    windows: NO_WINDOWS,
    keys: new Map(),
    used: limits.map(() => 0),
    limitBy: LIMIT_BY[config.limit_by as string] ?? LimitBy.Ip,
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
    clock,
    failures: { loggedAt: -Infinity, suppressed: 0 },
  };
}

async function accessRedis(ctx: PluginContext, s: RateLimitingState, lease: RedisLease, key: string, now: number, w: Windows): Promise<void> {
  const keys = new Array<string>(w.redisTails.length);
  for (let i = 0; i < keys.length; i++) keys[i] = key + w.redisTails[i];
  let used: number[];
  try {
    used = await countInRedis(lease.client, keys, s.expirations);
  } catch (err) {
    return policyFailed(ctx, s, err);
  }
  // Redis counted this request already (Kong's realtime mode counts rejected requests too)
  decide(ctx, s, now, w.starts, used);
}

/** The local policy: counts this request in the node's counters unless a window is used up, then decides. */
function accessLocal(ctx: PluginContext, s: RateLimitingState, key: string, now: number, starts: readonly number[]): void | Promise<void> {
  const used = s.counters.take(key, s.slots, starts, s.maxima, s.used);
  if (Array.isArray(used)) {
    decide(ctx, s, now, starts, used);
    return;
  }
  return decideWhenCounted(ctx, s, now, starts, used);
}

/** The node's counters are in the primary process (several proxy workers): the counts come over IPC. */
async function decideWhenCounted(ctx: PluginContext, s: RateLimitingState, now: number, starts: readonly number[], counting: Promise<number[]>): Promise<void> {
  let used: number[];
  try {
    used = await counting;
  } catch (err) {
    return policyFailed(ctx, s, err);
  }
  decide(ctx, s, now, starts, used);
}

export interface RateLimitingOptions {
  /** the local policy's counters (default: the node's when it has several processes, else this process's) */
  counters?: NodeCounters;
  /** epoch ms (default Date.now); Kong reads the clock in whole seconds */
  clock?: () => number;
}

export function createRateLimitingHandler(opts: RateLimitingOptions = {}): PluginHandler<RateLimitingState> {
  // Kong reads the clock in whole seconds; every window starts on a whole second, so the windows and
  // RateLimit-Reset come out the same from the milliseconds
  const clock = opts.clock ?? Date.now;
  return {
    name: rateLimitingSchema.name,
    priority: rateLimitingSchema.priority,
    version: rateLimitingSchema.version,
    configure: (config, env, plugin) => configure(config, plugin, env.logger, opts.counters ?? env.node?.counters ?? PROCESS_COUNTERS, clock),
    access(ctx, s) {
      const now = s.clock();
      const w = currentWindows(s, now);
      const key = counterKey(s, identifierOf(ctx, s));
      if (s.redis !== null) return accessRedis(ctx, s, s.redis, key, now, w);
      return accessLocal(ctx, s, key, now, w.starts);
    },
    headerFilter(ctx) {
      const list = ctx.shared.get(HEADERS_SLOT) as string[] | undefined;
      if (list === undefined) return;
      setClientHeaders(ctx.responseHeaders, list);
    },
    dispose(s) {
      s.redis?.release();
    },
  };
}

export const rateLimitingHandler = createRateLimitingHandler();
