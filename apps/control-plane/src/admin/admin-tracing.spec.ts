// The control plane traces itself when OTEL_EXPORTER_OTLP_ENDPOINT is set: an Admin API request is a
// SERVER span named for its route template (continuing the caller's traceparent), and a config change
// gives a 'snapshot build' span holding the 'snapshot publish' one. Exported over OTLP/HTTP protobuf
// to a real receiver on loopback; the control plane runs in-process on a real Postgres.
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '@archway/telemetry/testing';
import { startAdminHarness, type AdminHarness } from '../testing/admin-harness';

jest.setTimeout(60_000);

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';

describe('control plane tracing', () => {
  let otlp: OtlpReceiver;
  let harness: AdminHarness | null = null;
  beforeEach(async () => {
    otlp = await startOtlpReceiver();
  });
  afterEach(async () => {
    await harness?.close();
    harness = null;
    await otlp.close();
  });

  it('exports each Admin API request as a span named for its route, and snapshot build and publish spans', async () => {
    harness = await startAdminHarness({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlp.port}`, OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test' });
    const created = await harness.call('POST', '/services', { name: 'traced', url: 'http://upstream.test' });
    expect(created.status).toBe(201);
    const read = await harness.call('GET', `/services/${created.body.id}`, undefined, undefined, { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` });
    expect(read.status).toBe(200);
    expect((await harness.call('GET', '/services/nope')).status).toBe(404);
    const version = (await harness.call('GET', '/config/versions?size=1')).body.data[0].version as number;
    // the snapshot of that version is published (waited for, not slept for)
    for (let i = 0; i < 400 && (await harness.call('GET', '/status')).body.configuration_version !== version; i++) await new Promise((r) => setTimeout(r, 25));
    // closing the control plane flushes what its batch processor holds
    await harness.close();
    harness = null;
    const spans = otlp.spans;
    const server = spans.filter((s) => s.kind === 2);
    const post = server.find((s) => s.name === 'POST /services') as ReceivedSpan;
    expect(post).toBeDefined();
    expect(post.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/services', 'http.response.status_code': 201, 'url.path': '/services' });
    expect(post.resource).toMatchObject({ 'service.name': 'archway-control-plane', 'deployment.environment': 'test' });
    const get = server.find((s) => s.attributes['url.path'] === `/services/${created.body.id}`) as ReceivedSpan;
    expect(get.name).toMatch(/^GET \/services\/:[a-zA-Z_]+$/);
    expect(get).toMatchObject({ traceId: TRACE_ID, parentSpanId: PARENT_ID, attributes: { 'http.response.status_code': 200 } });
    expect(server.find((s) => s.attributes['url.path'] === '/services/nope')?.attributes['http.response.status_code']).toBe(404);

    // (a build that found nothing new is marked archway.snapshot.unchanged and publishes nothing)
    const builds = spans.filter((s) => s.name === 'snapshot build' && s.attributes['archway.config.version'] === version && !s.attributes['archway.snapshot.unchanged']);
    expect(builds).toHaveLength(1);
    expect(builds[0].attributes).toMatchObject({ 'archway.config.services': 1, 'archway.config.routes': 0 });
    // its own trace, whichever request's write started its timer
    expect(builds[0].parentSpanId).toBe('');
    expect(builds[0].attributes['archway.config.hash']).toMatch(/^[0-9a-f]{64}$/);
    const publish = spans.find((s) => s.name === 'snapshot publish' && s.parentSpanId === builds[0].spanId) as ReceivedSpan;
    expect(publish).toBeDefined();
    expect(publish.traceId).toBe(builds[0].traceId);
    expect(publish.attributes['archway.snapshot.bytes']).toBeGreaterThan(0);
    expect(publish.attributes).toMatchObject({ 'archway.config.version': version, 'archway.snapshot.streams': 0 });
  });

  it('starts nothing without an OTLP endpoint', async () => {
    harness = await startAdminHarness({ OTEL_SERVICE_NAME: 'ignored-without-endpoint' });
    expect((await harness.call('POST', '/services', { name: 'untraced', url: 'http://upstream.test' })).status).toBe(201);
    await harness.close();
    harness = null;
    expect(otlp.exports).toEqual([]);
  });
});
