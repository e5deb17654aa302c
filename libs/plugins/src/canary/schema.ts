// canary: Archway's canary release (issue 5), named after Kong Enterprise's canary plugin where the
// two overlap. A share of a route's traffic goes to an alternate target, either a fixed percentage
// or a timed ramp (start + duration in steps); which requests go is random per request or sticky by
// consumer, client IP or a header's value. Changing the share is a PATCH of the plugin, no redeploy.
import { atLeastOneOf, configChecks, onlyOneOf, requiredWhen } from '../checks';
import { BUNDLED_PLUGIN_VERSION, PROTOCOLS_HTTP, type PluginSchema } from '../plugin-schema';
import { headerName, host, port } from '../typedefs';

export const canarySchema: PluginSchema = {
  name: 'canary',
  version: BUNDLED_PLUGIN_VERSION,
  priority: 20,
  protocols: PROTOCOLS_HTTP,
  config: {
    type: 'record',
    fields: {
      /** share of requests (0–100, decimals allowed) sent to the canary; wins over a ramp */
      percentage: { type: 'number', between: [0, 100] },
      /** a ramp: epoch seconds when the share starts growing from 0 */
      start: { type: 'number', gt: 0 },
      /** a ramp: seconds from 0% to 100% */
      duration: { type: 'number', default: 3600, gt: 0 },
      /** a ramp: how many equal steps the share grows in */
      steps: { type: 'integer', default: 1000, gt: 1 },
      /** the canary target: host and/or port and/or path replacing the route's upstream ones … */
      upstream_host: host,
      upstream_port: port(),
      upstream_uri: { type: 'string', check: (v) => (v.startsWith('/') ? null : 'should start with: /') },
      /** … or another service, by id (its whole upstream: protocol, host, port, path) */
      target_service: {
        type: 'record',
        default: null,
        fields: { id: { type: 'string', uuid: true, required: true } },
      },
      /**
       * how requests are assigned: none = random per request; consumer (falls back to ip when no
       * consumer is identified), ip or header = sticky by the hash of that value
       */
      hash: { type: 'string', default: 'consumer', oneOf: ['none', 'consumer', 'ip', 'header'] },
      /** the header hashed when hash = header */
      hash_header: headerName,
      /** a header that overrides the assignment: value `always` sends to the canary, `never` to the primary */
      canary_by_header_name: headerName,
    },
    check: configChecks([
      atLeastOneOf('percentage', 'start'),
      atLeastOneOf('upstream_host', 'upstream_port', 'upstream_uri', 'target_service'),
      onlyOneOf('upstream_host', 'target_service'),
      onlyOneOf('upstream_port', 'target_service'),
      requiredWhen('hash', 'header', 'hash_header'),
    ]),
  },
};
