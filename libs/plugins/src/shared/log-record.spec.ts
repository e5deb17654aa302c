import { contextFor, route, service } from '../testing/spec-kit';
import { DEFAULT_WORKSPACE_ID, logRecord, parseQuery } from './log-record';

/** A request as the data plane leaves it after proxying to the upstream. */
function proxied() {
  const ctx = contextFor({
    method: 'GET',
    path: '/users',
    query: 'page=2&tag=a&tag=b&flag',
    headers: { host: 'api.example.com:8000', authorization: 'Bearer secret', 'proxy-authorization': 'Basic x', 'x-keep': '1' },
  });
  ctx.requestUri = '/v1/users?page=2&tag=a&tag=b&flag';
  ctx.serverPort = 8000;
  ctx.requestSize = 120;
  ctx.responseSize = 345;
  ctx.tries = [{ ip: '127.0.0.1', port: 9000, balancer_start: 1, balancer_start_ns: 1e6, balancer_latency: 0, balancer_latency_ns: 0 }];
  ctx.upstreamStatus = 200;
  ctx.upstreamLatencyMs = 12;
  ctx.status = 200;
  ctx.responseHeaders['Content-Type'] = 'application/json';
  ctx.responseHeaders['content-length'] = 345;
  return ctx;
}

describe("Kong's log record", () => {
  it('describes the request, the upstream exchange and the response with Kong\'s field names', () => {
    const r = logRecord(proxied());
    expect(r.request).toMatchObject({
      id: 'req-1',
      uri: '/v1/users?page=2&tag=a&tag=b&flag',
      url: 'http://api.example.com:8000/v1/users?page=2&tag=a&tag=b&flag',
      querystring: { page: '2', tag: ['a', 'b'], flag: true },
      method: 'GET',
      size: 120,
    });
    expect(r.request.tls).toBeUndefined();
    expect(r.upstream_uri).toBe('/users?page=2&tag=a&tag=b&flag');
    expect(r.upstream_status).toBe('200');
    expect(r.response).toEqual({ status: 200, size: 345, headers: { 'content-type': 'application/json', 'content-length': '345' } });
    expect(r.tries).toEqual([{ ip: '127.0.0.1', port: 9000, balancer_start: 1, balancer_start_ns: 1e6, balancer_latency: 0, balancer_latency_ns: 0 }]);
    expect(r.latencies.proxy).toBe(12);
    expect(r.latencies.request).toBeGreaterThanOrEqual(0);
    expect(r.route).toBe(route);
    expect(r.service).toBe(service);
    expect(r).toMatchObject({ client_ip: '127.0.0.1', source: 'service', workspace: DEFAULT_WORKSPACE_ID, workspace_name: 'default' });
    expect(typeof r.started_at).toBe('number');
  });

  it('logs Authorization and Proxy-Authorization as REDACTED, other headers as sent upstream', () => {
    const h = logRecord(proxied()).request.headers;
    expect(h.authorization).toBe('REDACTED');
    expect(h['proxy-authorization']).toBe('REDACTED');
    expect(h['x-keep']).toBe('1');
    expect('authorization' in logRecord(contextFor()).request.headers).toBe(false);
  });

  it('names the consumer and the credential (authenticated_entity) once a plugin authenticated', () => {
    const ctx = proxied();
    ctx.authenticate({ id: 'c1', username: 'alice', custom_id: null }, { id: 'k1', identifier: 'k1' });
    const r = logRecord(ctx);
    expect(r.consumer).toEqual({ id: 'c1', username: 'alice', custom_id: null });
    expect(r.authenticated_entity).toEqual({ id: 'k1', consumer_id: 'c1' });
    expect(logRecord(proxied()).consumer).toBeUndefined();
  });

  it("reports a plugin's answer as source 'exit' with no upstream_uri, and a gateway failure as 'error'", () => {
    const exited = contextFor();
    exited.exit(401, { message: 'Unauthorized' });
    exited.status = 401;
    const r = logRecord(exited);
    expect(r).toMatchObject({ source: 'exit', upstream_uri: '', latencies: { proxy: -1 } });
    expect(r.tries).toBeUndefined();
    expect(r.upstream_status).toBeUndefined();

    const failed = contextFor({ path: '/x' });
    failed.tries = [
      { ip: '10.0.0.1', port: 80, balancer_start: 1, balancer_start_ns: 1e6, balancer_latency: 0, balancer_latency_ns: 0, state: 'failed', code: 502 },
      { ip: '10.0.0.1', port: 80, balancer_start: 2, balancer_start_ns: 2e6, balancer_latency: 0, balancer_latency_ns: 0, state: 'failed', code: 502 },
    ];
    failed.status = 502;
    expect(logRecord(failed)).toMatchObject({ source: 'error', upstream_uri: '/x', upstream_status: '502, 502' });
  });

  it('carries the correlation id correlation-id left for log plugins', () => {
    const ctx = proxied();
    ctx.shared.set('correlation_id', 'abc#1');
    expect(logRecord(ctx).correlation_id).toBe('abc#1');
  });

  it('decodes query arguments as ngx.req.get_uri_args does', () => {
    expect(parseQuery('')).toEqual({});
    expect(parseQuery('a=1%202&b=x+y&&c&a=3&bad=%E0')).toEqual({ a: ['1 2', '3'], b: 'x y', c: true, bad: '%E0' });
  });
});
