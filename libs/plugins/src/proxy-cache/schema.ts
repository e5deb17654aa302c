// proxy-cache (kong/plugins/proxy-cache/schema.lua, Kong 3.9). Archway has the memory strategy only.
import { BUNDLED_PLUGIN_VERSION, PROTOCOLS_ALL, type PluginSchema } from '../plugin-schema';

export const proxyCacheSchema: PluginSchema = {
  name: 'proxy-cache',
  version: BUNDLED_PLUGIN_VERSION,
  priority: 100,
  protocols: PROTOCOLS_ALL,
  config: {
    type: 'record',
    fields: {
      /** upstream statuses that are cached */
      response_code: { type: 'array', required: true, default: [200, 301, 404], len_min: 1, elements: { type: 'integer', between: [100, 900] } },
      /** request methods that are cached */
      request_method: {
        type: 'array',
        required: true,
        default: ['GET', 'HEAD'],
        elements: { type: 'string', oneOf: ['HEAD', 'GET', 'POST', 'PATCH', 'PUT'] },
      },
      /** upstream Content-Types cached (exact match) */
      content_type: { type: 'array', required: true, default: ['text/plain', 'application/json'], elements: { type: 'string' } },
      /** seconds an entry is fresh */
      cache_ttl: { type: 'integer', default: 300, gt: 0 },
      /** Kong also has `redis` (Enterprise only); Kong requires the field, with no default */
      strategy: { type: 'string', required: true, oneOf: ['memory'] },
      /** honour Cache-Control (RFC 7234) from clients and upstreams */
      cache_control: { type: 'boolean', required: true, default: false },
      ignore_uri_case: { type: 'boolean', default: false },
      /** seconds an entry is kept after it goes stale; unset = cache_ttl */
      storage_ttl: { type: 'integer' },
      /** Kong's shared dict name; Archway keeps one in-process store per dictionary name */
      memory: { type: 'record', fields: { dictionary_name: { type: 'string', required: true, default: 'kong_db_cache' } } },
      /** query parameters in the cache key; unset = all */
      vary_query_params: { type: 'array', elements: { type: 'string' } },
      /** request headers in the cache key; unset = none */
      vary_headers: { type: 'array', elements: { type: 'string' } },
      /** which diagnostic headers cached responses carry */
      response_headers: {
        type: 'record',
        fields: {
          age: { type: 'boolean', default: true },
          'X-Cache-Status': { type: 'boolean', default: true },
          'X-Cache-Key': { type: 'boolean', default: true },
        },
      },
    },
  },
};
