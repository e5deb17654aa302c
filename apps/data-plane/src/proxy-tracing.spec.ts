// The opentelemetry plugin through the real proxy: spans exported over OTLP/HTTP protobuf to a real
// receiver on loopback (decoded there with its own copy of the OTLP messages), the trace context
// continued from the client and injected for the upstream, sampling, and a collector that is down.
import { targetSchema, upstreamSchema, validateEntity, type Target, type Upstream as UpstreamEntity } from '@archway/schema';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '@archway/telemetry/testing';
import { closedPort, makeRoute, makeService, send } from './testing/fixtures';
import { startPluginProxy, type PluginProxy } from './testing/plugin-proxy';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_ID = 'b7ad6b7169203331';

const byName = (spans: ReceivedSpan[], name: string) => spans.filter((s) => s.name === name);

describe('proxy with the opentelemetry plugin', () => {
  let px: PluginProxy;
  let otlp: OtlpReceiver;
  beforeEach(async () => {
    px = await startPluginProxy();
    otlp = await startOtlpReceiver();
  });
  afterEach(async () => {
    await px.close();
    await otlp.close();
  });

  /** the plugin on the test route, exporting each span batch at once */
  const tracing = (config: Record<string, unknown> = {}) => ({
    name: 'opentelemetry',
    config: { traces_endpoint: otlp.url, queue: { max_coalescing_delay: 0 }, ...config },
  });

  it("exports a 'kong' SERVER span with Kong's attributes and a 'kong.balancer' CLIENT span for the try", async () => {
    await px.apply([tracing({ headers: { 'X-Api-Token': 'apm-secret' }, resource_attributes: { 'deployment.environment': 'test' } })]);
    const res = await send(px.port, { path: '/p/users?page=2', headers: { host: 'api.example.test:8000' } });
    expect(res.status).toBe(200);
    const spans = await otlp.until((s) => s.length === 2);
    const [root] = byName(spans, 'kong');
    const [balancer] = byName(spans, 'kong.balancer');
    expect(root).toMatchObject({ kind: 2, parentSpanId: '', status: { code: 0 } });
    expect(root.attributes).toEqual({
      'http.method': 'GET',
      'http.url': 'http://api.example.test/p/users?page=2',
      'http.host': 'api.example.test',
      'http.scheme': 'http',
      'http.flavor': '1.1',
      'http.client_ip': '127.0.0.1',
      'net.peer.ip': '127.0.0.1',
      'kong.request.id': res.headers['x-archway-request-id'],
      'http.status_code': 200,
      'http.route': '/p',
    });
    expect(balancer).toMatchObject({ kind: 3, traceId: root.traceId, parentSpanId: root.spanId, status: { code: 0 } });
    expect(balancer.attributes).toEqual({ try_count: 1, 'net.peer.ip': '127.0.0.1', 'net.peer.port': px.upstream.port, 'net.peer.name': '127.0.0.1' });
    // the balancer span lies within the request's
    expect(balancer.startNs >= root.startNs && balancer.endNs <= root.endNs).toBe(true);
    expect(root.endNs > root.startNs).toBe(true);
    expect(root.resource).toMatchObject({ 'service.name': 'kong', 'deployment.environment': 'test' });
    expect(root.scope).toEqual({ name: 'kong-internal', version: '0.1.0' });
    expect(otlp.exports[0]).toMatchObject({ path: '/v1/traces', headers: { 'content-type': 'application/x-protobuf', 'x-api-token': 'apm-secret' } });
    // the upstream got a traceparent naming the balancer span that reached it
    expect(px.upstream.seen[0].headers.traceparent).toBe(`00-${root.traceId}-${balancer.spanId}-01`);
  });

  it('continues an incoming W3C trace: same trace id, the caller as parent, the upstream on the same trace', async () => {
    await px.apply([tracing()]);
    await send(px.port, { path: '/p', headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, tracestate: 'congo=t61rcWkgMzE' } });
    const spans = await otlp.until((s) => s.length === 2);
    const [root] = byName(spans, 'kong');
    const [balancer] = byName(spans, 'kong.balancer');
    expect(root).toMatchObject({ traceId: TRACE_ID, parentSpanId: PARENT_ID });
    expect(balancer).toMatchObject({ traceId: TRACE_ID, parentSpanId: root.spanId });
    const seen = px.upstream.seen[0].headers;
    expect(seen.traceparent).toBe(`00-${TRACE_ID}-${balancer.spanId}-01`);
    expect(seen.tracestate).toBe('congo=t61rcWkgMzE');
  });

  it('follows the caller\'s decision not to sample: nothing exported, the upstream told 00', async () => {
    await px.apply([tracing()]);
    await send(px.port, { path: '/p', headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-00` } });
    await send(px.port, { path: '/p' }); // a sampled one after it, to know the first was not just late
    await otlp.until((s) => s.length === 2);
    expect(otlp.spans.every((s) => s.traceId !== TRACE_ID)).toBe(true);
    expect(px.upstream.seen[0].headers.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-00$`));
  });

  it('with sampling_rate 0 exports nothing, and still propagates an unsampled context upstream', async () => {
    const sampledToo = await startOtlpReceiver();
    try {
      const other = makeService({ port: px.upstream.port });
      const otherRoute = makeRoute(other, { paths: ['/all'] });
      await px.apply([
        tracing({ sampling_rate: 0 }),
        { name: 'opentelemetry', route: { id: otherRoute.id }, config: { traces_endpoint: sampledToo.url, queue: { max_coalescing_delay: 0 } } },
      ], { services: [other], routes: [otherRoute] });
      for (let i = 0; i < 3; i++) expect((await send(px.port, { path: '/p' })).status).toBe(200);
      // a request on the sampled route has been exported by then: the unsampled ones were not just late
      await send(px.port, { path: '/all' });
      await sampledToo.until((s) => s.length === 2);
      expect(otlp.spans).toEqual([]);
      expect(px.upstream.seen[0].headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    } finally {
      await sampledToo.close();
    }
  });

  it('exports one balancer span per try: a refused connection (502, error) and the retry that answered', async () => {
    const dead = await closedPort();
    const pool = validateEntity<UpstreamEntity>(upstreamSchema, { name: 'traced-pool', algorithm: 'round-robin' }, 'create');
    const targets = [`127.0.0.1:${dead}`, `127.0.0.1:${px.upstream.port}`].map((target) =>
      validateEntity<Target>(targetSchema, { upstream: { id: pool.id }, target }, 'create'),
    );
    const balanced = makeService({ host: 'traced-pool', port: 80, retries: 1 });
    const balancedRoute = makeRoute(balanced, { paths: ['/lb'] });
    await px.apply([{ ...tracing(), route: { id: balancedRoute.id } }], { services: [balanced], routes: [balancedRoute], upstreams: [pool], targets });
    // round-robin over [dead, live]: one of two requests tries the dead target first
    for (let i = 0; i < 2; i++) expect((await send(px.port, { path: '/lb' })).status).toBe(200);
    const spans = await otlp.until((s) => byName(s, 'kong').length === 2 && byName(s, 'kong.balancer').length === 3);
    const retried = byName(spans, 'kong').find((root) => spans.filter((s) => s.parentSpanId === root.spanId).length === 2) as ReceivedSpan;
    const tries = spans.filter((s) => s.parentSpanId === retried.spanId).sort((a, b) => Number(a.attributes.try_count) - Number(b.attributes.try_count));
    expect(tries.map((t) => [t.attributes['net.peer.port'], t.attributes['http.status_code'] ?? null, t.status.code])).toEqual([
      [dead, 502, 2],
      [px.upstream.port, null, 0],
    ]);
    expect(tries[0].endNs <= tries[1].startNs).toBe(true);
    // the upstream's parent is the try that reached it
    const seen = px.upstream.seen.map((r) => r.headers.traceparent);
    expect(seen).toContain(`00-${retried.traceId}-${tries[1].spanId}-01`);
  });

  it('answers exactly as without tracing when the collector is down, and logs the failed export', async () => {
    const down = await closedPort();
    await px.apply([tracing({ traces_endpoint: `http://127.0.0.1:${down}/v1/traces`, queue: { max_coalescing_delay: 0, max_retry_time: 0.05 } })]);
    const res = await send(px.port, { path: '/p/x' });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ url: '/x' });
    expect(px.upstream.seen[0].headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect((await send(px.port, { path: '/p/y' })).status).toBe(200);
    const lines = px.logger.lines;
    for (let i = 0; i < 300 && !lines.some((l) => String(l.msg).startsWith('could not send entries')); i++) await new Promise((r) => setTimeout(r, 10));
    expect(lines.find((l) => l.msg === 'handler could not process entries')).toMatchObject({ queue: expect.stringContaining('opentelemetry') });
    expect(lines.map((l) => l.msg)).toContainEqual(expect.stringMatching(/^could not send entries due to max_retry_time exceeded. \d+ queue entries were lost$/));
  });

  it('injects B3 when the caller spoke B3 (preserve), and every configured format with propagation.inject', async () => {
    await px.apply([tracing()]);
    await send(px.port, { path: '/p', headers: { 'x-b3-traceid': TRACE_ID, 'x-b3-spanid': PARENT_ID, 'x-b3-sampled': '1' } });
    const spans = await otlp.until((s) => s.length === 2);
    const [root] = byName(spans, 'kong');
    const [balancer] = byName(spans, 'kong.balancer');
    expect(root).toMatchObject({ traceId: TRACE_ID, parentSpanId: PARENT_ID });
    expect(px.upstream.seen[0].headers).toMatchObject({
      'x-b3-traceid': TRACE_ID,
      'x-b3-spanid': balancer.spanId,
      'x-b3-parentspanid': root.spanId,
      'x-b3-sampled': '1',
    });
    expect(px.upstream.seen[0].headers.traceparent).toBeUndefined();

    await px.apply([tracing({ propagation: { extract: ['w3c'], inject: ['w3c', 'jaeger', 'b3-single'], clear: ['x-legacy-trace'] } })]);
    await send(px.port, { path: '/p', headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, 'x-legacy-trace': 'abc' } });
    const seen = px.upstream.seen[1].headers;
    expect(seen.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-([0-9a-f]{16})-01$`));
    const spanId = (seen.traceparent as string).split('-')[2];
    expect(seen['uber-trace-id']).toMatch(new RegExp(`^${TRACE_ID}:${spanId}:[0-9a-f]{16}:01$`));
    expect(seen.b3).toMatch(new RegExp(`^${TRACE_ID}-${spanId}-1-[0-9a-f]{16}$`));
    expect(seen['x-legacy-trace']).toBeUndefined();
  });

  it('sets the trace id response header named by http_response_header_for_traceid, also on an answer a plugin gave before it ran', async () => {
    await px.apply([tracing({ http_response_header_for_traceid: 'X-Trace-Id' }), { name: 'key-auth', config: {} }]);
    // key-auth (priority 1250) answers 401 before opentelemetry's access (14) runs
    const res = await send(px.port, { path: '/p', headers: { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` } });
    expect(res.status).toBe(401);
    expect(res.headers['x-trace-id']).toBe(TRACE_ID);
    const [root] = await otlp.until((s) => s.length === 1);
    expect(root).toMatchObject({ name: 'kong', traceId: TRACE_ID, parentSpanId: PARENT_ID, attributes: { 'http.status_code': 401 } });
    expect(px.upstream.seen).toEqual([]);
  });
});
