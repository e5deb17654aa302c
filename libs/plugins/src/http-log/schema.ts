// http-log (kong/plugins/http-log/schema.lua, Kong 3.9): batched through Kong's queue settings; the
// pre-3.3 `queue_size`/`flush_timeout`/`retry_count` are accepted as shorthands as Kong 3.9 does.
import { configChecks, noLuaCode } from '../checks';
import { BUNDLED_PLUGIN_VERSION, PROTOCOLS_ALL, type PluginSchema } from '../plugin-schema';
import { queueConfig } from '../queue';
import { headerNameError, luaCode, url } from '../typedefs';

const FORBIDDEN_HEADERS: Record<string, string> = {
  host: "cannot contain 'Host' header",
  'content-length': "cannot contain 'Content-Length' header",
  'content-type': "cannot contain 'Content-Type' header",
};

/** Kong's custom_validator: credentials in the URL and an Authorization header would clash. */
function noDoubleAuthorization(config: Record<string, unknown>): string | null {
  const hasUserinfo = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*@/.test(config.http_endpoint as string);
  const headers = (config.headers as Record<string, string> | null) ?? {};
  if (hasUserinfo && Object.keys(headers).some((h) => h.toLowerCase() === 'authorization'))
    return "specifying both an 'Authorization' header and user info in 'http_endpoint' is not allowed";
  return null;
}

export const httpLogSchema: PluginSchema = {
  name: 'http-log',
  version: BUNDLED_PLUGIN_VERSION,
  priority: 12,
  protocols: PROTOCOLS_ALL,
  config: {
    type: 'record',
    fields: {
      /** where log records are sent; user info in the URL becomes a basic Authorization header */
      http_endpoint: { ...url, required: true },
      method: { type: 'string', default: 'POST', oneOf: ['POST', 'PUT', 'PATCH'] },
      content_type: { type: 'string', default: 'application/json', oneOf: ['application/json', 'application/json; charset=utf-8'] },
      /** milliseconds */
      timeout: { type: 'number', default: 10000 },
      /** milliseconds an idle connection to the endpoint is kept */
      keepalive: { type: 'number', default: 60000 },
      /** extra headers on each log request */
      headers: {
        type: 'map',
        keys: { type: 'string', check: (v) => FORBIDDEN_HEADERS[v.toLowerCase()] ?? headerNameError(v) },
        values: { type: 'string' },
      },
      queue: queueConfig,
      custom_fields_by_lua: luaCode,
    },
    shorthands: {
      // deprecated in Kong 3.3; Kong ignores it (retries are governed by queue.max_retry_time)
      retry_count: () => ({}),
      queue_size: (v) => ({ queue: { max_batch_size: v } }),
      flush_timeout: (v) => ({ queue: { max_coalescing_delay: v } }),
    },
    check: configChecks([noLuaCode], noDoubleAuthorization),
  },
};
