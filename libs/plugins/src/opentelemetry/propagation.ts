// Trace context in request headers (kong/observability/tracing/propagation, Kong 3.9): W3C Trace
// Context (traceparent), B3 (multi-header X-B3-* and single `b3`) and Jaeger (uber-trace-id), read
// from the incoming request in the configured order and written for the upstream. Ids are lower-case
// hex; shorter trace ids (64-bit B3 and Jaeger) are left-padded to 128 bits, as Kong does.
import type { PluginContext } from '@archway/pipeline';
import type { PropagationFormat } from './schema';

export type ExtractFormat = 'w3c' | 'b3' | 'jaeger';

/** What an incoming header says about the trace. */
export interface Extracted {
  format: ExtractFormat;
  /** null: the header carried only a sampling decision (b3: 0 / 1 / d) */
  traceId: string | null;
  /** the caller's span, parent of Kong's root span */
  spanId: string | null;
  /** null: the caller left sampling to us */
  sampled: boolean | null;
  /** the B3 context came in the single `b3` header */
  single: boolean;
}

/** What is injected upstream: the span the upstream's spans hang off and its parent. */
export interface InjectContext {
  traceId: string;
  spanId: string;
  parentId: string | null;
  sampled: boolean;
}

const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const HEX_ID = /^[0-9a-f]{16}$|^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;

const pad32 = (id: string) => (id.length === 32 ? id : id.padStart(32, '0'));

function single(ctx: PluginContext, name: string): string | undefined {
  const v = ctx.header(name);
  return v === undefined ? undefined : v.trim();
}

/** W3C Trace Context level 1: version 00 exactly, other versions as long as the 00 fields parse. */
function extractW3c(ctx: PluginContext): Extracted | null {
  const v = single(ctx, 'traceparent');
  if (v === undefined) return null;
  const m = TRACEPARENT.exec(v.toLowerCase());
  if (!m || m[1] === 'ff' || (m[1] === '00' && m[5] !== undefined)) return null;
  if (m[2] === ZERO_TRACE || m[3] === ZERO_SPAN) return null;
  return { format: 'w3c', traceId: m[2], spanId: m[3], sampled: (parseInt(m[4], 16) & 1) === 1, single: false };
}

function b3Sampled(v: string | undefined): boolean | null {
  if (v === undefined) return null;
  if (v === '1' || v === 'd' || v === 'true') return true;
  if (v === '0' || v === 'false') return false;
  return null;
}

function extractB3(ctx: PluginContext): Extracted | null {
  const one = single(ctx, 'b3');
  if (one !== undefined) {
    const parts = one.toLowerCase().split('-');
    if (parts.length === 1) return { format: 'b3', traceId: null, spanId: null, sampled: b3Sampled(parts[0]), single: true };
    const [traceId, spanId, sampled] = parts;
    if (!HEX_ID.test(traceId) || !SPAN_ID.test(spanId)) return null;
    return { format: 'b3', traceId: pad32(traceId), spanId, sampled: b3Sampled(sampled), single: true };
  }
  const traceId = single(ctx, 'x-b3-traceid')?.toLowerCase();
  const spanId = single(ctx, 'x-b3-spanid')?.toLowerCase();
  const sampled = single(ctx, 'x-b3-flags') === '1' ? true : b3Sampled(single(ctx, 'x-b3-sampled')?.toLowerCase());
  if (traceId === undefined || spanId === undefined) {
    return sampled === null ? null : { format: 'b3', traceId: null, spanId: null, sampled, single: false };
  }
  if (!HEX_ID.test(traceId) || !SPAN_ID.test(spanId)) return null;
  return { format: 'b3', traceId: pad32(traceId), spanId, sampled, single: false };
}

/** uber-trace-id: {trace-id}:{span-id}:{parent-span-id}:{flags}, possibly percent-encoded. */
function extractJaeger(ctx: PluginContext): Extracted | null {
  const raw = single(ctx, 'uber-trace-id');
  if (raw === undefined) return null;
  const parts = raw.toLowerCase().replace(/%3a/g, ':').split(':');
  if (parts.length !== 4) return null;
  const [traceId, spanId, , flags] = parts;
  if (!/^[0-9a-f]{1,32}$/.test(traceId) || !/^[0-9a-f]{1,16}$/.test(spanId) || !/^[0-9a-f]{1,2}$/.test(flags)) return null;
  const t = pad32(traceId);
  const s = spanId.padStart(16, '0');
  if (t === ZERO_TRACE || s === ZERO_SPAN) return null;
  return { format: 'jaeger', traceId: t, spanId: s, sampled: (parseInt(flags, 16) & 1) === 1, single: false };
}

const EXTRACTORS: Record<ExtractFormat, (ctx: PluginContext) => Extracted | null> = { w3c: extractW3c, b3: extractB3, jaeger: extractJaeger };

/** The first format in `order` found on the request, or null. */
export function extract(ctx: PluginContext, order: readonly ExtractFormat[] | null): Extracted | null {
  if (order === null) return null;
  for (const f of order) {
    const found = EXTRACTORS[f](ctx);
    if (found !== null) return found;
  }
  return null;
}

const flag = (sampled: boolean) => (sampled ? '01' : '00');

/** Writes the trace context for the upstream in `format`. */
export function inject(ctx: PluginContext, format: PropagationFormat, c: InjectContext): void {
  switch (format) {
    case 'w3c':
      ctx.setHeader('traceparent', `00-${c.traceId}-${c.spanId}-${flag(c.sampled)}`);
      return;
    case 'b3':
      ctx.setHeader('x-b3-traceid', c.traceId);
      ctx.setHeader('x-b3-spanid', c.spanId);
      if (c.parentId !== null) ctx.setHeader('x-b3-parentspanid', c.parentId);
      else ctx.removeHeader('x-b3-parentspanid');
      ctx.setHeader('x-b3-sampled', c.sampled ? '1' : '0');
      ctx.removeHeader('x-b3-flags');
      return;
    case 'b3-single':
      ctx.setHeader('b3', `${c.traceId}-${c.spanId}-${c.sampled ? '1' : '0'}${c.parentId !== null ? `-${c.parentId}` : ''}`);
      return;
    case 'jaeger':
      ctx.setHeader('uber-trace-id', `${c.traceId}:${c.spanId}:${c.parentId ?? '0'}:${flag(c.sampled)}`);
      return;
  }
}
