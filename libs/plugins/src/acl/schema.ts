// acl (kong/plugins/acl/schema.lua, Kong 3.9 open-source fields).
import { atLeastOneOf, configChecks, onlyOneOf } from '../checks';
import { BUNDLED_PLUGIN_VERSION, PROTOCOLS_HTTP, type PluginSchema } from '../plugin-schema';

export const aclSchema: PluginSchema = {
  name: 'acl',
  version: BUNDLED_PLUGIN_VERSION,
  priority: 950,
  protocols: PROTOCOLS_HTTP,
  noConsumer: true,
  config: {
    type: 'record',
    fields: {
      /** groups allowed to consume the route/service */
      allow: { type: 'array', elements: { type: 'string' } },
      /** groups refused */
      deny: { type: 'array', elements: { type: 'string' } },
      /** do not send X-Consumer-Groups upstream */
      hide_groups_header: { type: 'boolean', required: true, default: false },
      /** prefer the groups an authentication plugin set over the consumer's */
      always_use_authenticated_groups: { type: 'boolean', required: true, default: false },
    },
    check: configChecks([onlyOneOf('allow', 'deny'), atLeastOneOf('allow', 'deny')]),
  },
};
