import { corsSchema } from './cors/schema';
import { ipRestrictionSchema } from './ip-restriction/schema';
import { rateLimitingSchema } from './rate-limiting/schema';
import { requestSizeLimitingSchema } from './request-size-limiting/schema';
import { requestTerminationSchema } from './request-termination/schema';
import { configOf } from './testing/config-of';

describe('rate-limiting schema (Kong 3.9 shape, redis nested)', () => {
  it("fills Kong's defaults around one limit", () => {
    expect(configOf(rateLimitingSchema, { minute: 5 })).toEqual({
      value: {
        second: null,
        minute: 5,
        hour: null,
        day: null,
        month: null,
        year: null,
        limit_by: 'consumer',
        header_name: null,
        path: null,
        policy: 'local',
        fault_tolerant: true,
        redis: {
          host: null,
          port: 6379,
          timeout: 2000,
          username: null,
          password: null,
          database: 0,
          ssl: false,
          ssl_verify: false,
          server_name: null,
        },
        hide_client_headers: false,
        error_code: 429,
        error_message: 'API rate limit exceeded',
        sync_rate: -1,
      },
    });
  });

  it('requires at least one limit', () => {
    expect(configOf(rateLimitingSchema, {}).error).toEqual({
      '@entity': [
        "at least one of these fields must be non-empty: 'config.second', 'config.minute', 'config.hour', 'config.day', 'config.month', 'config.year'",
      ],
    });
  });

  it('accepts fractional limits and refuses zero', () => {
    expect(configOf(rateLimitingSchema, { second: 0.5 }).error).toBeUndefined();
    expect(configOf(rateLimitingSchema, { second: 0 }).error).toEqual({ second: 'value must be greater than 0' });
  });

  it('refuses a longer window with a lower limit', () => {
    expect(configOf(rateLimitingSchema, { second: 10, minute: 5 }).error).toBe(
      'The limit for minute(5.0) cannot be lower than the limit for second(10.0)',
    );
  });

  it('requires header_name when limiting by header, and path when by path', () => {
    expect(configOf(rateLimitingSchema, { minute: 1, limit_by: 'header' }).error).toEqual({
      header_name: 'required field missing',
      '@entity': ["failed conditional validation given value of field 'config.limit_by'"],
    });
    expect(configOf(rateLimitingSchema, { minute: 1, limit_by: 'path' }).error).toEqual({
      path: 'required field missing',
      '@entity': ["failed conditional validation given value of field 'config.limit_by'"],
    });
  });

  it('requires a redis host with the redis policy', () => {
    expect(configOf(rateLimitingSchema, { minute: 1, policy: 'redis' }).error).toEqual({
      redis: { host: 'required field missing' },
      '@entity': ["failed conditional validation given value of field 'config.policy'"],
    });
  });

  it("refuses the cluster policy, as Kong's hybrid mode does", () => {
    expect(configOf(rateLimitingSchema, { minute: 1, policy: 'cluster' }).error).toEqual({ policy: 'expected one of: local, redis' });
  });

  it('accepts the pre-3.6 flat redis fields as shorthands for config.redis', () => {
    const r = configOf(rateLimitingSchema, { minute: 1, policy: 'redis', redis_host: 'cache.internal', redis_port: 6380 });
    expect(r.error).toBeUndefined();
    expect((r.value as { redis: object }).redis).toMatchObject({ host: 'cache.internal', port: 6380, timeout: 2000 });
  });

  it('coerces form values, including shorthands', () => {
    const r = configOf(rateLimitingSchema, { minute: '2.5', policy: 'redis', redis_host: 'cache', redis_port: '7000' }, true);
    expect(r.error).toBeUndefined();
    expect(r.value).toMatchObject({ minute: 2.5, redis: { host: 'cache', port: 7000 } });
  });

  it('refuses a sync_rate other than -1 on the field: batched syncing to Redis is not implemented', () => {
    const redis = { policy: 'redis', redis: { host: 'r' } };
    for (const syncRate of [0.02, 1, 10])
      expect(configOf(rateLimitingSchema, { minute: 1, sync_rate: syncRate, ...redis }).error).toEqual({
        sync_rate: 'not supported: only -1 (every request counted in Redis at once) is implemented',
      });
    expect(configOf(rateLimitingSchema, { minute: 1, sync_rate: -1, ...redis }).error).toBeUndefined();
  });

  it('allows sync_rate only with redis', () => {
    expect(configOf(rateLimitingSchema, { minute: 1, sync_rate: 1 }).error).toBe('sync_rate can only be used with the redis policy');
    expect(configOf(rateLimitingSchema, { minute: 1, sync_rate: 0.01, policy: 'redis', redis: { host: 'r' } }).error).toBe(
      'sync_rate must be greater than 0.02, or -1 to disable',
    );
  });
});

describe('request-size-limiting schema', () => {
  it("fills Kong's defaults for an empty config", () => {
    expect(configOf(requestSizeLimitingSchema, {})).toEqual({
      value: { allowed_payload_size: 128, size_unit: 'megabytes', require_content_length: false },
    });
  });

  it('rejects an unknown size unit', () => {
    expect(configOf(requestSizeLimitingSchema, { size_unit: 'gigabytes' }).error).toEqual({
      size_unit: 'expected one of: megabytes, kilobytes, bytes',
    });
  });
});

describe('ip-restriction schema', () => {
  it("fills Kong's defaults around a deny list", () => {
    expect(configOf(ipRestrictionSchema, { deny: ['10.0.0.0/8', '::1'] })).toEqual({
      value: { allow: null, deny: ['10.0.0.0/8', '::1'], status: null, message: null },
    });
  });

  it('requires allow or deny', () => {
    expect(configOf(ipRestrictionSchema, {}).error).toEqual({
      '@entity': ["at least one of these fields must be non-empty: 'config.allow', 'config.deny'"],
    });
  });

  it('rejects something that is not an IP or CIDR range', () => {
    expect(configOf(ipRestrictionSchema, { allow: ['10.0.0.0/33'] }).error).toEqual({
      allow: ["invalid ip or cidr range: '10.0.0.0/33'"],
    });
  });
});

describe('cors schema', () => {
  it("fills Kong's defaults for an empty config", () => {
    expect(configOf(corsSchema, {})).toEqual({
      value: {
        origins: null,
        headers: null,
        exposed_headers: null,
        methods: ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'],
        max_age: null,
        credentials: false,
        private_network: false,
        preflight_continue: false,
        allow_origin_absent: true,
      },
    });
  });

  it('rejects an origin that is not a valid regex', () => {
    expect(configOf(corsSchema, { origins: ['https://(a'] }).error).toEqual({ origins: ["'https://(a' is not a valid regex"] });
  });

  it('rejects an unknown method', () => {
    expect(configOf(corsSchema, { methods: ['FETCH'] }).error).toEqual({
      methods: ['expected one of: GET, HEAD, PUT, PATCH, POST, DELETE, OPTIONS, TRACE, CONNECT'],
    });
  });
});

describe('request-termination schema', () => {
  it("fills Kong's defaults for an empty config", () => {
    expect(configOf(requestTerminationSchema, {})).toEqual({
      value: { status_code: 503, message: null, content_type: null, body: null, echo: false, trigger: null },
    });
  });

  it('bounds the status code', () => {
    expect(configOf(requestTerminationSchema, { status_code: 600 }).error).toEqual({ status_code: 'value should be between 100 and 599' });
  });

  it("refuses message with body, and content_type without body, with Kong's messages", () => {
    expect(configOf(requestTerminationSchema, { message: 'x', body: 'y' }).error).toBe('message cannot be used with content_type or body');
    expect(configOf(requestTerminationSchema, { content_type: 'text/plain' }).error).toBe('content_type requires a body');
    expect(configOf(requestTerminationSchema, { echo: true, body: 'y' }).error).toBe('echo cannot be used with content_type and body');
  });
});
