// For specs: an OTLP/HTTP trace receiver on 127.0.0.1:0 that decodes each ExportTraceServiceRequest
// (protobuf) with its own copy of the OTLP trace messages (opentelemetry-proto's trace.proto,
// trace_service.proto and common.proto, field numbers as published), independent of the encoders
// under test, and keeps the spans it received.
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as protobuf from 'protobufjs';

const OTLP_TRACE_PROTO = `
syntax = "proto3";
package opentelemetry.proto;
message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
message InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4; fixed32 flags = 16;
  string name = 5; int32 kind = 6; fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9; uint32 dropped_attributes_count = 10;
  repeated Event events = 11; uint32 dropped_events_count = 12; repeated Link links = 13; uint32 dropped_links_count = 14;
  Status status = 15;
}
message Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4; }
message Link { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; repeated KeyValue attributes = 4; uint32 dropped_attributes_count = 5; fixed32 flags = 6; }
message Status { string message = 2; int32 code = 3; }
message KeyValue { string key = 1; AnyValue value = 2; }
message AnyValue {
  oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4; ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7; }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
`;

const Request = protobuf.parse(OTLP_TRACE_PROTO, { keepCase: true }).root.lookupType('opentelemetry.proto.ExportTraceServiceRequest');

export type AttributeValue = string | number | boolean | null;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span */
  parentSpanId: string;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client */
  kind: number;
  /** epoch nanoseconds */
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, AttributeValue>;
  /** OTLP's StatusCode: 0 unset, 1 ok, 2 error */
  status: { code: number; message: string };
  resource: Record<string, AttributeValue>;
  scope: { name: string; version: string };
}

export interface ReceivedExport {
  path: string;
  headers: IncomingHttpHeaders;
  spans: ReceivedSpan[];
}

type Decoded = Record<string, unknown>;

const hex = (b: unknown) => (b instanceof Uint8Array ? Buffer.from(b).toString('hex') : '');

function value(v: Decoded | undefined): AttributeValue {
  if (!v) return null;
  if (v.string_value !== undefined) return v.string_value as string;
  if (v.bool_value !== undefined) return v.bool_value as boolean;
  if (v.int_value !== undefined) return Number(v.int_value);
  if (v.double_value !== undefined) return v.double_value as number;
  return null;
}

function attributes(list: unknown): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const kv of (list as Decoded[] | undefined) ?? []) out[kv.key as string] = value(kv.value as Decoded | undefined);
  return out;
}

/** An ExportTraceServiceRequest's spans, flattened, each with its resource and scope. */
export function decodeTraces(body: Uint8Array): ReceivedSpan[] {
  const req = Request.toObject(Request.decode(body), { longs: String, defaults: true }) as Decoded;
  const spans: ReceivedSpan[] = [];
  for (const rs of req.resource_spans as Decoded[]) {
    const resource = attributes((rs.resource as Decoded | undefined)?.attributes);
    for (const ss of rs.scope_spans as Decoded[]) {
      const scope = (ss.scope as Decoded | undefined) ?? {};
      for (const s of ss.spans as Decoded[]) {
        const status = (s.status as Decoded | undefined) ?? {};
        spans.push({
          traceId: hex(s.trace_id),
          spanId: hex(s.span_id),
          parentSpanId: hex(s.parent_span_id),
          name: s.name as string,
          kind: s.kind as number,
          startNs: BigInt(s.start_time_unix_nano as string),
          endNs: BigInt(s.end_time_unix_nano as string),
          attributes: attributes(s.attributes),
          status: { code: (status.code as number | undefined) ?? 0, message: (status.message as string | undefined) ?? '' },
          resource,
          scope: { name: (scope.name as string | undefined) ?? '', version: (scope.version as string | undefined) ?? '' },
        });
      }
    }
  }
  return spans;
}

export interface OtlpReceiver {
  port: number;
  /** http://127.0.0.1:port/v1/traces */
  url: string;
  exports: ReceivedExport[];
  /** every span received so far, in arrival order */
  readonly spans: ReceivedSpan[];
  /** resolves once `check` holds for the spans received (polling; throws after `timeoutMs`, 5 s by default) */
  until(check: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

/** Starts a receiver answering `statuses` in turn (then 200). */
export async function startOtlpReceiver(statuses: number[] = []): Promise<OtlpReceiver> {
  const exports: ReceivedExport[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = statuses.shift() ?? 200;
      if (status === 200) exports.push({ path: req.url ?? '', headers: req.headers, spans: decodeTraces(Buffer.concat(chunks)) });
      res.statusCode = status;
      res.setHeader('content-type', 'application/x-protobuf');
      res.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const all = () => exports.flatMap((e) => e.spans);
  return {
    port,
    url: `http://127.0.0.1:${port}/v1/traces`,
    exports,
    get spans() {
      return all();
    },
    async until(check, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (!check(all()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      if (!check(all())) throw new Error(`spans received did not satisfy the check: ${JSON.stringify(all().map((s) => s.name))}`);
      return all();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
