// correlation-id (kong/plugins/correlation-id/schema.lua, Kong 3.9).
import { BUNDLED_PLUGIN_VERSION, type PluginSchema } from '../plugin-schema';

export const correlationIdSchema: PluginSchema = {
  name: 'correlation-id',
  version: BUNDLED_PLUGIN_VERSION,
  priority: 100001,
  config: {
    type: 'record',
    fields: {
      header_name: { type: 'string', default: 'Kong-Request-ID' },
      /** uuid: a v4 UUID per request; uuid#counter: one UUID per worker plus a counter; tracker: nginx-style */
      generator: { type: 'string', default: 'uuid#counter', oneOf: ['uuid', 'uuid#counter', 'tracker'] },
      /** also return the header to the client */
      echo_downstream: { type: 'boolean', default: false },
    },
  },
};
