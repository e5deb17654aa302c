// OpenTelemetry traces of an Archway process itself (the control plane's Admin API requests and
// snapshot builds), configured by the standard OTEL_* variables and started only when an OTLP
// endpoint is set: without one nothing is loaded beyond @opentelemetry/api, whose tracer is a no-op.
// Spans go over OTLP/HTTP protobuf through a BatchSpanProcessor (off the request path), and while
// a span is active the logger adds its trace_id and span_id to each line.
import { context, propagation, trace, type Tracer } from '@opentelemetry/api';
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, Sampler, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Logger } from '../logger';
import { setTraceFields } from '../logger';
import { OtlpSender } from './otlp-sender';

export type Env = Readonly<Record<string, string | undefined>>;

export interface TracingOptions {
  /** where the OTEL_* variables are read (process.env for a process) */
  env: Env;
  /** OTEL_SERVICE_NAME's default, e.g. 'archway-control-plane' */
  serviceName: string;
  serviceVersion: string;
  logger: Logger;
}

export interface Tracing {
  /** where spans are sent */
  readonly endpoint: string;
  /** sends what is buffered, then stops and unregisters the global tracer provider */
  shutdown(): Promise<void>;
}

/** the tracer Archway's own spans come from (a no-op until startTracing registers a provider) */
export const archwayTracer = (): Tracer => trace.getTracer('archway');

let active = false;

/** whether startTracing registered a provider (callers skip per-request span work otherwise) */
export function tracingEnabled(): boolean {
  return active;
}

/** OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, or OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces; null when neither is set. */
export function tracesEndpoint(env: Env): string | null {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (traces) return traces;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!base) return null;
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

/** 'k1=v1,k2=v2' (values percent-decoded), as OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS are written */
export function parseKeyValues(v: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (v ?? '').split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    const raw = part.slice(eq + 1).trim();
    let value = raw;
    try {
      value = decodeURIComponent(raw);
    } catch {
      // kept as written
    }
    if (key) out[key] = value;
  }
  return out;
}

/** OpenTelemetry's ExportResultCode */
const EXPORT_SUCCESS = 0;
const EXPORT_FAILED = 1;

/** The SDK's SpanExporter over OtlpSender (the same OTLP/HTTP protobuf path as the opentelemetry plugin's). */
class OtlpSpanExporter implements SpanExporter {
  constructor(
    readonly sender: OtlpSender,
    readonly logger: Logger,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.sender.send(spans).then(
      () => done({ code: EXPORT_SUCCESS }),
      (err: unknown) => {
        this.logger.warn('could not export spans; they are dropped', { spans: spans.length, err });
        done({ code: EXPORT_FAILED, error: err as Error });
      },
    );
  }

  shutdown(): Promise<void> {
    return this.sender.close();
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

async function samplerOf(env: Env, logger: Logger): Promise<Sampler> {
  const sdk = await import('@opentelemetry/sdk-trace-base');
  const name = (env.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on').trim().toLowerCase();
  const arg = Number(env.OTEL_TRACES_SAMPLER_ARG ?? '1');
  const ratio = Number.isFinite(arg) && arg >= 0 && arg <= 1 ? arg : 1;
  switch (name) {
    case 'always_on':
      return new sdk.AlwaysOnSampler();
    case 'always_off':
      return new sdk.AlwaysOffSampler();
    case 'traceidratio':
      return new sdk.TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_off':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(ratio) });
    case 'parentbased_always_on':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() });
    default:
      logger.warn('unknown OTEL_TRACES_SAMPLER, using parentbased_always_on', { sampler: name });
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() });
  }
}

/**
 * Starts exporting this process's spans when OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT is set (and
 * OTEL_SDK_DISABLED is not true, OTEL_TRACES_EXPORTER not none); null, with nothing started, otherwise.
 */
export async function startTracing(opts: TracingOptions): Promise<Tracing | null> {
  const { env, logger } = opts;
  const endpoint = tracesEndpoint(env);
  if (endpoint === null || env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return null;
  const exporterName = (env.OTEL_TRACES_EXPORTER ?? 'otlp').trim().toLowerCase();
  if (exporterName === 'none') return null;
  const protocol = (env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf').trim();
  if (exporterName !== 'otlp' || protocol !== 'http/protobuf') {
    logger.warn('traces not exported: Archway exports OTLP over http/protobuf only; set OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf and an OTLP/HTTP endpoint (port 4318)', {
      exporter: exporterName,
      protocol,
    });
    return null;
  }
  if (active) throw Object.assign(new Error('tracing is already started in this process'), { code: 'ARCHWAY_TRACING_STARTED' });
  const [{ NodeTracerProvider, BatchSpanProcessor }, { resourceFromAttributes }] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/resources'),
  ]);
  const timeout = Number(env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT ?? env.OTEL_EXPORTER_OTLP_TIMEOUT ?? '10000');
  const timeoutMs = Number.isFinite(timeout) && timeout > 0 ? timeout : 10000;
  const sender = new OtlpSender({
    endpoint,
    headers: { ...parseKeyValues(env.OTEL_EXPORTER_OTLP_HEADERS), ...parseKeyValues(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS) },
    connectTimeout: timeoutMs,
    sendTimeout: 0,
    readTimeout: timeoutMs,
  });
  const exporter = new OtlpSpanExporter(sender, logger);
  const resource = resourceFromAttributes({
    'service.name': opts.serviceName,
    'service.version': opts.serviceVersion,
    ...parseKeyValues(env.OTEL_RESOURCE_ATTRIBUTES),
    ...(env.OTEL_SERVICE_NAME?.trim() ? { 'service.name': env.OTEL_SERVICE_NAME.trim() } : {}),
  });
  const provider = new NodeTracerProvider({ resource, sampler: await samplerOf(env, logger), spanProcessors: [new BatchSpanProcessor(exporter)] });
  // the global provider, AsyncLocalStorage context (a request's span stays active across its awaits), W3C propagation
  provider.register();
  active = true;
  setTraceFields(() => {
    const span = trace.getActiveSpan();
    if (span === undefined) return null;
    const c = span.spanContext();
    return { trace_id: c.traceId, span_id: c.spanId };
  });
  logger.info('tracing started', { endpoint, service: resource.attributes['service.name'] });
  return {
    endpoint,
    async shutdown() {
      setTraceFields(null);
      try {
        await provider.shutdown();
      } catch (err) {
        logger.warn('tracing shutdown failed', { err });
      } finally {
        trace.disable();
        context.disable();
        propagation.disable();
        active = false;
      }
    },
  };
}
