// request-size-limiting (kong/plugins/request-size-limiting/schema.lua, Kong 3.9).
import { BUNDLED_PLUGIN_VERSION, PROTOCOLS_HTTP, type PluginSchema } from '../plugin-schema';

export const requestSizeLimitingSchema: PluginSchema = {
  name: 'request-size-limiting',
  version: BUNDLED_PLUGIN_VERSION,
  priority: 951,
  protocols: PROTOCOLS_HTTP,
  config: {
    type: 'record',
    fields: {
      /** the largest body allowed, in `size_unit`s */
      allowed_payload_size: { type: 'integer', required: true, default: 128 },
      size_unit: { type: 'string', required: true, default: 'megabytes', oneOf: ['megabytes', 'kilobytes', 'bytes'] },
      /** answer 411 when a request has a body but no Content-Length */
      require_content_length: { type: 'boolean', required: true, default: false },
    },
  },
};
