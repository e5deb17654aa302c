// basic-auth (kong/plugins/basic-auth/schema.lua, Kong 3.9).
import { BUNDLED_PLUGIN_VERSION, PROTOCOLS_HTTP, type PluginSchema } from '../plugin-schema';

export const basicAuthSchema: PluginSchema = {
  name: 'basic-auth',
  version: BUNDLED_PLUGIN_VERSION,
  priority: 1100,
  protocols: PROTOCOLS_HTTP,
  noConsumer: true,
  config: {
    type: 'record',
    fields: {
      /** consumer id or username to use when authentication fails */
      anonymous: { type: 'string' },
      hide_credentials: { type: 'boolean', required: true, default: false },
      /** realm of the `WWW-Authenticate: Basic realm="…"` header on 401 */
      realm: { type: 'string', required: true, default: 'service' },
    },
  },
};
