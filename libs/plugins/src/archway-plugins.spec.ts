import { canarySchema } from './canary/schema';
import { externalSchema } from './external/schema';
import { configOf } from './testing/config-of';

describe('canary schema', () => {
  it('fills defaults around a percentage and an upstream host', () => {
    expect(configOf(canarySchema, { percentage: 10, upstream_host: 'v2.internal' })).toEqual({
      value: {
        percentage: 10,
        start: null,
        duration: 3600,
        steps: 1000,
        upstream_host: 'v2.internal',
        upstream_port: null,
        upstream_uri: null,
        target_service: null,
        hash: 'consumer',
        hash_header: null,
        canary_by_header_name: null,
      },
    });
  });

  it('accepts a target service by id', () => {
    const id = '6f1b9f0e-3f7e-4b8e-9a0a-3c1f4e2b7d10';
    expect(configOf(canarySchema, { percentage: 50, target_service: { id } }).value).toMatchObject({ target_service: { id } });
  });

  it('requires a share and a target', () => {
    expect(configOf(canarySchema, {}).error).toEqual({
      '@entity': [
        "at least one of these fields must be non-empty: 'config.percentage', 'config.start'",
        "at least one of these fields must be non-empty: 'config.upstream_host', 'config.upstream_port', 'config.upstream_uri', 'config.target_service'",
      ],
    });
  });

  it('bounds the percentage and refuses an upstream host together with a service', () => {
    expect(configOf(canarySchema, { percentage: 101, upstream_uri: '/v2' }).error).toEqual({ percentage: 'value should be between 0 and 100' });
    expect(
      configOf(canarySchema, { percentage: 5, upstream_host: 'a', target_service: { id: '6f1b9f0e-3f7e-4b8e-9a0a-3c1f4e2b7d10' } }).error,
    ).toEqual({ '@entity': ["only one of these fields must be non-empty: 'config.upstream_host', 'config.target_service'"] });
  });

  it('requires hash_header when hashing by header', () => {
    expect(configOf(canarySchema, { percentage: 5, upstream_uri: '/v2', hash: 'header' }).error).toEqual({
      hash_header: 'required field missing',
      '@entity': ["failed conditional validation given value of field 'config.hash'"],
    });
  });
});

describe('external schema', () => {
  it('fills defaults around the url', () => {
    expect(configOf(externalSchema, { url: 'http://plugin:8080/hook' })).toEqual({
      value: {
        url: 'http://plugin:8080/hook',
        protocol: 'http',
        timeout: 1000,
        fail_open: false,
        keepalive: 60000,
        headers: [],
        include_body: false,
      },
    });
  });

  it('accepts a gRPC endpoint with protocol grpc', () => {
    expect(configOf(externalSchema, { url: 'grpc://plugin:9090', protocol: 'grpc' }).error).toBeUndefined();
  });

  it('refuses a grpc url with the http protocol, and a missing url', () => {
    expect(configOf(externalSchema, { url: 'grpc://plugin:9090' }).error).toBe(
      "url scheme 'grpc' cannot be used with protocol 'http'; expected one of: http, https",
    );
    expect(configOf(externalSchema, {}).error).toEqual({ url: 'required field missing' });
  });

  it('rejects a header name with a space', () => {
    expect(configOf(externalSchema, { url: 'http://p', headers: ['x id'] }).error).toEqual({
      headers: ["bad header name 'x id', allowed characters are A-Z, a-z, 0-9, '_', and '-'"],
    });
  });
});
