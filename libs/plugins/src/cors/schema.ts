// cors (kong/plugins/cors/schema.lua, Kong 3.9).
import { BUNDLED_PLUGIN_VERSION, PROTOCOLS_HTTP, type PluginSchema } from '../plugin-schema';

export const CORS_METHODS = ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'] as const;

/** Kong's validate_asterisk_or_regex: origins are `*`, plain strings or PCRE regexes. */
function asteriskOrRegex(v: string): string | null {
  if (v === '*') return null;
  try {
    new RegExp(v);
    return null;
  } catch {
    return `'${v}' is not a valid regex`;
  }
}

export const corsSchema: PluginSchema = {
  name: 'cors',
  version: BUNDLED_PLUGIN_VERSION,
  priority: 2000,
  protocols: PROTOCOLS_HTTP,
  noConsumer: true,
  config: {
    type: 'record',
    fields: {
      /** allowed origins: `*`, exact origins or regexes; none = `Access-Control-Allow-Origin: *` */
      origins: { type: 'array', elements: { type: 'string', check: asteriskOrRegex } },
      /** Access-Control-Allow-Headers; none = echo the request's Access-Control-Request-Headers */
      headers: { type: 'array', elements: { type: 'string' } },
      /** Access-Control-Expose-Headers */
      exposed_headers: { type: 'array', elements: { type: 'string' } },
      /** Access-Control-Allow-Methods */
      methods: { type: 'array', default: [...CORS_METHODS], elements: { type: 'string', oneOf: CORS_METHODS } },
      /** Access-Control-Max-Age, seconds */
      max_age: { type: 'number' },
      /** send Access-Control-Allow-Credentials: true */
      credentials: { type: 'boolean', required: true, default: false },
      /** send Access-Control-Allow-Private-Network: true on preflights that ask */
      private_network: { type: 'boolean', required: true, default: false },
      /** proxy OPTIONS preflights upstream instead of answering them */
      preflight_continue: { type: 'boolean', required: true, default: false },
      /** add CORS headers even when the request has no Origin */
      allow_origin_absent: { type: 'boolean', required: true, default: true },
    },
  },
};
