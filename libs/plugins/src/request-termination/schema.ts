// request-termination (kong/plugins/request-termination/schema.lua, Kong 3.9).
import { configChecks } from '../checks';
import { BUNDLED_PLUGIN_VERSION, PROTOCOLS_HTTP, type PluginSchema } from '../plugin-schema';
import { headerName } from '../typedefs';

const isPresent = (v: unknown) => typeof v === 'string' && v.length > 0;

/** Kong's custom_validator, reported on `config` itself. */
function bodyRules(config: Record<string, unknown>): string | null {
  const { message, content_type: contentType, body, echo } = config;
  if (isPresent(message) && (isPresent(contentType) || isPresent(body))) return 'message cannot be used with content_type or body';
  if (isPresent(contentType) && !isPresent(body)) return 'content_type requires a body';
  if (echo && (isPresent(contentType) || isPresent(body))) return 'echo cannot be used with content_type and body';
  return null;
}

export const requestTerminationSchema: PluginSchema = {
  name: 'request-termination',
  version: BUNDLED_PLUGIN_VERSION,
  priority: 2,
  protocols: PROTOCOLS_HTTP,
  config: {
    type: 'record',
    fields: {
      status_code: { type: 'integer', required: true, default: 503, between: [100, 599] },
      /** JSON `{"message": …}` body (Kong's default message for the status when unset) */
      message: { type: 'string' },
      /** raw body, with its content_type */
      content_type: { type: 'string' },
      body: { type: 'string' },
      /** answer with the request itself (for debugging) */
      echo: { type: 'boolean', required: true, default: false },
      /** terminate only when this header or query parameter is present */
      trigger: headerName,
    },
    check: configChecks([], bodyRules),
  },
};
