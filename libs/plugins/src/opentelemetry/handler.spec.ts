import { compileChains, runLog, type ChainSet, type PluginHandler } from '@archway/pipeline';
import type { ConfigSet } from '@archway/schema';
import { startOtlpReceiver, type OtlpReceiver } from '@archway/telemetry/testing';
import { configOf } from '../testing/config-of';
import { contextFor, pluginInstance, route, runPlugin, service } from '../testing/spec-kit';
import { opentelemetryHandler } from './handler';
import { opentelemetrySchema } from './schema';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_ID = 'b7ad6b7169203331';
const ENDPOINT = 'http://otel.test:4318/v1/traces';

describe('opentelemetry schema', () => {
  it("fills Kong 3.9's defaults: a queue of 200 spans, Kong's timeouts, w3c as default format", () => {
    expect(configOf(opentelemetrySchema, { traces_endpoint: ENDPOINT }).value).toEqual({
      traces_endpoint: ENDPOINT,
      logs_endpoint: null,
      headers: null,
      resource_attributes: null,
      queue: {
        max_batch_size: 200, max_coalescing_delay: 1, max_entries: 10000, max_bytes: null, max_retry_time: 60,
        initial_retry_delay: 0.01, max_retry_delay: 60, concurrency_limit: 1,
      },
      batch_span_count: null,
      batch_flush_delay: null,
      connect_timeout: 1000,
      send_timeout: 5000,
      read_timeout: 5000,
      http_response_header_for_traceid: null,
      header_type: 'preserve',
      sampling_rate: null,
      propagation: { extract: null, clear: null, inject: null, default_format: 'w3c' },
    });
  });

  it("takes the deprecated `endpoint` as traces_endpoint, and needs one of Kong's endpoints", () => {
    expect(configOf(opentelemetrySchema, { endpoint: ENDPOINT }).value).toMatchObject({ traces_endpoint: ENDPOINT });
    expect(configOf(opentelemetrySchema, {}).error).toEqual({
      '@entity': ["at least one of these fields must be non-empty: 'config.traces_endpoint', 'config.logs_endpoint'"],
    });
  });

  it('refuses what Archway does not implement, saying so: OTLP logs and the ot, datadog, aws and gcp formats', () => {
    expect(configOf(opentelemetrySchema, { traces_endpoint: ENDPOINT, logs_endpoint: 'http://otel.test:4318/v1/logs' }).error).toEqual({
      logs_endpoint: 'not supported: Archway exports traces only; remove logs_endpoint (or send logs with http-log)',
    });
    const unsupported = (f: string) => `'${f}' propagation is not supported by Archway; use one of: w3c, b3, b3-single, jaeger`;
    expect(configOf(opentelemetrySchema, { traces_endpoint: ENDPOINT, propagation: { extract: ['w3c', 'datadog'], inject: ['aws'], default_format: 'gcp' } }).error).toEqual({
      propagation: { extract: [null, unsupported('datadog')], inject: [unsupported('aws')], default_format: unsupported('gcp') },
    });
    expect(configOf(opentelemetrySchema, { traces_endpoint: ENDPOINT, header_type: 'ot' }).error).toEqual({ header_type: unsupported('ot') });
    // names Kong does not know get Kong's message
    expect(configOf(opentelemetrySchema, { traces_endpoint: ENDPOINT, propagation: { extract: ['zipkin'] } }).error).toEqual({
      propagation: { extract: ['expected one of: w3c, b3, jaeger, ot, datadog, aws, gcp'] },
    });
    expect(configOf(opentelemetrySchema, { traces_endpoint: ENDPOINT, sampling_rate: 2 }).error).toEqual({ sampling_rate: 'value should be between 0 and 1' });
  });
});

describe('opentelemetry propagation', () => {
  const access = (headers: Record<string, string>, config: Record<string, unknown> = {}) =>
    runPlugin(opentelemetryHandler, { traces_endpoint: ENDPOINT, ...config }, { headers }).then((r) => r.ctx.headers);

  it('starts a new sampled trace when no header says otherwise, injecting W3C by default', async () => {
    const h = await access({});
    expect(h.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });

  it('reads Jaeger and single-header B3, padding 64-bit trace ids, and answers in the same format (preserve)', async () => {
    const jaeger = await access({ 'uber-trace-id': `8448eb211c80319c:${PARENT_ID}:0:1` });
    expect(jaeger['uber-trace-id']).toMatch(new RegExp(`^00000000000000008448eb211c80319c:[0-9a-f]{16}:[0-9a-f]{16}:01$`));
    expect(jaeger.traceparent).toBeUndefined();
    const b3 = await access({ b3: `${TRACE_ID}-${PARENT_ID}-0` });
    expect(b3.b3).toMatch(new RegExp(`^${TRACE_ID}-[0-9a-f]{16}-0-[0-9a-f]{16}$`));
  });

  it('ignores a malformed traceparent and starts a new trace', async () => {
    for (const bad of [`00-${TRACE_ID}-${PARENT_ID}-01-extra`, `00-${'0'.repeat(32)}-${PARENT_ID}-01`, `ff-${TRACE_ID}-${PARENT_ID}-01`, 'garbage']) {
      const h = await access({ traceparent: bad });
      expect(h.traceparent).not.toContain(TRACE_ID);
      expect(h.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    }
  });

  it("with header_type 'ignore' (deprecated) extracts nothing and injects default_format", async () => {
    const h = await access({ traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` }, { header_type: 'ignore', propagation: { default_format: 'b3' } });
    expect(h['x-b3-traceid']).toMatch(/^[0-9a-f]{32}$/);
    expect(h['x-b3-traceid']).not.toBe(TRACE_ID);
  });

  it('injects nothing with an empty propagation.inject', async () => {
    const h = await access({}, { propagation: { inject: [] } });
    expect(h.traceparent).toBeUndefined();
  });
});

describe('opentelemetry log phase', () => {
  let otlp: OtlpReceiver;
  let chains: ChainSet | null = null;
  beforeEach(async () => {
    otlp = await startOtlpReceiver();
  });
  afterEach(async () => {
    chains?.dispose();
    chains = null;
    await otlp.close();
  });

  it('exports a root span for a request whose access phase never reached the plugin (an earlier plugin answered)', async () => {
    const handler = opentelemetryHandler as unknown as PluginHandler;
    const set = { services: [service], routes: [route], plugins: [pluginInstance('opentelemetry', { traces_endpoint: otlp.url, queue: { max_coalescing_delay: 0 } })] };
    chains = compileChains({ config: set as unknown as ConfigSet, handlers: new Map([['opentelemetry', handler]]) });
    const ctx = contextFor({ path: '/a', headers: { host: 'gw.test', traceparent: `00-${TRACE_ID}-${PARENT_ID}-01` } });
    ctx.status = 401;
    await runLog(chains.forRoute(route), ctx, (err) => {
      throw err;
    });
    const [root] = await otlp.until((s) => s.length === 1);
    expect(root).toMatchObject({ name: 'kong', traceId: TRACE_ID, parentSpanId: PARENT_ID, attributes: { 'http.status_code': 401, 'http.host': 'gw.test' } });
  });

  it('retries a batch the collector refused, and sends what is queued when its configuration is replaced', async () => {
    await otlp.close();
    otlp = await startOtlpReceiver([503]);
    const handler = opentelemetryHandler as unknown as PluginHandler;
    const config = { traces_endpoint: otlp.url, queue: { max_coalescing_delay: 3600, initial_retry_delay: 0.01 } };
    chains = compileChains({ config: { services: [service], routes: [route], plugins: [pluginInstance('opentelemetry', config)] } as unknown as ConfigSet, handlers: new Map([['opentelemetry', handler]]) });
    const ctx = contextFor({ headers: { host: 'gw.test' } });
    ctx.status = 200;
    await runLog(chains.forRoute(route), ctx, (err) => {
      throw err;
    });
    chains.dispose();
    chains = null;
    const spans = await otlp.until((s) => s.length === 1);
    expect(spans[0].name).toBe('kong');
  });
});
