// opentelemetry (kong/plugins/opentelemetry/traces.lua, Kong 3.9, with Kong's `request` and
// `balancer` tracing instrumentations on). Access: read the trace context of the incoming request
// (continuing its trace, parent-based sampling), decide sampling, and inject the context for the
// upstream. Header filter: the optional trace id response header. Log: build the request's spans from
// what the proxy recorded and queue them; a queue (one per distinct config) sends them in batches.
// Nothing here waits on the collector: an unreachable one costs log lines, never a response.
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { PluginContext, PluginHandler } from '@archway/pipeline';
import { OtlpSender } from '@archway/telemetry';
import { LogQueue, queueSettings } from '../http-log/log-queue';
import { BUNDLED_PLUGIN_VERSION } from '../plugin-schema';
import { newSpanId, newTraceId } from './ids';
import { extract, inject, type ExtractFormat } from './propagation';
import { opentelemetrySchema, type PropagationFormat } from './schema';
import { requestSpans, type ExportedSpan, type RequestTrace } from './spans';

interface Propagation {
  extract: readonly ExtractFormat[] | null;
  clear: readonly string[] | null;
  /** 'preserve' resolved per request */
  inject: readonly (PropagationFormat | 'preserve')[] | null;
  defaultFormat: PropagationFormat;
}

interface OpentelemetryState {
  queue: LogQueue<ExportedSpan>;
  sender: OtlpSender;
  resource: Resource;
  propagation: Propagation;
  samplingRate: number;
  traceIdHeader: string | null;
}

/** the request's trace, kept for the log phase (Kong's kong.ctx.plugin) */
const TRACE = 'opentelemetry.trace';
/** Kong's extraction order when no propagation.extract is configured */
const ALL_EXTRACTORS: readonly ExtractFormat[] = ['b3', 'w3c', 'jaeger'];

/** Kong's get_plugin_params: the propagation record, or what the deprecated header_type meant. */
function propagationOf(config: Record<string, unknown>): Propagation {
  const p = (config.propagation as Record<string, unknown> | null) ?? {};
  const defaultFormat = ((p.default_format as string | null) ?? 'w3c') as PropagationFormat;
  const set = (k: string) => (p[k] as string[] | null | undefined) ?? null;
  if (set('extract') !== null || set('clear') !== null || set('inject') !== null)
    return { extract: set('extract') as ExtractFormat[] | null, clear: set('clear'), inject: set('inject') as Propagation['inject'], defaultFormat };
  const headerType = (config.header_type as string | null) ?? 'preserve';
  if (headerType === 'preserve') return { extract: ALL_EXTRACTORS, clear: null, inject: ['preserve'], defaultFormat };
  if (headerType === 'ignore') return { extract: null, clear: null, inject: [defaultFormat], defaultFormat };
  return { extract: ALL_EXTRACTORS, clear: null, inject: ['preserve', headerType as PropagationFormat], defaultFormat };
}

/** Reads the incoming context and decides sampling: the caller's decision when it made one (parent-based). */
function startTrace(ctx: PluginContext, s: OpentelemetryState): { trace: RequestTrace; from: ReturnType<typeof extract> } {
  const from = extract(ctx, s.propagation.extract);
  const sampled = from?.sampled ?? (s.samplingRate >= 1 || (s.samplingRate > 0 && Math.random() < s.samplingRate));
  const trace: RequestTrace = {
    traceId: from?.traceId ?? newTraceId(),
    rootSpanId: newSpanId(),
    parentSpanId: from?.traceId ? from.spanId : null,
    balancerSpanId: newSpanId(),
    sampled,
  };
  ctx.shared.set(TRACE, trace);
  return { trace, from };
}

export const opentelemetryHandler: PluginHandler<OpentelemetryState> = {
  name: opentelemetrySchema.name,
  priority: opentelemetrySchema.priority,
  version: opentelemetrySchema.version,
  configure(config, env) {
    return env.shared(`opentelemetry ${JSON.stringify(config)}`, () => {
      const queue = { ...((config.queue as Record<string, unknown> | null) ?? {}) };
      // the deprecated batch settings win when set, as Kong's Queue.get_plugin_params has it
      if (typeof config.batch_span_count === 'number') queue.max_batch_size = config.batch_span_count;
      if (typeof config.batch_flush_delay === 'number') queue.max_coalescing_delay = config.batch_flush_delay;
      const endpoint = config.traces_endpoint as string;
      const sender = new OtlpSender({
        endpoint,
        headers: (config.headers as Record<string, string> | null) ?? null,
        connectTimeout: (config.connect_timeout as number | null) ?? 1000,
        sendTimeout: (config.send_timeout as number | null) ?? 5000,
        readTimeout: (config.read_timeout as number | null) ?? 5000,
      });
      const resource = resourceFromAttributes({
        'service.name': 'kong',
        'service.version': BUNDLED_PLUGIN_VERSION,
        ...((config.resource_attributes as Record<string, string> | null) ?? {}),
      });
      return {
        sender,
        resource,
        queue: new LogQueue<ExportedSpan>(`opentelemetry:traces ${new URL(endpoint).host}`, queueSettings(queue), sender.send, env.logger),
        propagation: propagationOf(config),
        samplingRate: (config.sampling_rate as number | null) ?? 1,
        // lower-case, as the response's own header names are (one header, not two spellings of it)
        traceIdHeader: (config.http_response_header_for_traceid as string | null)?.toLowerCase() ?? null,
      };
    });
  },
  access(ctx, s) {
    const { trace, from } = startTrace(ctx, s);
    const p = s.propagation;
    if (p.clear !== null) for (const h of p.clear) ctx.removeHeader(h);
    if (p.inject === null) return;
    // the upstream's spans hang off the balancer span of the attempt that reaches it
    const c = { traceId: trace.traceId, spanId: trace.balancerSpanId, parentId: trace.rootSpanId, sampled: trace.sampled };
    for (const f of p.inject) {
      if (f !== 'preserve') inject(ctx, f, c);
      else if (from === null) inject(ctx, p.defaultFormat, c);
      else inject(ctx, from.format === 'b3' && from.single ? 'b3-single' : from.format, c);
    }
  },
  headerFilter(ctx, s) {
    if (s.traceIdHeader === null) return;
    // started here when a plugin answered before access reached this one; the log phase then uses it
    const trace = (ctx.shared.get(TRACE) as RequestTrace | undefined) ?? startTrace(ctx, s).trace;
    ctx.responseHeaders[s.traceIdHeader] = trace.traceId;
  },
  log(ctx, s) {
    const now = performance.now();
    // a plugin that answered before access reached this one (an authentication failure) still gets its trace
    const trace = (ctx.shared.get(TRACE) as RequestTrace | undefined) ?? startTrace(ctx, s).trace;
    if (!trace.sampled) return;
    for (const span of requestSpans(ctx, trace, s.resource, now)) s.queue.enqueue(span);
  },
  async dispose(s) {
    await s.queue.close();
    await s.sender.close();
  },
};
