// The spans of one proxied request, as Kong's tracing instrumentations (kong/observability/tracing/
// instrumentation.lua, `request` and `balancer`) make them: a root span "kong" (SERVER) from the
// request's arrival to the end of its response, and a "kong.balancer" span (CLIENT) per attempt to
// reach the upstream, built in the log phase from the tries the proxy recorded. They are plain
// ReadableSpan records for @opentelemetry/otlp-transformer's protobuf serializer (no SDK tracer).
import type { Attributes, HrTime, Link, SpanContext, SpanKind, SpanStatus } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import type { PluginContext } from '@archway/pipeline';
import { newSpanId } from './ids';

// @opentelemetry/api's enums (SpanKind.SERVER / CLIENT, SpanStatusCode.ERROR), as constants so that
// the plugin needs the api package for types only
const KIND_SERVER = 1 as SpanKind;
const KIND_CLIENT = 2 as SpanKind;
const STATUS_UNSET: SpanStatus = { code: 0 };
const STATUS_ERROR: SpanStatus = { code: 2 };
const TRACE_FLAG_SAMPLED = 1;
const NO_LINKS: Link[] = [];
const NO_EVENTS: TimedEvent[] = [];
const ZERO: HrTime = [0, 0];

/** the instrumentation scope Kong's spans carry */
export const KONG_SCOPE: InstrumentationScope = { name: 'kong-internal', version: '0.1.0' };

/** Where one request's trace stands after access: the ids of its spans and the sampling decision. */
export interface RequestTrace {
  traceId: string;
  rootSpanId: string;
  /** the caller's span (from an incoming header), null for a new trace */
  parentSpanId: string | null;
  /** the id given to the balancer span of the attempt that reached the upstream (the one injected) */
  balancerSpanId: string;
  sampled: boolean;
}

/** epoch milliseconds (fractional) as HrTime */
function hrTime(epochMs: number): HrTime {
  const s = Math.floor(epochMs / 1000);
  return [s, Math.min(999_999_999, Math.round((epochMs - s * 1000) * 1e6))];
}

export class ExportedSpan implements ReadableSpan {
  readonly #context: SpanContext;
  readonly parentSpanContext: SpanContext | undefined;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly links = NO_LINKS;
  readonly events = NO_EVENTS;
  readonly duration = ZERO;
  readonly ended = true;
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;

  constructor(
    readonly name: string,
    readonly kind: SpanKind,
    trace: RequestTrace,
    spanId: string,
    parent: SpanContext | undefined,
    startMs: number,
    endMs: number,
    readonly attributes: Attributes,
    readonly status: SpanStatus,
    readonly resource: Resource,
    readonly instrumentationScope: InstrumentationScope,
  ) {
    this.#context = { traceId: trace.traceId, spanId, traceFlags: TRACE_FLAG_SAMPLED };
    this.parentSpanContext = parent;
    this.startTime = hrTime(startMs);
    this.endTime = hrTime(Math.max(startMs, endMs));
  }

  spanContext(): SpanContext {
    return this.#context;
  }
}

/** nginx's $host: the Host header without its port, lower-cased. */
function hostOf(ctx: PluginContext): string {
  const host = ctx.header('host') ?? '';
  const end = host.startsWith('[') ? host.indexOf(']') + 1 : host.indexOf(':');
  return (end > 0 ? host.slice(0, end) : host).toLowerCase();
}

/**
 * The request's spans, ending now: the root span first, then one balancer span per try. Failed tries
 * end where the next one starts; the last one ends with the response.
 */
export function requestSpans(ctx: PluginContext, trace: RequestTrace, resource: Resource, nowMs: number): ExportedSpan[] {
  const origin = performance.timeOrigin;
  const host = hostOf(ctx);
  const root = new ExportedSpan(
    'kong',
    KIND_SERVER,
    trace,
    trace.rootSpanId,
    trace.parentSpanId === null ? undefined : { traceId: trace.traceId, spanId: trace.parentSpanId, traceFlags: TRACE_FLAG_SAMPLED, isRemote: true },
    origin + ctx.startedAt,
    origin + nowMs,
    {
      'http.method': ctx.method,
      'http.url': `${ctx.scheme}://${host}${ctx.requestUri}`,
      'http.host': host,
      'http.scheme': ctx.scheme,
      'http.flavor': ctx.httpVersion,
      'http.client_ip': ctx.clientIp,
      'net.peer.ip': ctx.clientIp,
      'kong.request.id': ctx.requestId,
      'http.status_code': ctx.status,
      'http.route': ctx.route?.paths?.[0] ?? '',
    },
    STATUS_UNSET,
    resource,
    KONG_SCOPE,
  );
  const spans = [root];
  const tries = ctx.tries;
  if (tries === null) return spans;
  const parent: SpanContext = { traceId: trace.traceId, spanId: trace.rootSpanId, traceFlags: TRACE_FLAG_SAMPLED };
  for (let i = 0; i < tries.length; i++) {
    const t = tries[i];
    const last = i === tries.length - 1;
    const attributes: Attributes = { try_count: i + 1, 'net.peer.ip': t.ip, 'net.peer.port': t.port, 'net.peer.name': t.ip };
    if (t.state === 'failed') attributes['http.status_code'] = t.code;
    const startMs = t.balancer_start_ns / 1e6;
    const endMs = last ? origin + nowMs : tries[i + 1].balancer_start_ns / 1e6;
    spans.push(
      new ExportedSpan(
        'kong.balancer',
        KIND_CLIENT,
        trace,
        last ? trace.balancerSpanId : newSpanId(),
        parent,
        startMs,
        endMs,
        attributes,
        t.state === 'failed' ? STATUS_ERROR : STATUS_UNSET,
        resource,
        KONG_SCOPE,
      ),
    );
  }
  return spans;
}
