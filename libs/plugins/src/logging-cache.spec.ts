import { fileLogSchema } from './file-log/schema';
import { httpLogSchema } from './http-log/schema';
import { proxyCacheSchema } from './proxy-cache/schema';
import { configOf } from './testing/config-of';

describe('http-log schema', () => {
  it("fills Kong's defaults around the endpoint", () => {
    expect(configOf(httpLogSchema, { http_endpoint: 'http://logs:9000/in' })).toEqual({
      value: {
        http_endpoint: 'http://logs:9000/in',
        method: 'POST',
        content_type: 'application/json',
        timeout: 10000,
        keepalive: 60000,
        headers: null,
        queue: {
          max_batch_size: 1,
          max_coalescing_delay: 1,
          max_entries: 10000,
          max_bytes: null,
          max_retry_time: 60,
          initial_retry_delay: 0.01,
          max_retry_delay: 60,
          concurrency_limit: 1,
        },
        custom_fields_by_lua: null,
      },
    });
  });

  it('requires the endpoint, with a host', () => {
    expect(configOf(httpLogSchema, {}).error).toEqual({ http_endpoint: 'required field missing' });
    expect(configOf(httpLogSchema, { http_endpoint: 'logs/in' }).error).toEqual({ http_endpoint: 'missing host in url' });
  });

  it('refuses a Host header and a double Authorization', () => {
    expect(configOf(httpLogSchema, { http_endpoint: 'http://l', headers: { Host: 'x' } }).error).toEqual({
      headers: { Host: "cannot contain 'Host' header" },
    });
    expect(configOf(httpLogSchema, { http_endpoint: 'http://u:p@l', headers: { Authorization: 'x' } }).error).toBe(
      "specifying both an 'Authorization' header and user info in 'http_endpoint' is not allowed",
    );
  });

  it('maps the pre-3.3 queue_size and flush_timeout onto the queue', () => {
    const r = configOf(httpLogSchema, { http_endpoint: 'http://l', queue_size: 50, flush_timeout: 5, retry_count: 3 });
    expect(r.error).toBeUndefined();
    expect(r.value).toMatchObject({ queue: { max_batch_size: 50, max_coalescing_delay: 5 } });
  });

  it('refuses Lua custom fields, which Archway cannot run', () => {
    expect(configOf(httpLogSchema, { http_endpoint: 'http://l', custom_fields_by_lua: { a: 'return 1' } }).error).toEqual({
      custom_fields_by_lua: 'not supported: Archway does not run Lua code',
    });
  });
});

describe('file-log schema', () => {
  it("fills Kong's defaults around the path", () => {
    expect(configOf(fileLogSchema, { path: '/tmp/req.log' })).toEqual({
      value: { path: '/tmp/req.log', reopen: false, custom_fields_by_lua: null },
    });
  });

  it('rejects a path with forbidden characters', () => {
    expect(configOf(fileLogSchema, { path: '/tmp/*.log' }).error).toEqual({ path: 'not a valid filename' });
  });
});

describe('proxy-cache schema', () => {
  it("fills Kong's defaults around the strategy", () => {
    expect(configOf(proxyCacheSchema, { strategy: 'memory' })).toEqual({
      value: {
        response_code: [200, 301, 404],
        request_method: ['GET', 'HEAD'],
        content_type: ['text/plain', 'application/json'],
        cache_ttl: 300,
        strategy: 'memory',
        cache_control: false,
        ignore_uri_case: false,
        storage_ttl: null,
        memory: { dictionary_name: 'kong_db_cache' },
        vary_query_params: null,
        vary_headers: null,
        response_headers: { age: true, 'X-Cache-Status': true, 'X-Cache-Key': true },
      },
    });
  });

  it('requires a strategy, as Kong does', () => {
    expect(configOf(proxyCacheSchema, {}).error).toEqual({ strategy: 'required field missing' });
  });

  it('rejects a zero ttl and an out-of-range status', () => {
    expect(configOf(proxyCacheSchema, { strategy: 'memory', cache_ttl: 0 }).error).toEqual({ cache_ttl: 'value must be greater than 0' });
    expect(configOf(proxyCacheSchema, { strategy: 'memory', response_code: [99] }).error).toEqual({
      response_code: ['value should be between 100 and 900'],
    });
  });
});
