// jwt (kong/plugins/jwt/schema.lua, Kong 3.9).
import type { FieldErrors } from '@archway/schema';
import { configChecks, entityError, setFieldError } from '../checks';
import { BUNDLED_PLUGIN_VERSION, PROTOCOLS_HTTP, type PluginSchema } from '../plugin-schema';

/**
 * Kong's conditional: maximum_expiration > 0 requires claims_to_verify to contain "exp". As in Kong,
 * a null claims_to_verify passes (a conditional's `contains` does not run on null).
 */
function expRequiredForMaximumExpiration(config: Record<string, unknown>, errors: FieldErrors): void {
  const claims = config.claims_to_verify as string[] | null;
  if ((config.maximum_expiration as number) <= 0 || claims === null || claims.includes('exp')) return;
  setFieldError(errors, 'claims_to_verify', 'expected to contain: exp');
  entityError(errors, "failed conditional validation given value of field 'config.maximum_expiration'");
}

export const jwtSchema: PluginSchema = {
  name: 'jwt',
  version: BUNDLED_PLUGIN_VERSION,
  priority: 1450,
  protocols: PROTOCOLS_HTTP,
  noConsumer: true,
  config: {
    type: 'record',
    fields: {
      /** query parameters inspected for a token */
      uri_param_names: { type: 'set', default: ['jwt'], elements: { type: 'string' } },
      /** cookies inspected for a token */
      cookie_names: { type: 'set', default: [], elements: { type: 'string' } },
      /** the claim holding the credential's key */
      key_claim_name: { type: 'string', default: 'iss' },
      secret_is_base64: { type: 'boolean', required: true, default: false },
      claims_to_verify: { type: 'set', elements: { type: 'string', oneOf: ['exp', 'nbf'] } },
      /** consumer id or username to use when authentication fails */
      anonymous: { type: 'string' },
      run_on_preflight: { type: 'boolean', required: true, default: true },
      /** seconds; 0 = no limit on a token's lifetime */
      maximum_expiration: { type: 'number', default: 0, between: [0, 31536000] },
      /** headers inspected for a token */
      header_names: { type: 'set', default: ['authorization'], elements: { type: 'string' } },
      realm: { type: 'string' },
    },
    check: configChecks([expRequiredForMaximumExpiration]),
  },
};
