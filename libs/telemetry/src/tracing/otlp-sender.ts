// Sends one batch of spans to an OTLP/HTTP collector (as Kong's opentelemetry plugin does,
// kong/plugins/opentelemetry/utils.lua http_export_request): an ExportTraceServiceRequest in protobuf
// (@opentelemetry/otlp-transformer's serializer), POSTed with Content-Type application/x-protobuf and
// the configured headers. A 2xx answer is success; anything else, or no answer, rejects so that the
// caller's queue retries. One undici Pool keeps the connection to the collector open. Used by the
// opentelemetry plugin and, as a SpanExporter, by the processes' own tracing.
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Pool } from 'undici';

export interface OtlpSenderOptions {
  endpoint: string;
  headers: Record<string, string> | null;
  /** ms (Kong's connect_timeout, send_timeout, read_timeout) */
  connectTimeout: number;
  sendTimeout: number;
  readTimeout: number;
}

/** The most of a collector's answer kept for the error message. */
const MAX_ERROR_BODY = 1024;
/** how long an idle connection to the collector is kept */
const KEEPALIVE_MS = 60_000;

export class OtlpSender {
  #pool: Pool;
  #closed = false;
  readonly #origin: string;
  readonly #path: string;
  readonly #headers: Record<string, string>;

  constructor(readonly opts: OtlpSenderOptions) {
    const url = new URL(opts.endpoint);
    this.#origin = url.origin;
    this.#path = `${url.pathname || '/'}${url.search}`;
    const headers: Record<string, string> = { 'content-type': 'application/x-protobuf' };
    for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = v;
    this.#headers = headers;
    this.#pool = this.#open();
  }

  #open(): Pool {
    return new Pool(this.#origin, {
      connect: { timeout: this.opts.connectTimeout || undefined },
      keepAliveTimeout: KEEPALIVE_MS,
      keepAliveMaxTimeout: KEEPALIVE_MS,
      headersTimeout: this.opts.readTimeout,
      bodyTimeout: this.opts.readTimeout,
    });
  }

  /** Rejects with Kong's messages when the collector cannot be reached or does not answer 2xx. */
  readonly send = async (batch: ReadableSpan[]): Promise<void> => {
    const body = ProtobufTraceSerializer.serializeRequest(batch);
    if (this.#closed) {
      // a request of a replaced config exports late: a fresh pool, released by its keep-alive timeout
      this.#closed = false;
      this.#pool = this.#open();
    }
    let res;
    try {
      res = await this.#pool.request({
        method: 'POST',
        path: this.#path,
        headers: this.#headers,
        body,
        // undici has no write timeout of its own: send_timeout bounds writing and waiting together with read_timeout
        signal: AbortSignal.timeout(this.opts.sendTimeout + this.opts.readTimeout),
      });
    } catch (err) {
      throw Object.assign(new Error(`failed to send request: ${(err as Error).message}`), { code: 'ARCHWAY_OTLP_UNREACHABLE', cause: err });
    }
    if (res.statusCode >= 200 && res.statusCode < 300) {
      await res.body.dump();
      return;
    }
    const text = (await res.body.text()).slice(0, MAX_ERROR_BODY);
    throw Object.assign(new Error(`response error: ${res.statusCode}, body: ${text}`), { code: 'ARCHWAY_OTLP_STATUS' });
  };

  close(): Promise<void> {
    this.#closed = true;
    return this.#pool.close().catch(() => undefined);
  }
}
