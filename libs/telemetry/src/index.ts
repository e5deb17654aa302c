export * from './logger';
export { MetricsRegistry } from './metrics/metrics-registry';
export {
  Counter, CounterSeries, Gauge, GaugeSeries, Histogram, HistogramSeries, MetricDefinitionError,
  type FamilyOptions, type GaugeOptions, type HistogramOptions,
} from './metrics/metric-families';
export { mergeSnapshots, type FamilySnapshot, type GaugeMerge, type MetricsSnapshot, type MetricType, type SeriesSnapshot } from './metrics/metrics-snapshot';
export { PROMETHEUS_CONTENT_TYPE, renderText } from './metrics/exposition';
export { archwayTracer, parseKeyValues, startTracing, tracesEndpoint, tracingEnabled, type Env, type Tracing, type TracingOptions } from './tracing/tracing';
export { requestSpanMiddleware, spanFailed, withSpan, withSpanSync } from './tracing/spans';
export type { Attributes as SpanAttributes, Span } from '@opentelemetry/api';
export { OtlpSender, type OtlpSenderOptions } from './tracing/otlp-sender';
