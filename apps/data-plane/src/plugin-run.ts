// One request through a route's plugin chain: request phases before proxying (rendering an exit if a
// plugin answers), then the response phases the ProxyExchange calls (header filter, body filter), and
// the log phase once the response is sent. Only requests whose route has plugins come here.
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { PluginContext, runBodyFilter, runHeaderFilter, runLog, runRequestPhases, type Chain, PluginError } from '@archway/pipeline';
import type { Logger } from '@archway/telemetry';
import { sendError, sendExit, sendGatewayError } from './gateway-response';

/** The most a plugin may make the gateway buffer of a request body (request-size-limiting guards more). */
const MAX_BUFFERED_BODY = 16 * 1024 * 1024;

export function readBody(req: IncomingMessage, limit = MAX_BUFFERED_BODY): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(Object.assign(new Error('request body too large to buffer'), { code: 'ARCHWAY_BODY_TOO_LARGE' }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export class PluginRun {
  chain: Chain;

  constructor(
    chain: Chain,
    readonly ctx: PluginContext,
    readonly logger: Logger,
  ) {
    this.chain = chain;
  }

  /** The response body must be collected for a body filter. */
  get buffersResponse(): boolean {
    return this.chain.bodyFilter !== null;
  }

  /** rewrite + access. Returns false when the request was answered here (exit, or a plugin failure). */
  async requestPhases(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const ctx = this.ctx;
    try {
      if (this.chain.readsRequestBody && (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined))
        ctx.body = await readBody(req);
      this.chain = await runRequestPhases(this.chain, ctx);
    } catch (err) {
      this.#fail(res, err);
      return false;
    }
    const exit = ctx.exitResponse;
    if (!exit) return true;
    // an exit still runs the response phases, as Kong's kong.response.exit does
    const headers = await this.headerFilter(exit.status, { ...exit.headers }).catch((err) => {
      this.#fail(res, err);
      return null;
    });
    if (!headers) return false;
    const extra = headers as Record<string, string>;
    if (exit.error) sendError(res, exit.status, (exit.body as { message: string }).message, ctx.requestId, req.headers.accept, ctx.startedAt, extra);
    else sendExit(res, exit.status, exit.body, extra, ctx.requestId, ctx.startedAt);
    return false;
  }

  /** header filter over the response about to be sent; returns the headers to send. */
  async headerFilter(status: number, headers: OutgoingHttpHeaders): Promise<OutgoingHttpHeaders> {
    const ctx = this.ctx;
    ctx.status = status;
    Object.assign(ctx.responseHeaders, headers);
    await runHeaderFilter(this.chain, ctx);
    return ctx.responseHeaders as OutgoingHttpHeaders;
  }

  bodyFilter(body: Buffer): Promise<Buffer> {
    return runBodyFilter(this.chain, this.ctx, body);
  }

  /** After the response went out; failures are logged, never surface to the client. */
  log(): void {
    if (!this.chain.log) return;
    void runLog(this.chain, this.ctx, (err) => this.logger.error('plugin failed in log phase', { request_id: this.ctx.requestId, plugin: err.plugin, err }));
  }

  /** A plugin threw: 500 with the request id; the error is logged (the proxy keeps serving). */
  #fail(res: ServerResponse, err: unknown): void {
    const e = err as PluginError;
    this.logger.error('plugin failed', { request_id: this.ctx.requestId, plugin: e.plugin, phase: e.phase, err });
    if (res.headersSent) res.destroy();
    else sendGatewayError(res, 'internal', this.ctx.requestId, this.ctx.header('accept'), this.ctx.startedAt);
  }
}


