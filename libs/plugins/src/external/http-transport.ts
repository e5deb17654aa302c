// The external plugin over HTTP: POST the AccessRequest as JSON to the configured URL on one undici
// Pool per plugin instance (keep-alive connections reused across requests), bounded by `timeout`
// for the whole call, connect included.
import { Pool, errors as undiciErrors } from 'undici';
import { ExternalPluginError, type AccessRequest } from './contract';
import type { ExternalTransport, TransportOptions } from './transport';

/** The most of an answer the gateway reads; a plugin answer is a small JSON document. */
const MAX_ANSWER_BYTES = 1024 * 1024;

const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json' };

/** proto3's JSON mapping: bytes are base64 */
function toJson(req: AccessRequest): string {
  const { body, ...request } = req.request;
  return JSON.stringify({ ...req, request: body === null ? request : { ...request, body: body.toString('base64') } });
}

const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'UND_ERR_SOCKET']);

function failure(err: unknown, timedOut: boolean): ExternalPluginError {
  if (err instanceof ExternalPluginError) return err;
  const code = (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code ?? '';
  if (timedOut || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT')
    return new ExternalPluginError('ARCHWAY_EXTERNAL_TIMEOUT', 'the plugin service did not answer in time', { cause: err });
  if (err instanceof undiciErrors.ClientClosedError || err instanceof undiciErrors.ClientDestroyedError)
    return new ExternalPluginError('ARCHWAY_EXTERNAL_CLOSED', 'the plugin instance was replaced by a newer configuration', { cause: err });
  if (CONNECT_FAILURES.has(code))
    return new ExternalPluginError('ARCHWAY_EXTERNAL_UNREACHABLE', `cannot reach the plugin service (${code})`, { cause: err });
  return new ExternalPluginError('ARCHWAY_EXTERNAL_UNREACHABLE', `the call to the plugin service failed: ${(err as Error).message}`, { cause: err });
}

export class HttpTransport implements ExternalTransport {
  readonly #pool: Pool;
  readonly #path: string;
  readonly #timeout: number;
  readonly #reset: boolean;

  constructor(opts: TransportOptions) {
    const url = new URL(opts.url);
    this.#path = `${url.pathname || '/'}${url.search}`;
    this.#timeout = opts.timeout;
    // keepalive 0: a connection per call (Connection: close)
    this.#reset = opts.keepalive === 0;
    const keepAlive = Math.max(opts.keepalive, 1);
    this.#pool = new Pool(url.origin, {
      connect: { timeout: opts.timeout || undefined },
      keepAliveTimeout: keepAlive,
      keepAliveMaxTimeout: keepAlive,
      headersTimeout: opts.timeout,
      bodyTimeout: opts.timeout,
    });
  }

  async call(req: AccessRequest): Promise<unknown> {
    // one deadline for the whole exchange (connect, headers, body); 0 = none
    const signal = this.#timeout > 0 ? AbortSignal.timeout(this.#timeout) : undefined;
    try {
      const res = await this.#pool.request({ method: 'POST', path: this.#path, headers: JSON_HEADERS, body: toJson(req), signal, reset: this.#reset });
      const text = await readLimited(res.body);
      if (res.statusCode < 200 || res.statusCode > 299)
        throw new ExternalPluginError('ARCHWAY_EXTERNAL_BAD_STATUS', `the plugin service answered HTTP ${res.statusCode}; expected 200`);
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new ExternalPluginError('ARCHWAY_EXTERNAL_BAD_ANSWER', 'the plugin service answered something that is not JSON');
      }
    } catch (err) {
      throw failure(err, signal?.aborted ?? false);
    }
  }

  close(): Promise<void> {
    return this.#pool.close().catch(() => undefined);
  }
}

async function readLimited(body: AsyncIterable<Buffer> & { destroy(err?: Error): unknown }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_ANSWER_BYTES) {
      body.destroy();
      throw new ExternalPluginError('ARCHWAY_EXTERNAL_BAD_ANSWER', `the plugin service's answer is larger than ${MAX_ANSWER_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
