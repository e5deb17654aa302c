// The shared Redis record of Kong 3.6+ plugins (kong/tools/redis/schema.lua) and the deprecated flat
// `redis_*` shorthands Kong 3.9 still accepts (they expand into `redis.*`; Kong removes them in 4.0).
import type { FieldDef } from '@archway/schema';
import { host, port, sni, timeout } from './typedefs';

export const redisConfig: Extract<FieldDef, { type: 'record' }> = {
  type: 'record',
  fields: {
    host,
    port: port(6379),
    /** milliseconds, for connect, send and read */
    timeout: timeout(2000),
    /** Redis 6+ ACL user; unset = no ACL authentication */
    username: { type: 'string' },
    /** unset = no AUTH */
    password: { type: 'string', len_min: 0 },
    database: { type: 'integer', default: 0 },
    ssl: { type: 'boolean', default: false },
    ssl_verify: { type: 'boolean', default: false },
    server_name: sni,
  },
};

const FLAT = ['host', 'port', 'password', 'username', 'ssl', 'ssl_verify', 'server_name', 'timeout', 'database'] as const;

export const redisShorthands: Record<string, (value: unknown) => Record<string, unknown>> = Object.fromEntries(
  FLAT.map((name) => [`redis_${name}`, (value: unknown) => ({ redis: { [name]: value } })]),
);
