import { validateEntity } from '../entity';
import { upstreamSchema } from './upstream';
import type { Upstream } from './upstream';
import { fieldsOf } from '../testing/violations';

const create = (input: Record<string, unknown>, fromForm = false) =>
  validateEntity<Upstream>(upstreamSchema, input, 'create', { fromForm, now: 1700000000 });

const KONG_HEALTHCHECKS = {
  active: {
    type: 'http',
    timeout: 1,
    concurrency: 10,
    http_path: '/',
    https_sni: null,
    https_verify_certificate: true,
    headers: null,
    healthy: { interval: 0, http_statuses: [200, 302], successes: 0 },
    unhealthy: {
      interval: 0,
      http_statuses: [429, 404, 500, 501, 502, 503, 504, 505],
      tcp_failures: 0,
      timeouts: 0,
      http_failures: 0,
    },
  },
  passive: {
    type: 'http',
    healthy: {
      http_statuses: [200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308],
      successes: 0,
    },
    unhealthy: { http_statuses: [429, 500, 503], tcp_failures: 0, timeouts: 0, http_failures: 0 },
  },
  threshold: 0,
};

const conditional = (field: string) => `failed conditional validation given value of field '${field}'`;

describe('upstreams schema', () => {
  it("fills in Kong's defaults, health checks off", () => {
    const u = create({ name: 'my.upstream' });
    expect(u).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      created_at: 1700000000,
      updated_at: 1700000000,
      name: 'my.upstream',
      algorithm: 'round-robin',
      hash_on: 'none',
      hash_fallback: 'none',
      hash_on_header: null,
      hash_fallback_header: null,
      hash_on_cookie: null,
      hash_on_cookie_path: '/',
      hash_on_query_arg: null,
      hash_fallback_query_arg: null,
      hash_on_uri_capture: null,
      hash_fallback_uri_capture: null,
      slots: 10000,
      healthchecks: KONG_HEALTHCHECKS,
      host_header: null,
      client_certificate: null,
      use_srv_name: false,
      tags: null,
      circuit_breaker: {
        enabled: false,
        failure_threshold: 5,
        failure_ratio: 0.5,
        window: 10,
        cool_down: 30,
        half_open_requests: 1,
      },
    });
  });

  it('keeps the defaults around a partial healthchecks record', () => {
    const u = create({ name: 'u', healthchecks: { active: { healthy: { interval: 5, successes: 2 } }, threshold: 23.5 } });
    expect(u.healthchecks.active.healthy).toEqual({ interval: 5, http_statuses: [200, 302], successes: 2 });
    expect(u.healthchecks.active.unhealthy).toEqual(KONG_HEALTHCHECKS.active.unhealthy);
    expect(u.healthchecks.passive).toEqual(KONG_HEALTHCHECKS.passive);
    expect(u.healthchecks.threshold).toBe(23.5);
  });

  it.each([
    ['some invalid host name', "Invalid name ('some invalid host name'); must be a valid hostname"],
    ['10.0.0.1', "Invalid name ('10.0.0.1'); no ip addresses allowed"],
    ['my.upstream:80', "Invalid name ('my.upstream:80'); no port allowed"],
  ])('rejects the name %s as Kong words it', (name, message) => {
    expect(fieldsOf(() => create({ name }))).toEqual({ name: message });
  });

  it('requires a name', () => {
    expect(fieldsOf(() => create({ slots: 50 }))).toEqual({ name: 'required field missing' });
  });

  it('bounds slots to 10..65536 and coerces form values', () => {
    expect(create({ name: 'u', slots: 65536 }).slots).toBe(65536);
    expect(fieldsOf(() => create({ name: 'u', slots: 65537 }))).toEqual({ slots: 'value should be between 10 and 65536' });
    expect(create({ name: 'u', slots: '10', use_srv_name: 'true' }, true)).toMatchObject({ slots: 10, use_srv_name: true });
  });

  it('lists the algorithms and hash inputs in Kong order when one is unknown', () => {
    expect(fieldsOf(() => create({ name: 'u', algorithm: 'round-connections' }))).toEqual({
      algorithm: 'expected one of: consistent-hashing, least-connections, round-robin, latency',
    });
    expect(fieldsOf(() => create({ name: 'u', hash_on: 'nope' }))).toEqual({
      hash_on: 'expected one of: none, consumer, ip, header, cookie, path, query_arg, uri_capture',
    });
  });

  it('accepts two different header hashes', () => {
    const u = create({ name: 'u', hash_on: 'header', hash_fallback: 'header', hash_on_header: 'A', hash_fallback_header: 'B' });
    expect(u).toMatchObject({ hash_on_header: 'A', hash_fallback_header: 'B' });
  });

  it('requires hash_on_header when hashing on a header, naming both the rule and the field', () => {
    expect(fieldsOf(() => create({ name: 'u', hash_on: 'header' }))).toEqual({
      '@entity': [conditional('hash_on')],
      hash_on_header: 'required field missing',
    });
    expect(fieldsOf(() => create({ name: 'u', hash_on: 'consumer', hash_fallback: 'header' }))).toEqual({
      '@entity': [conditional('hash_fallback')],
      hash_fallback_header: 'required field missing',
    });
  });

  it('refuses a fallback when hash_on is none, or equal to hash_on', () => {
    expect(fieldsOf(() => create({ name: 'u', hash_fallback: 'ip' }))).toEqual({
      '@entity': [conditional('hash_on')],
      hash_fallback: 'expected one of: none',
    });
    expect(fieldsOf(() => create({ name: 'u', hash_on: 'consumer', hash_fallback: 'consumer' }))).toEqual({
      '@entity': [conditional('hash_on')],
      hash_fallback: 'expected one of: none, ip, header, cookie, path, query_arg, uri_capture',
    });
  });

  it('takes a cookie name and path when hashing on a cookie, without a fallback', () => {
    const u = create({ name: 'u', hash_on: 'cookie', hash_on_cookie: 'CookieName1', hash_on_cookie_path: '/foo' });
    expect(u).toMatchObject({ hash_on: 'cookie', hash_on_cookie: 'CookieName1', hash_on_cookie_path: '/foo' });
    expect(fieldsOf(() => create({ name: 'u', hash_on: 'cookie' }))).toEqual({
      '@entity': [conditional('hash_on')],
      hash_on_cookie: 'required field missing',
    });
    expect(
      fieldsOf(() => create({ name: 'u', hash_on: 'cookie', hash_on_cookie: 'c', hash_fallback: 'header', hash_fallback_header: 'H' })),
    ).toEqual({ '@entity': [conditional('hash_on')], hash_fallback: 'expected one of: none' });
  });

  it("rejects bad header and cookie names and cookie paths with Kong's messages", () => {
    expect(fieldsOf(() => create({ name: 'u', hash_on: 'header', hash_on_header: 'not a <> header' }))).toEqual({
      hash_on_header: "bad header name 'not a <> header', allowed characters are A-Z, a-z, 0-9, '_', and '-'",
    });
    expect(fieldsOf(() => create({ name: 'u', hash_on: 'cookie', hash_on_cookie: 'a <> b' }))).toEqual({
      hash_on_cookie: "bad cookie name 'a <> b', allowed characters are A-Z, a-z, 0-9, '_', and '-'",
    });
    expect(fieldsOf(() => create({ name: 'u', hash_on: 'cookie', hash_on_cookie: 'c', hash_on_cookie_path: 'not a path' }))).toEqual({
      hash_on_cookie_path: 'should start with: /',
    });
  });

  it('wants distinct names for hash_on and hash_fallback of the same kind', () => {
    expect(
      fieldsOf(() => create({ name: 'u', hash_on: 'header', hash_fallback: 'header', hash_on_header: 'h', hash_fallback_header: 'h' })),
    ).toEqual({ '@entity': ["values of these fields must be distinct: 'hash_on_header', 'hash_fallback_header'"] });
    expect(
      fieldsOf(() => create({ name: 'u', hash_on: 'query_arg', hash_fallback: 'query_arg', hash_on_query_arg: 'q', hash_fallback_query_arg: 'q' })),
    ).toEqual({ '@entity': ["values of these fields must be distinct: 'hash_on_query_arg', 'hash_fallback_query_arg'"] });
  });

  it('requires the query arg or uri capture named by hash_on / hash_fallback', () => {
    expect(fieldsOf(() => create({ name: 'u', hash_on: 'query_arg' }))).toEqual({
      '@entity': [conditional('hash_on')],
      hash_on_query_arg: 'required field missing',
    });
    expect(fieldsOf(() => create({ name: 'u', hash_on: 'ip', hash_fallback: 'uri_capture' }))).toEqual({
      '@entity': [conditional('hash_fallback')],
      hash_fallback_uri_capture: 'required field missing',
    });
    expect(create({ name: 'u', hash_on: 'path', hash_fallback: 'uri_capture', hash_fallback_uri_capture: 'id' })).toMatchObject({
      hash_on: 'path',
      hash_fallback_uri_capture: 'id',
    });
  });

  it('checks host_header as a host with an optional port', () => {
    expect(create({ name: 'u', host_header: 'example.com:8080' }).host_header).toBe('example.com:8080');
    expect(fieldsOf(() => create({ name: 'u', host_header: 'not a header' }))).toEqual({
      host_header: 'invalid hostname: not a header',
    });
  });

  it('names the nested health check field that is out of range', () => {
    expect(fieldsOf(() => create({ name: 'u', healthchecks: { active: { healthy: { successes: 256 } } } }))).toEqual({
      healthchecks: { active: { healthy: { successes: 'value should be between 0 and 255' } } },
    });
    expect(fieldsOf(() => create({ name: 'u', healthchecks: { passive: { unhealthy: { http_statuses: [500, 1000] } } } }))).toEqual({
      healthchecks: { passive: { unhealthy: { http_statuses: [null, 'value should be between 100 and 999'] } } },
    });
    expect(fieldsOf(() => create({ name: 'u', healthchecks: { active: { type: 'udp' } } }))).toEqual({
      healthchecks: { active: { type: 'expected one of: tcp, http, https, grpc, grpcs' } },
    });
  });

  it('accepts fractional seconds, an https_sni and headers for active probes', () => {
    const u = create({
      name: 'u',
      healthchecks: { active: { timeout: 0.5, https_sni: 'probe.example.com', headers: { 'X-Probe': ['1'] } } },
    });
    expect(u.healthchecks.active).toMatchObject({ timeout: 0.5, https_sni: 'probe.example.com', headers: { 'X-Probe': ['1'] } });
    expect(fieldsOf(() => create({ name: 'u', healthchecks: { active: { https_sni: '10.0.0.1' } } }))).toEqual({
      healthchecks: { active: { https_sni: 'must not be an IP' } },
    });
  });

  it('takes a circuit breaker (Archway extension) and bounds its ratio to (0, 1]', () => {
    const u = create({ name: 'u', circuit_breaker: { enabled: true, failure_ratio: 0.25, cool_down: 5 } });
    expect(u.circuit_breaker).toEqual({
      enabled: true,
      failure_threshold: 5,
      failure_ratio: 0.25,
      window: 10,
      cool_down: 5,
      half_open_requests: 1,
    });
    expect(fieldsOf(() => create({ name: 'u', circuit_breaker: { failure_ratio: 1.5 } }))).toEqual({
      circuit_breaker: { failure_ratio: 'value should be between 0 and 1' },
    });
    expect(fieldsOf(() => create({ name: 'u', circuit_breaker: { window: 0 } }))).toEqual({
      circuit_breaker: { window: 'value must be greater than 0' },
    });
  });

  it('exposes its Admin API metadata', () => {
    expect(upstreamSchema).toMatchObject({ name: 'upstreams', adminPath: 'upstreams', endpointKey: 'name' });
    expect(upstreamSchema.fields.client_certificate).toEqual({ type: 'foreign', reference: 'certificates' });
  });
});

describe('upstreams PATCH', () => {
  it('merges a nested healthchecks change into the stored record instead of resetting it', () => {
    const stored = validateEntity<Record<string, unknown>>(
      upstreamSchema,
      { name: 'merge.test', healthchecks: { active: { healthy: { interval: 5 } } } },
      'create',
    );
    const patched = validateEntity<Record<string, unknown>>(
      upstreamSchema,
      { healthchecks: { passive: { unhealthy: { http_failures: 3 } } } },
      'update',
      { existing: stored },
    );
    const hc = patched.healthchecks as { active: { healthy: { interval: number } }; passive: { unhealthy: { http_failures: number } } };
    expect(hc.active.healthy.interval).toBe(5);
    expect(hc.passive.unhealthy.http_failures).toBe(3);
  });
});
