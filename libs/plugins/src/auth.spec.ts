import { aclSchema } from './acl/schema';
import { basicAuthSchema } from './basic-auth/schema';
import { jwtSchema } from './jwt/schema';
import { keyAuthSchema } from './key-auth/schema';
import { configOf } from './testing/config-of';

describe('key-auth schema', () => {
  it("fills Kong's defaults for an empty config", () => {
    expect(configOf(keyAuthSchema, {})).toEqual({
      value: {
        key_names: ['apikey'],
        hide_credentials: false,
        anonymous: null,
        key_in_header: true,
        key_in_query: true,
        key_in_body: false,
        run_on_preflight: true,
        realm: null,
      },
    });
  });

  it('rejects a key name that is not a header name', () => {
    expect(configOf(keyAuthSchema, { key_names: ['api key'] }).error).toEqual({
      key_names: ["bad header name 'api key', allowed characters are A-Z, a-z, 0-9, '_', and '-'"],
    });
  });

  it('may not be scoped to a consumer', () => {
    expect(keyAuthSchema.noConsumer).toBe(true);
  });
});

describe('basic-auth schema', () => {
  it("fills Kong's defaults for an empty config", () => {
    expect(configOf(basicAuthSchema, {})).toEqual({ value: { anonymous: null, hide_credentials: false, realm: 'service' } });
  });

  it('rejects a non-boolean hide_credentials', () => {
    expect(configOf(basicAuthSchema, { hide_credentials: 'yes' }).error).toEqual({ hide_credentials: 'expected a boolean' });
  });
});

describe('jwt schema', () => {
  it("fills Kong's defaults for an empty config", () => {
    expect(configOf(jwtSchema, {})).toEqual({
      value: {
        uri_param_names: ['jwt'],
        cookie_names: [],
        key_claim_name: 'iss',
        secret_is_base64: false,
        claims_to_verify: null,
        anonymous: null,
        run_on_preflight: true,
        maximum_expiration: 0,
        header_names: ['authorization'],
        realm: null,
      },
    });
  });

  it('rejects an unknown claim to verify', () => {
    expect(configOf(jwtSchema, { claims_to_verify: ['iat'] }).error).toEqual({ claims_to_verify: ['expected one of: exp, nbf'] });
  });

  it("requires 'exp' among the claims when maximum_expiration is set", () => {
    expect(configOf(jwtSchema, { maximum_expiration: 60, claims_to_verify: ['nbf'] }).error).toEqual({
      claims_to_verify: 'expected to contain: exp',
      '@entity': ["failed conditional validation given value of field 'config.maximum_expiration'"],
    });
    expect(configOf(jwtSchema, { maximum_expiration: 60, claims_to_verify: ['exp'] }).error).toBeUndefined();
  });

  it('bounds maximum_expiration to a year', () => {
    expect(configOf(jwtSchema, { maximum_expiration: 31536001 }).error).toEqual({
      maximum_expiration: 'value should be between 0 and 31536000',
    });
  });
});

describe('acl schema', () => {
  it("fills Kong's defaults around an allow list", () => {
    expect(configOf(aclSchema, { allow: ['gold'] })).toEqual({
      value: { allow: ['gold'], deny: null, hide_groups_header: false, always_use_authenticated_groups: false },
    });
  });

  it('requires allow or deny', () => {
    expect(configOf(aclSchema, {}).error).toEqual({
      '@entity': ["at least one of these fields must be non-empty: 'config.allow', 'config.deny'"],
    });
  });

  it('refuses both allow and deny', () => {
    expect(configOf(aclSchema, { allow: ['a'], deny: ['b'] }).error).toEqual({
      '@entity': ["only one of these fields must be non-empty: 'config.allow', 'config.deny'"],
    });
  });
});
