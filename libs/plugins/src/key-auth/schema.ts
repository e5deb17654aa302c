// key-auth (kong/plugins/key-auth/schema.lua, Kong 3.9).
import { BUNDLED_PLUGIN_VERSION, PROTOCOLS_HTTP, type PluginSchema } from '../plugin-schema';
import { headerName } from '../typedefs';

export const keyAuthSchema: PluginSchema = {
  name: 'key-auth',
  version: BUNDLED_PLUGIN_VERSION,
  priority: 1250,
  protocols: PROTOCOLS_HTTP,
  noConsumer: true,
  config: {
    type: 'record',
    fields: {
      /** where to look for the key: header names, query parameter names and body field names */
      key_names: { type: 'array', required: true, default: ['apikey'], elements: headerName },
      /** strip the credential before proxying */
      hide_credentials: { type: 'boolean', required: true, default: false },
      /** consumer id or username to use when authentication fails */
      anonymous: { type: 'string' },
      key_in_header: { type: 'boolean', required: true, default: true },
      key_in_query: { type: 'boolean', required: true, default: true },
      key_in_body: { type: 'boolean', required: true, default: false },
      /** authenticate OPTIONS preflight requests too */
      run_on_preflight: { type: 'boolean', required: true, default: true },
      /** realm of the WWW-Authenticate header on 401 */
      realm: { type: 'string' },
    },
  },
};
