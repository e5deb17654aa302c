// ip-restriction (kong/plugins/ip-restriction/schema.lua, Kong 3.9).
import { atLeastOneOf, configChecks } from '../checks';
import { BUNDLED_PLUGIN_VERSION, type PluginSchema } from '../plugin-schema';
import { ipOrCidr } from '../typedefs';

export const ipRestrictionSchema: PluginSchema = {
  name: 'ip-restriction',
  version: BUNDLED_PLUGIN_VERSION,
  priority: 990,
  protocols: ['http', 'https', 'tcp', 'tls', 'grpc', 'grpcs'],
  config: {
    type: 'record',
    fields: {
      /** IPs or CIDR ranges allowed */
      allow: { type: 'array', elements: ipOrCidr },
      /** IPs or CIDR ranges refused (deny wins over allow) */
      deny: { type: 'array', elements: ipOrCidr },
      /** status of a refusal (default 403) */
      status: { type: 'number' },
      /** body message of a refusal (default "IP address not allowed: <ip>") */
      message: { type: 'string' },
    },
    check: configChecks([atLeastOneOf('allow', 'deny')]),
  },
};
