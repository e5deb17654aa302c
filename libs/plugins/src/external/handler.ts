// external (Archway): plugins written in any language. In access, the request's method, path,
// query, selected headers (and body when asked), consumer, route and service go to a plugin service
// over HTTP (JSON) or gRPC (proto/archway/plugin/v1/external.proto); it answers continue (changing
// upstream headers) or exit (the gateway answers the client). On a timeout or any failure,
// `fail_open` decides: continue as if the plugin were absent, or answer Kong's 500.
import type { PluginContext, PluginHandler, PluginLogger } from '@archway/pipeline';
import { accessRequest, applyAnswer, ExternalPluginError, parseAnswer } from './contract';
import { GrpcTransport } from './grpc-transport';
import { HttpTransport } from './http-transport';
import { externalSchema } from './schema';
import type { ExternalTransport } from './transport';

/** Kong's message for a 500 (kong.response.error(500)) */
const INTERNAL_ERROR = 'An unexpected error occurred';

/**
 * How long a replaced instance keeps its connections: a request that started on the old snapshot
 * may still be in an earlier plugin and call this one after the swap.
 */
const DISPOSE_GRACE_MS = 10_000;

export interface ExternalState {
  transport: ExternalTransport;
  /** lower-case names of the request headers sent to the service */
  headerNames: readonly string[];
  includeBody: boolean;
  failOpen: boolean;
  timeout: number;
  /** the service's URL without credentials, for logs */
  target: string;
  logger: PluginLogger;
}

function logTarget(raw: string): string {
  const u = new URL(raw);
  return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
}

function fail(ctx: PluginContext, s: ExternalState, err: unknown): void {
  const e = err instanceof ExternalPluginError ? err : new ExternalPluginError('ARCHWAY_EXTERNAL_BAD_ANSWER', (err as Error).message, { cause: err });
  const fields = { request_id: ctx.requestId, plugin: 'external', plugin_service: s.target, code: e.code, err: e.message };
  if (s.failOpen) {
    s.logger.warn('external plugin service failed; the request continues (fail_open)', fields);
    return;
  }
  s.logger.error('external plugin service failed; answering 500 (fail_open is false)', fields);
  ctx.error(500, INTERNAL_ERROR);
}

export const externalHandler: PluginHandler<ExternalState> = {
  name: externalSchema.name,
  priority: externalSchema.priority,
  version: externalSchema.version,
  configure(config, env) {
    const opts = { url: config.url as string, timeout: config.timeout as number, keepalive: config.keepalive as number };
    return {
      transport: config.protocol === 'grpc' ? new GrpcTransport(opts) : new HttpTransport(opts),
      headerNames: [...new Set((config.headers as string[]).map((h) => h.toLowerCase()))],
      includeBody: config.include_body as boolean,
      failOpen: config.fail_open as boolean,
      timeout: opts.timeout,
      target: logTarget(opts.url),
      logger: env.logger,
    };
  },
  readsRequestBody: (s) => s.includeBody,
  async access(ctx, s) {
    let answer;
    try {
      answer = parseAnswer(await s.transport.call(accessRequest(ctx, s.headerNames, s.includeBody)));
    } catch (err) {
      return fail(ctx, s, err);
    }
    applyAnswer(ctx, answer);
  },
  dispose(s) {
    setTimeout(() => void s.transport.close(), DISPOSE_GRACE_MS + s.timeout).unref();
  },
};
