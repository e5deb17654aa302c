// request-tag: a worked example of an Archway plugin (docs/plugins/authoring.md). It tags every
// request with a header for the upstream, optionally naming the consumer, and may echo the tag back.
import { BUNDLED_PLUGIN_VERSION, type PluginSchema } from '@archway/plugins';

/** Kong's header-name rule and message (libs/plugins has it as `headerName` in typedefs.ts). */
const headerName = (v: string) => (/^[a-zA-Z0-9_-]+$/.test(v) ? null : `bad header name '${v}', allowed characters are A-Z, a-z, 0-9, '_', and '-'`);

export const requestTagSchema: PluginSchema = {
  name: 'request-tag',
  version: BUNDLED_PLUGIN_VERSION,
  // after authentication (key-auth 1250 … acl 950) and rate-limiting (910), so the consumer is known
  priority: 790,
  protocols: ['http', 'https'],
  config: {
    type: 'record',
    fields: {
      /** the tag itself */
      tag: { type: 'string', required: true },
      /** the header that carries it upstream */
      header_name: { type: 'string', required: true, default: 'X-Request-Tag', check: headerName },
      /** replace a tag the client sent (false: the client's tag is kept) */
      override: { type: 'boolean', required: true, default: false },
      /** append `; consumer=<username or id>` once a consumer was identified */
      with_consumer: { type: 'boolean', required: true, default: false },
      /** also return the header to the client */
      echo_downstream: { type: 'boolean', required: true, default: false },
    },
  },
};
