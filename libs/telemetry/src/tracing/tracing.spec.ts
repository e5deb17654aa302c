import { createLogger } from '../logger';
import { startOtlpReceiver, type OtlpReceiver } from '../testing/otlp-receiver';
import { withSpan } from './spans';
import { parseKeyValues, startTracing, tracesEndpoint, tracingEnabled } from './tracing';

describe('tracing', () => {
  let otlp: OtlpReceiver;
  beforeEach(async () => {
    otlp = await startOtlpReceiver();
  });
  afterEach(async () => {
    await otlp.close();
  });

  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'debug', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });

  it('starts nothing without an OTLP endpoint, or with the SDK disabled, or another protocol (saying so)', async () => {
    expect(await startTracing({ env: { OTEL_SERVICE_NAME: 'x' }, serviceName: 's', serviceVersion: '1', logger })).toBeNull();
    expect(await startTracing({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_SDK_DISABLED: 'true' }, serviceName: 's', serviceVersion: '1', logger })).toBeNull();
    expect(await startTracing({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, serviceName: 's', serviceVersion: '1', logger })).toBeNull();
    expect(lines.at(-1)?.msg).toMatch(/^traces not exported: Archway exports OTLP over http\/protobuf only/);
    expect(tracingEnabled()).toBe(false);
  });

  it('reads the standard variables: endpoints, headers, resource attributes', () => {
    expect(tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318/' })).toBe('http://jaeger:4318/v1/traces');
    expect(tracesEndpoint({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/t' })).toBe('http://b:4318/t');
    expect(parseKeyValues('api-key=s%20ecret, team = gw,broken')).toEqual({ 'api-key': 's ecret', team: 'gw' });
  });

  it('exports spans with the service name and sampler from the environment, and puts the active trace id in log lines', async () => {
    const tracing = await startTracing({
      env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: otlp.url, OTEL_SERVICE_NAME: 'cp-under-test', OTEL_EXPORTER_OTLP_HEADERS: 'x-token=abc' },
      serviceName: 'archway-control-plane',
      serviceVersion: '9.9.9',
      logger,
    });
    expect(tracing).not.toBeNull();
    let ids = { traceId: '', spanId: '' };
    await withSpan('outer', { k: 'v' }, async (span) => {
      ids = span.spanContext();
      logger.info('inside a span');
    });
    logger.info('outside any span');
    await tracing?.shutdown();
    expect(tracingEnabled()).toBe(false);
    const [span] = otlp.spans;
    expect(span).toMatchObject({ name: 'outer', traceId: ids.traceId, spanId: ids.spanId, attributes: { k: 'v' } });
    expect(span.resource).toMatchObject({ 'service.name': 'cp-under-test', 'service.version': '9.9.9' });
    expect(otlp.exports[0].headers['x-token']).toBe('abc');
    expect(lines.find((l) => l.msg === 'inside a span')).toMatchObject({ trace_id: ids.traceId, span_id: ids.spanId });
    expect(lines.find((l) => l.msg === 'outside any span')).not.toHaveProperty('trace_id');
  });

  it('honours OTEL_TRACES_SAMPLER=always_off', async () => {
    const tracing = await startTracing({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlp.port}`, OTEL_TRACES_SAMPLER: 'always_off' }, serviceName: 's', serviceVersion: '1', logger });
    await withSpan('dropped', {}, async () => undefined);
    await tracing?.shutdown();
    expect(otlp.spans).toEqual([]);
  });
});
