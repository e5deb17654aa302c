// rate-limiting (kong/plugins/rate-limiting/schema.lua, Kong 3.9 shape: Redis settings nested under
// `config.redis`, the pre-3.6 flat `redis_*` fields accepted as write-only shorthands).
import { configChecks, atLeastOneOf, requiredWhen, setFieldError, type ConfigCheck } from '../checks';
import { BUNDLED_PLUGIN_VERSION, PROTOCOLS_HTTP, type PluginSchema } from '../plugin-schema';
import { redisConfig, redisShorthands } from '../redis';
import { headerName, path } from '../typedefs';

export const PERIODS = ['second', 'minute', 'hour', 'day', 'month', 'year'] as const;

/** -1 = count synchronously (the only mode of the local policy). */
const SYNC_RATE_REALTIME = -1;

/** Kong's validate_periods_order and sync_rate rules (reported on `config` itself). */
function validatePeriods(config: Record<string, unknown>): string | null {
  for (let i = 0; i < PERIODS.length; i++) {
    const lower = config[PERIODS[i]];
    if (typeof lower !== 'number') continue;
    for (const upper of PERIODS.slice(i + 1)) {
      const v = config[upper];
      if (typeof v === 'number' && v < lower)
        return `The limit for ${upper}(${v.toFixed(1)}) cannot be lower than the limit for ${PERIODS[i]}(${lower.toFixed(1)})`;
    }
  }
  const syncRate = config.sync_rate as number;
  if (config.policy !== 'redis' && syncRate !== SYNC_RATE_REALTIME) return 'sync_rate can only be used with the redis policy';
  if (config.policy === 'redis' && syncRate !== SYNC_RATE_REALTIME && syncRate < 0.02)
    return 'sync_rate must be greater than 0.02, or -1 to disable';
  return null;
}

/**
 * Kong's batched mode (sync_rate > 0: count locally, push the deltas to Redis every sync_rate seconds)
 * is not implemented: a value Kong would accept is refused on the field, so a config never silently
 * counts differently than it says. Values Kong itself refuses get Kong's messages (validatePeriods).
 */
const syncRateSupported: ConfigCheck = (config, errors) => {
  const syncRate = config.sync_rate;
  if (config.policy === 'redis' && typeof syncRate === 'number' && syncRate !== SYNC_RATE_REALTIME && syncRate >= 0.02)
    setFieldError(errors, 'sync_rate', 'not supported: only -1 (every request counted in Redis at once) is implemented');
};

const limit = { type: 'number', gt: 0 } as const;

export const rateLimitingSchema: PluginSchema = {
  name: 'rate-limiting',
  version: BUNDLED_PLUGIN_VERSION,
  priority: 910,
  protocols: PROTOCOLS_HTTP,
  config: {
    type: 'record',
    fields: {
      second: limit,
      minute: limit,
      hour: limit,
      day: limit,
      month: limit,
      year: limit,
      /** what a counter is kept per; consumer and credential fall back to the client IP */
      limit_by: { type: 'string', default: 'consumer', oneOf: ['consumer', 'credential', 'ip', 'service', 'header', 'path'] },
      header_name: headerName,
      path,
      /**
       * Kong's hybrid mode (which Archway is) offers local and redis only: `cluster` keeps counters in
       * Kong's database, which data planes do not have.
       */
      policy: { type: 'string', default: 'local', oneOf: ['local', 'redis'] },
      /** let traffic through when the counter store is unreachable */
      fault_tolerant: { type: 'boolean', required: true, default: true },
      redis: redisConfig,
      hide_client_headers: { type: 'boolean', required: true, default: false },
      error_code: { type: 'number', default: 429, gt: 0 },
      error_message: { type: 'string', default: 'API rate limit exceeded' },
      /** seconds between syncs to Redis; -1 = synchronous, the only value Archway implements */
      sync_rate: { type: 'number', required: true, default: SYNC_RATE_REALTIME },
    },
    shorthands: redisShorthands,
    check: configChecks(
      [
        atLeastOneOf(...PERIODS),
        requiredWhen('policy', 'redis', 'redis.host'),
        requiredWhen('policy', 'redis', 'redis.port'),
        requiredWhen('policy', 'redis', 'redis.timeout'),
        requiredWhen('limit_by', 'header', 'header_name'),
        requiredWhen('limit_by', 'path', 'path'),
        syncRateSupported,
      ],
      validatePeriods,
    ),
  },
};
