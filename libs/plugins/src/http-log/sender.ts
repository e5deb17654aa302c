// Sends one batch of log entries to http-log's endpoint (kong/plugins/http-log/handler.lua,
// send_entries): a single JSON object when max_batch_size is 1, an array otherwise; user info in the
// URL becomes a basic Authorization header; any status below 400 is success. One undici Pool per
// queue keeps connections to the collector open for `keepalive` ms.
import { Pool } from 'undici';

export interface SenderOptions {
  endpoint: string;
  method: string;
  contentType: string;
  /** ms for connecting and for each read; 0 = none */
  timeout: number;
  /** ms an idle connection is kept */
  keepalive: number;
  headers: Record<string, string> | null;
  /** true: every batch is an array (max_batch_size > 1) */
  batched: boolean;
}

/** The most of a collector's answer kept for the error message. */
const MAX_ERROR_BODY = 1024;

export class HttpLogSender {
  #pool: Pool;
  #closed = false;
  readonly #origin: string;
  readonly #path: string;
  readonly #headers: Record<string, string>;
  readonly #where: string;

  constructor(readonly opts: SenderOptions) {
    const url = new URL(opts.endpoint);
    this.#path = `${url.pathname || '/'}${url.search}`;
    this.#where = `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`;
    const headers: Record<string, string> = { 'content-type': opts.contentType };
    for (const [k, v] of Object.entries(opts.headers ?? {})) headers[k.toLowerCase()] = v;
    // Kong encodes the user info as written in the URL (still percent-encoded)
    const userinfo = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#@]*)@/.exec(opts.endpoint)?.[1];
    if (userinfo) headers.authorization = `Basic ${Buffer.from(userinfo).toString('base64')}`;
    this.#headers = headers;
    this.#origin = url.origin;
    this.#pool = this.#open();
  }

  #open(): Pool {
    const keepAlive = Math.max(this.opts.keepalive, 1);
    return new Pool(this.#origin, {
      // Kong's http-log does not verify the collector's certificate (ssl_verify = false)
      connect: { timeout: this.opts.timeout || undefined, rejectUnauthorized: false },
      keepAliveTimeout: keepAlive,
      keepAliveMaxTimeout: keepAlive,
      headersTimeout: this.opts.timeout,
      bodyTimeout: this.opts.timeout,
    });
  }

  /** Rejects with Kong's message when the collector cannot be reached or answers 400 or more. */
  readonly send = async (batch: string[]): Promise<void> => {
    const body = this.opts.batched ? `[${batch.join(',')}]` : batch[0];
    if (this.#closed) {
      // a request of a replaced config logs late: a fresh pool, released by its keep-alive timeout
      this.#closed = false;
      this.#pool = this.#open();
    }
    const res = await this.#pool.request({
      method: this.opts.method as 'POST',
      path: this.#path,
      headers: this.#headers,
      body,
      reset: this.opts.keepalive === 0,
    });
    if (res.statusCode < 400) {
      await res.body.dump();
      return;
    }
    const text = (await res.body.text()).slice(0, MAX_ERROR_BODY);
    throw Object.assign(new Error(`request to ${this.#where} returned status code ${res.statusCode} and body ${text}`), {
      code: 'ARCHWAY_HTTP_LOG_STATUS',
    });
  };

  close(): Promise<void> {
    this.#closed = true;
    return this.#pool.close().catch(() => undefined);
  }
}
